// A container's status is derived from the live system, never trusted from state.json alone: the
// init must still exist with the start time recorded at create (so a reused PID is not mistaken for
// it), and exec.fifo existing means `start` has not run yet.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freezerStateOf } from '../cgroups/freezer-state';
import { EXEC_FIFO, type ContainerState, type Status } from './store';

interface ProcStat { state: string; startTime: string }

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: fields[19] };
}

export function initAlive(state: ContainerState): boolean {
  if (!state.pid || state.pid <= 0) return false;
  const stat = readProcStat(state.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return stat.startTime === state.tsrunc.initStartTime;
}

export function liveStatus(dir: string, state: ContainerState): Status {
  if (!initAlive(state)) return 'stopped';
  // A frozen cgroup is what "paused" means (as with runc): pause/resume only change the freezer.
  if (freezerStateOf(state.tsrunc.cgroup) === 'frozen') return 'paused';
  return fs.existsSync(path.join(dir, EXEC_FIFO)) ? 'created' : 'running';
}

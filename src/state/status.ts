// Whether a container's init is still the process create made: it must still exist with the start
// time recorded at create (so a reused PID is not mistaken for it). The status built on it is
// container/status.ts (it also asks the cgroup freezer).
import { readText } from '../sys/files';
import { spaceSeparated } from '../text';
import type { ContainerState } from './store';

interface ProcStat { state: string; startTime: string }

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readText(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const fields = spaceSeparated(text.slice(text.lastIndexOf(')') + 2));
  return { state: fields[0], startTime: fields[19] };
}

export function initAlive(state: ContainerState): boolean {
  if (!state.pid || state.pid <= 0) return false;
  const stat = readProcStat(state.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return stat.startTime === state.tsrunc.initStartTime;
}

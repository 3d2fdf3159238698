// A container's status is derived from the live system, never trusted from state.json alone: the
// init must still be the process create made (state/status.ts), a frozen cgroup is "paused" (as
// with runc: pause/resume only change the freezer), and exec.fifo existing means `start` has not
// run yet.
import { path } from '../sys/path';
import { freezerStateOf } from '../cgroups/freezer-state';
import { initAlive } from '../state/status';
import { EXEC_FIFO, type ContainerState, type Status } from '../state/store';
import { exists } from '../sys/files';
import { cgroupRecord } from './cgroup-record';

export function liveStatus(dir: string, state: ContainerState): Status {
  if (!initAlive(state)) return 'stopped';
  if (freezerStateOf(cgroupRecord(state.tsrunc.cgroup)) === 'frozen') return 'paused';
  return exists(path.join(dir, EXEC_FIFO)) ? 'created' : 'running';
}

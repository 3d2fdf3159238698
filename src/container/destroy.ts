// delete: what runc does for each status. A created container is killed and removed without
// --force (it never ran); a running one needs --force.
import { TsruncError } from '../errors';
import { removeContainerDir } from '../state/store';
import type { OpenContainer } from './lookup';
import { killAndWait } from './process-signal';

export function destroyContainer(c: OpenContainer, force: boolean): void {
  if (c.status === 'running' || c.status === 'paused') {
    if (!force) throw new TsruncError(`cannot delete container ${c.state.id} that is not stopped: ${c.status}`);
  }
  if (c.status !== 'stopped') killAndWait(c.state);
  removeContainerDir(c.lock.dir);
}

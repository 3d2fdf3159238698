// delete: only a stopped container is removed without --force. The runtime spec requires an error
// for any other status, `created` included; runc 1.1 kills and removes a created container instead,
// crun refuses it as tsrunc does. containerd's shim and podman kill first or pass --force, so
// neither depends on runc's leniency. The wording is runc's own for a running container.
import { TsruncError } from '../errors';
import { removeContainerDir } from '../state/store';
import type { OpenContainer } from './lookup';
import { killAndWait } from './process-signal';

export function destroyContainer(c: OpenContainer, force: boolean): void {
  if (c.status !== 'stopped') {
    if (!force) throw new TsruncError(`cannot delete container ${c.state.id} that is not stopped: ${c.status}`);
    killAndWait(c.state);
  }
  removeContainerDir(c.lock.dir);
}

// delete: only a stopped container is removed without --force. The runtime spec requires an error
// for any other status, `created` included; runc 1.1 kills and removes a created container instead,
// crun refuses it as tsrunc does. containerd's shim and podman kill first or pass --force, so
// neither depends on runc's leniency. The wording is runc's own for a running container.
import { openCgroups, type CgroupRecord } from '../cgroups/manager';
import { cgroupRecord } from './cgroup-record';
import { TsruncError } from '../errors';
import type { Spec } from '../config/types';
import { hookState, runPoststopHooks } from '../hooks/run';
import { detachHostMounts, sharesHostMountTable } from './host-mounts';
import type { Logger } from '../log';
import { readCgroupIntent, readConfigCopyNaming, readHostMountsIntent, removeContainerDir } from '../state/store';
import { lockContainer, type OpenContainer } from './lookup';
import { liveStatus } from './status';
import { killAndWait } from './process-signal';

export function destroyContainer(c: OpenContainer, force: boolean, log: Logger): void {
  if (c.status !== 'stopped') {
    if (!force) throw new TsruncError(`cannot delete container ${c.state.id} that is not stopped: ${c.status}`);
    const cgroups = openCgroups(cgroupRecord(c.state.tsrunc.cgroup));
    // A frozen init cannot die until it is thawed (whatever the status said a moment ago).
    killAndWait(c.state, cgroups ? () => { if (cgroups.freezerState() !== 'thawed') cgroups.thaw(); } : undefined);
  }
  const ownPidNamespace = c.state.tsrunc.namespacePaths.pid === `/proc/${c.state.pid}/ns/pid`;
  for (const note of removeCgroups(cgroupRecord(c.state.tsrunc.cgroup), !ownPidNamespace)) log.warn(note);
  if (sharesHostMountTable(c.state.tsrunc.namespacePaths)) detachHostMounts(c.state.rootfs, log);
  // poststop: once, after the container is gone and before its state is (a failure is a warning).
  const spec = readConfigCopyNaming(c.lock.dir, 'poststop') as Spec | undefined;
  if (spec) runPoststopHooks(spec, hookState(c.state, 'stopped'), log);
  removeContainerDir(c.lock.dir);
}

/** Without its own pid namespace, a container's processes outlive its init: those are killed. */
export function removeCgroups(record: CgroupRecord | undefined, killRemaining: boolean): string[] {
  return openCgroups(record)?.destroy(killRemaining) ?? [];
}

/**
 * `delete [--force] ID`. With --force, also what a create that died before writing state.json
 * left (its init died with its launcher): the cgroups recorded in cgroup.json, the mounts below
 * the rootfs named in host-mounts (a container sharing the runtime's mount table), the directory.
 */
export function deleteContainer(root: string, id: string | undefined, force: boolean, log: Logger): void {
  let locked: ReturnType<typeof lockContainer>;
  try {
    locked = lockContainer(root, id);
  } catch (e) {
    // containerd sends `delete --force` after failed creates and expects success for a missing id.
    if (force && e instanceof TsruncError) return;
    throw e;
  }
  const { lock, state } = locked;
  try {
    if (!state) {
      if (!force) throw new TsruncError('container does not exist');
      for (const note of removeCgroups(cgroupRecord(readCgroupIntent(lock.dir)), false)) log.warn(note);
      const rootfs = readHostMountsIntent(lock.dir);
      if (rootfs) detachHostMounts(rootfs, log);
      removeContainerDir(lock.dir);
      return;
    }
    destroyContainer({ lock, state, status: liveStatus(lock.dir, state) }, force, log);
  } finally {
    lock.release();
  }
}

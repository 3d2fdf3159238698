import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { destroyContainer, removeCgroups } from '../container/destroy';
import { ContainerLock, containerDir, readCgroupIntent, readState, removeContainerDir, validateId } from '../state/store';
import { liveStatus } from '../state/status';

export default function del(args: { id: string; force: boolean }, ctx: CommandContext): number {
  const dir = containerDir(ctx.opts.root, validateId(args.id));
  let lock: ContainerLock;
  try {
    lock = ContainerLock.acquire(dir);
  } catch (e) {
    // containerd sends `delete --force` after failed creates and expects success for a missing id.
    if (args.force && e instanceof TsruncError) return 0;
    throw e;
  }
  try {
    const state = readState(dir);
    if (!state) {
      // A create that died before writing state.json; its init died with its launcher.
      if (!args.force) throw new TsruncError('container does not exist');
      for (const note of removeCgroups(readCgroupIntent(dir), false)) ctx.log.warn(note);
      removeContainerDir(dir);
      return 0;
    }
    destroyContainer({ lock, state, status: liveStatus(dir, state) }, args.force, ctx.log);
  } finally {
    lock.release();
  }
  return 0;
}

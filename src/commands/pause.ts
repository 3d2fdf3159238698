// pause and resume freeze and thaw the container's cgroup; "paused" is read back from the freezer.
import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { containerCgroups } from '../container/cgroups';
import { withContainer } from '../container/lookup';

export default async function pause(args: { id: string }, ctx: CommandContext): Promise<number> {
  await withContainer(ctx.opts.root, args.id, (c) => {
    if (c.status !== 'running' && c.status !== 'created') throw new TsruncError('container not running');
    containerCgroups(c).freeze();
  });
  return 0;
}

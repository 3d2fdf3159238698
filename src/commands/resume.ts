import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { containerCgroups } from '../container/cgroups';
import { withContainer } from '../container/lookup';

export default async function resume(args: { id: string }, ctx: CommandContext): Promise<number> {
  await withContainer(ctx.opts.root, args.id, (c) => {
    if (c.status !== 'paused') throw new TsruncError('container not paused');
    containerCgroups(c).thaw();
  });
  return 0;
}

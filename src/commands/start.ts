import type { CommandContext } from '../context';
import { withContainer } from '../container/lookup';
import { startContainer } from '../container/start';

export default async function start(args: { id: string }, ctx: CommandContext): Promise<number> {
  await withContainer(ctx.opts.root, args.id, (c) => startContainer(c, ctx.log));
  return 0;
}

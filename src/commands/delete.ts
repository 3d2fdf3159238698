import type { CommandContext } from '../context';
import { deleteContainer } from '../container/destroy';

export default function del(args: { id: string; force: boolean }, ctx: CommandContext): number {
  deleteContainer(ctx.opts.root, args.id, args.force, ctx.log);
  return 0;
}

import type { CommandContext } from '../context';
import { killContainer } from '../container/kill';
import { parseSignal } from '../container/signals';

export default async function kill(args: { id: string; positional: string[]; all: boolean }, ctx: CommandContext): Promise<number> {
  await killContainer(ctx.opts.root, args.id, parseSignal(args.positional[1]), args.all);
  return 0;
}

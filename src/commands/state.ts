import type { CommandContext } from '../context';
import { peekContainer } from '../container/lookup';
import { publicState } from '../container/public';
import { write } from '../sys/files';

export default async function state(args: { id: string }, ctx: CommandContext): Promise<number> {
  // Without the lock, as runc: a `state` while another command holds it (a hook of a create that
  // asks for it, say) answers at once.
  const c = peekContainer(ctx.opts.root, args.id);
  write(1, JSON.stringify(publicState(c.state, c.status), null, '  ') + '\n');
  return 0;
}

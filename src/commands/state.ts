import * as fs from 'node:fs';
import type { CommandContext } from '../context';
import { peekContainer } from '../container/lookup';
import { publicState } from '../container/public';

export default async function state(args: { id: string }, ctx: CommandContext): Promise<number> {
  // Without the lock, as runc: a `state` while another command holds it (a hook of a create that
  // asks for it, say) answers at once.
  const c = peekContainer(ctx.opts.root, args.id);
  fs.writeSync(1, JSON.stringify(publicState(c.state, c.status), null, '  ') + '\n');
  return 0;
}

import * as fs from 'node:fs';
import type { CommandContext } from '../context';
import { withContainer } from '../container/lookup';
import { publicState } from '../container/public';

export default async function state(args: { id: string }, ctx: CommandContext): Promise<number> {
  const text = await withContainer(ctx.opts.root, args.id, (c) => JSON.stringify(publicState(c.state, c.status), null, '  '));
  fs.writeSync(1, text + '\n');
  return 0;
}

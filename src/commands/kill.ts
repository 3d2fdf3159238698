import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { withContainer } from '../container/lookup';
import { containerPids, signalInit } from '../container/process-signal';
import { parseSignal } from '../container/signals';

export default async function kill(args: { id: string; positional: string[]; all: boolean }, ctx: CommandContext): Promise<number> {
  const signal = parseSignal(args.positional[1]);
  await withContainer(ctx.opts.root, args.id, (c) => {
    if (c.status === 'stopped') throw new TsruncError('container not running');
    if (!args.all) { signalInit(c.state, signal); return; }
    for (const pid of containerPids(c.state)) {
      try { process.kill(pid, signal); } catch { /* already gone */ }
    }
  });
  return 0;
}

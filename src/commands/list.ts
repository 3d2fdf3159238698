import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { containerIds, containerOwners, peekContainer } from '../container/lookup';
import { publicState, type PublicState } from '../container/public';
import { write } from '../sys/files';

function table(rows: string[][]): string {
  // runc's tabwriter: columns at least 12 wide, 3 spaces of padding.
  const widths = rows[0].map((_, col) => Math.max(9, ...rows.map((r) => r[col].length)) + 3);
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]))).join('')).join('\n') + '\n';
}

export default function list(args: { format: string; quiet: boolean }, ctx: CommandContext): number {
  const states: PublicState[] = [];
  const ownerOf = containerOwners(ctx.opts.root);
  for (const id of containerIds(ctx.opts.root)) {
    try {
      // Without the locks, as runc (see peekContainer).
      const c = peekContainer(ctx.opts.root, id);
      states.push(publicState(c.state, c.status, ownerOf(id)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted after readdir
      // A container whose create has not written state.json yet, or just deleted, is no one's
      // business; anything else is said, not hidden.
      if (!(e instanceof TsruncError && /does not exist/.test(e.message))) ctx.log.warn(`${id}: ${(e as Error).message}`);
    }
  }
  let out: string;
  if (args.quiet) out = states.map((s) => s.id + '\n').join('');
  else if (args.format === 'json') out = JSON.stringify(states) + '\n';
  else {
    out = table([
      ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
      ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]),
    ]);
  }
  write(1, out);
  return 0;
}

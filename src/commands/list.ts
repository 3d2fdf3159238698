import * as fs from 'node:fs';
import type { CommandContext } from '../context';
import { openContainer } from '../container/lookup';
import { publicState, type PublicState } from '../state/public';
import { listContainerIds } from '../state/store';

function table(rows: string[][]): string {
  // runc's tabwriter: columns at least 12 wide, 3 spaces of padding.
  const widths = rows[0].map((_, col) => Math.max(9, ...rows.map((r) => r[col].length)) + 3);
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]))).join('')).join('\n') + '\n';
}

export default function list(args: { format: string; quiet: boolean }, ctx: CommandContext): number {
  const states: PublicState[] = [];
  for (const id of listContainerIds(ctx.opts.root)) {
    try {
      const c = openContainer(ctx.opts.root, id);
      try { states.push(publicState(c.state, c.status, true)); } finally { c.lock.release(); }
    } catch { /* a container being created or deleted right now */ }
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
  fs.writeSync(1, out);
  return 0;
}

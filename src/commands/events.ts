// events: the container's cgroup statistics every --interval and an {"type":"oom"} line whenever
// the OOM killer strikes in its cgroup, as runc prints them, until the container stops; with
// --stats, one statistics line and exit.
import * as fs from 'node:fs';
import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { watchEvents } from '../container/events';
import { useUsualJitPolicy } from '../jit-policy';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("5s", "1m30s", "250ms"), as runc's --interval takes it, in milliseconds. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    end = re.lastIndex;
  }
  if (end === 0 || end !== text.length) throw new TsruncError(`invalid value "${text}" for flag --interval: parse error (a duration such as 5s, 500ms or 1m)`);
  return total;
}

export default async function events(args: { id: string; stats: boolean; interval: string }, ctx: CommandContext): Promise<number> {
  const intervalMs = parseDuration(args.interval);
  if (intervalMs <= 0) throw new TsruncError('duration interval must be greater than 0');
  // Streaming goes on until the container stops: its work repeats.
  if (!args.stats) useUsualJitPolicy();
  await watchEvents(ctx.opts.root, args.id, { once: args.stats, intervalMs }, (line) => { fs.writeSync(1, line); });
  return 0;
}

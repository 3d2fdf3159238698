// ps: the container's processes, found through its cgroup (without one: its pid namespace). json: the host pids; table: the host's
// ps(1) run with the given options (-ef by default), keeping its header and the container's lines.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { containerPids } from '../container/cgroups';
import { withContainer } from '../container/lookup';

export default async function ps(args: { id: string; positional: string[]; format: string }, ctx: CommandContext): Promise<number> {
  const pids = await withContainer(ctx.opts.root, args.id, (c) => {
    if (c.status === 'stopped') throw new TsruncError('container not running');
    return containerPids(c);
  });
  if (args.format === 'json') {
    fs.writeSync(1, `${JSON.stringify(pids)}\n`);
    return 0;
  }
  const psArgs = args.positional.length > 1 ? args.positional.slice(1) : ['-ef'];
  let output: string;
  try {
    output = execFileSync('ps', psArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new TsruncError('exec: "ps": executable file not found in $PATH');
    throw new TsruncError(`ps ${psArgs.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`);
  }
  const lines = output.split('\n');
  const pidColumn = lines[0].trim().split(/\s+/).indexOf('PID');
  if (pidColumn < 0) throw new TsruncError(`ps ${psArgs.join(' ')}: its output has no PID column`);
  const wanted = new Set(pids);
  const kept = [lines[0], ...lines.slice(1).filter((l) => l.trim() && wanted.has(Number(l.trim().split(/\s+/)[pidColumn])))];
  fs.writeSync(1, `${kept.join('\n')}\n`);
  return 0;
}

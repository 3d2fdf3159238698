// `tsrunc spec [--bundle DIR] [--rootless]`: writes the default config.json, refusing to overwrite
// one, with runc's wording for both failures.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { defaultSpec } from '../config/default-spec';

interface SpecArgs { bundle?: string; rootless?: boolean | string }

/**
 * The global --rootless takes a value (true/false/auto) while spec's is a bare switch; depending on
 * how the parser merges the two, a bare `--rootless` arrives as true or as an empty string.
 */
function wantsRootless(v: boolean | string | undefined): boolean {
  return v === true || v === '' || v === 'true';
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

/** runc gives containers on a cgroup v2 host their own cgroup namespace by default. */
function onCgroupV2(): boolean {
  try {
    return fs.statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

export default async function spec(args: SpecArgs, _ctx: CommandContext): Promise<number> {
  const dir = path.resolve(args.bundle ?? process.cwd());
  try {
    if (!fs.statSync(dir).isDirectory()) throw new TsruncError(`chdir ${args.bundle}: not a directory`);
  } catch (e) {
    if (e instanceof TsruncError) throw e;
    throw new TsruncError(`chdir ${args.bundle ?? dir}: no such file or directory`);
  }
  const doc = defaultSpec({ rootless: wantsRootless(args.rootless), cgroupNamespace: onCgroupV2() });
  // Tab indentation and no trailing newline, byte-compatible with runc's output format.
  const text = JSON.stringify(doc, null, '\t');
  try {
    fs.writeFileSync(path.join(dir, 'config.json'), text, { mode: 0o666, flag: 'wx' });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') throw new TsruncError('File config.json exists. Remove it first');
    throw new TsruncError(`open ${path.join(dir, 'config.json')}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`);
  }
  return 0;
}

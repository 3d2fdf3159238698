import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { execInContainer, type ExecOptions } from '../container/exec';

/** The parsed command line: ExecOptions' flags under their option names, and the positionals. */
type ExecArgs = Omit<ExecOptions, 'command' | 'processFile'> & { positional: string[]; process?: string };

/** Exits with the process's status; a failure to exec is "exec failed: ..." with status 255, as runc. */
export default async function exec(a: ExecArgs, ctx: CommandContext): Promise<number> {
  const { positional, process, ...flags } = a;
  try {
    return await execInContainer({ ...flags, command: positional.slice(1), processFile: process }, ctx);
  } catch (e) {
    if (e instanceof TsruncError) throw new TsruncError(`exec failed: ${e.message}`, 255);
    throw e;
  }
}

import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { execInContainer } from '../container/exec';

interface ExecArgs {
  id: string;
  positional: string[];
  process?: string;
  tty: boolean;
  consoleSocket?: string;
  detach: boolean;
  pidFile?: string;
  cwd?: string;
  env: string[];
  user?: string;
  additionalGids: string[];
  cap: string[];
  noNewPrivs: boolean;
  apparmor?: string;
  processLabel?: string;
  preserveFds: number;
  cgroup: string[];
  ignorePaused: boolean;
}

/** Exits with the process's status; a failure to exec is "exec failed: ..." with status 255, as runc. */
export default async function exec(a: ExecArgs, ctx: CommandContext): Promise<number> {
  try {
    return await execInContainer({
      id: a.id, command: a.positional.slice(1), processFile: a.process, tty: a.tty, consoleSocket: a.consoleSocket,
      detach: a.detach, pidFile: a.pidFile, cwd: a.cwd, env: a.env, user: a.user, additionalGids: a.additionalGids,
      cap: a.cap, noNewPrivs: a.noNewPrivs, apparmor: a.apparmor, processLabel: a.processLabel,
      preserveFds: a.preserveFds, cgroup: a.cgroup, ignorePaused: a.ignorePaused,
    }, ctx);
  } catch (e) {
    if (e instanceof TsruncError) throw new TsruncError(`exec failed: ${e.message}`, 255);
    throw e;
  }
}

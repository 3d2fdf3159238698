// What every command handler receives: the parsed global flags and the logger built from them.
import type { Logger } from './log';

export interface GlobalOptions {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  rootless: string;
}

export interface CommandContext {
  opts: GlobalOptions;
  log: Logger;
}

/** A command module's default export. Returns the exit code (0 when omitted); throws TsruncError. */
export type CommandHandler<A> = (args: A, ctx: CommandContext) => Promise<number | void> | number | void;

export const DEFAULT_ROOT = '/run/tsrunc';
export const VERSION = '0.1.0';
export const SPEC_VERSION = '1.3.0';

/**
 * The state root's entry that is not a container (src/plan/seccomp.ts keeps compiled seccomp
 * programs below it). Here, not in the planner, so that `state`, `list` and the other commands that
 * only open containers do not load the seccomp planner for one constant.
 */
export const STATE_ROOT_CACHE = '.cache';

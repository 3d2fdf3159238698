// What a new process (create's init, exec's process) gets for its terminal and inherited fds, the
// same for both: runc's console-socket rules, and $LISTEN_FDS passed through (socket activation).
import { path } from '../sys/path';
import { TsruncError } from '../errors';
import type { ForegroundTerminal } from './foreground-terminal';

export interface ConsoleChoice {
  /** Where the launcher sends the pty master (absolute). */
  socketPath: string;
  /** The socket is tsrunc's own (a foreground run/exec relays the terminal itself). */
  ownRelay: boolean;
}

/**
 * The console socket for a process that does or does not want a terminal: --console-socket, or
 * (foreground run/exec only: `ownConsole` given) tsrunc's own listener, made only when needed.
 */
export function chooseConsole(terminal: boolean, consoleSocket: string | undefined, ownConsole?: () => string): ConsoleChoice | undefined {
  if (terminal && !consoleSocket) {
    if (!ownConsole) throw new TsruncError('cannot allocate tty if tsrunc will detach without setting console socket');
    return { socketPath: path.resolve(ownConsole()), ownRelay: true };
  }
  if (!terminal && consoleSocket) throw new TsruncError('cannot use console socket if tsrunc will not detach or allocate tty');
  return consoleSocket ? { socketPath: path.resolve(consoleSocket), ownRelay: false } : undefined;
}

/** $LISTEN_FDS of this process: that many fds after stdio go to the container (0 when unset or bad). */
export function listenFds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number.parseInt(env.LISTEN_FDS ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** The relay of a terminal tsrunc shows itself (foreground-terminal.ts), loaded only when one is
 * used: it brings node:tty and node:fs, which a container without a terminal never needs. */
export function foregroundTerminal(): typeof ForegroundTerminal {
  return (require('./foreground-terminal') as typeof import('./foreground-terminal')).ForegroundTerminal;
}

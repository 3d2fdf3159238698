// The terminal of a foreground `run`/`exec` whose process has one and no --console-socket was
// given: tsrunc listens on a private console socket of its own, the launcher sends the pty's
// master there like to any client's, and tsrunc relays it to its own stdio (console.ts).
import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { addon } from '../native/addon';
import { makeConsoleSocketPath, proxyTerminal, receiveConsole, type TerminalProxy } from './console';

/** How long the output may keep coming after the process has exited (other processes can hold
 * the slave open; what they write later is not this process's output). */
const DRAIN_GRACE_MS = 200;
/** The launcher has sent the master before `create`/`exec` returns: it is already queued. */
const RECEIVE_TIMEOUT_MS = 5000;

export class ForegroundTerminal {
  private proxy?: TerminalProxy;
  private listenFd: number;

  private constructor(private readonly socket: { path: string; cleanup(): void }) {
    this.listenFd = addon().listenUnix(socket.path);
  }

  /** A listening console socket; give `socketPath` to the launcher as the console socket. */
  static listen(): ForegroundTerminal {
    return new ForegroundTerminal(makeConsoleSocketPath());
  }

  get socketPath(): string {
    return this.socket.path;
  }

  /** The caller's terminal size, for a process.consoleSize the config leaves out (so the process
   * never sees 0x0 before the first resize). */
  static callerSize(): { rows: number; cols: number } | undefined {
    const fd = [1, 0, 2].find((f) => tty.isatty(f));
    if (fd === undefined) return undefined;
    const { rows, cols } = addon().getWinsize(fd);
    return rows > 0 && cols > 0 ? { rows, cols } : undefined;
  }

  /** Receives the master and starts relaying. */
  attach(): { drained(): Promise<void> } {
    const master = receiveConsole(this.listenFd, RECEIVE_TIMEOUT_MS);
    this.closeListener();
    const proxy = proxyTerminal(master);
    this.proxy = proxy;
    return {
      drained: async () => {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([proxy.done, new Promise<void>((resolve) => { timer = setTimeout(resolve, DRAIN_GRACE_MS); })]);
        if (timer) clearTimeout(timer);
        proxy.stop();
      },
    };
  }

  private closeListener(): void {
    if (this.listenFd >= 0) {
      fs.closeSync(this.listenFd);
      this.listenFd = -1;
    }
    this.socket.cleanup();
  }

  /** Restores the caller's terminal and removes the socket; safe to call again. */
  close(): void {
    this.proxy?.stop();
    this.closeListener();
  }
}

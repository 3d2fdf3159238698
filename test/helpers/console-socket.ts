// Console sockets for tests, like runc's recvtty: a receiver listening where --console-socket
// points (startFdReceiver also serves --pidfd-socket, whose wire format is the same), a pty master
// read and written without blocking the event loop, waiting for output, and a stand-in for the
// container side (a python child that opens a pty, sends the master the way runc does and runs a
// shell on the slave).
//
// Run as a program (`node console-socket.js proxy-fixture COMMAND`), this file is the foreground
// side under test: it proxies its own terminal to such a pty with proxyTerminal, as `tsrunc run`
// does. test/integration/terminal/console.test.ts runs it under `script`, which gives it a real terminal.
import { execFileSync, spawn } from 'node:child_process';
import { after } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { makeConsoleSocketPath, proxyTerminal, PtyMaster, receiveConsole } from '../../src/container/console';
import { addon } from '../../src/native/addon';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls fd (never blocking the event loop) until it is readable or timeoutMs passes. */
async function readable(fd: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (addon().poll([fd], 0)[0] === 0) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export interface ConsoleReceiver {
  /** Where the console socket listens (pass it as --console-socket). */
  path: string;
  /** Accepts the next connection and receives the master it carries (close-on-exec). */
  master(timeoutMs?: number): Promise<number>;
  /** The payload of the last message received (runc: the pty's name inside the container). */
  lastName(): string | undefined;
  /** Stops listening and removes the socket. */
  close(): void;
}

/** One message received the way runc's --console-socket and --pidfd-socket send them. */
export interface ReceivedFd {
  /** The descriptor (close-on-exec), now the caller's. */
  fd: number;
  /** The message's data: the pty's name, or runc's kind of process for a pidfd. */
  data: string;
  /** With `checkClosed`: the sender's end closed within 2 s of the message (no process of the
   * container kept it). */
  senderClosed?: boolean;
}

export interface FdReceiver {
  /** Where the socket listens. */
  path: string;
  /** Accepts the next connection and receives the one descriptor it carries. */
  receive(timeoutMs?: number, checkClosed?: boolean): Promise<ReceivedFd>;
  /** Stops listening and removes the socket. */
  close(): void;
}

/** A listener for either protocol: one connection, one message, one SCM_RIGHTS descriptor. */
export async function startFdReceiver(): Promise<FdReceiver> {
  const where = makeConsoleSocketPath();
  const listenFd = addon().listenUnix(where.path);
  let closed = false;
  return {
    path: where.path,
    async receive(timeoutMs = 15_000, checkClosed = false): Promise<ReceivedFd> {
      await readable(listenFd, timeoutMs, `a connection on ${where.path}`);
      const conn = addon().acceptUnix(listenFd, 0);
      try {
        await readable(conn, timeoutMs, `a descriptor on ${where.path}`);
        const got = addon().recvFd(conn, 0);
        if (!checkClosed) return got;
        // End of file (not more data) within a short while: the sender let go of its end.
        let senderClosed = false;
        try {
          await readable(conn, 2_000, 'the sender to close');
          senderClosed = fs.readSync(conn, Buffer.alloc(1)) === 0;
        } catch { /* still open after 2 s */ }
        return { ...got, senderClosed };
      } finally {
        fs.closeSync(conn);
      }
    },
    close(): void {
      if (closed) return;
      closed = true;
      fs.closeSync(listenFd);
      where.cleanup();
    },
  };
}

export async function startConsoleReceiver(): Promise<ConsoleReceiver> {
  const receiver = await startFdReceiver();
  let name: string | undefined;
  return {
    path: receiver.path,
    async master(timeoutMs = 15_000): Promise<number> {
      const got = await receiver.receive(timeoutMs);
      name = got.data;
      return got.fd;
    },
    lastName: () => name,
    close: () => receiver.close(),
  };
}

/** Collects text from a stream of chunks and waits for patterns in it, in order. */
/**
 * Console receivers for one test file: `receiver()` starts one, and every receiver it started is
 * closed after the file.
 */
export function consoleReceiversForFile(): () => Promise<ConsoleReceiver> {
  const receivers: ConsoleReceiver[] = [];
  after(() => { for (const r of receivers) r.close(); });
  return async () => {
    const r = await startConsoleReceiver();
    receivers.push(r);
    return r;
  };
}

export class OutputWaiter {
  private text = '';
  private cursor = 0;
  private wake: Array<() => void> = [];

  feed(chunk: Buffer | string): void {
    this.text += chunk.toString();
    const waiters = this.wake;
    this.wake = [];
    for (const w of waiters) w();
  }

  /** Everything received so far. */
  all(): string { return this.text; }

  /**
   * Waits until pattern appears after the previous match; returns the text from there up to the
   * end of this match. A timeout fails with everything received, to show what came instead.
   */
  async waitFor(pattern: RegExp | string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.cursor);
      const found = typeof pattern === 'string'
        ? (rest.includes(pattern) ? { index: rest.indexOf(pattern), length: pattern.length } : undefined)
        : ((m) => (m ? { index: m.index ?? 0, length: m[0].length } : undefined))(rest.match(pattern));
      if (found) {
        const end = this.cursor + found.index + found.length;
        const seen = this.text.slice(this.cursor, end);
        this.cursor = end;
        return seen;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const tail = this.text.length > 1500 ? '...' + this.text.slice(-1500) : this.text;
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}; received:\n${JSON.stringify(tail)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }
}

/** A received master in a test: write to it, wait for output, see it end. */
export interface MasterSession extends Pick<OutputWaiter, 'waitFor' | 'all'> {
  fd: number;
  write(data: string | Buffer): void;
  /** Settles once every slave closed and all output was read. */
  ended: Promise<void>;
  close(): void;
}

/** Takes ownership of a master fd. */
export function openMaster(fd: number): MasterSession {
  const out = new OutputWaiter();
  const pty = new PtyMaster(fd, (chunk) => out.feed(chunk));
  return {
    fd,
    write: (data) => { pty.write(data); },
    waitFor: (pattern, timeoutMs) => out.waitFor(pattern, timeoutMs),
    all: () => out.all(),
    ended: pty.ended,
    close: () => pty.close(),
  };
}

// The container side, in python (its socket.send_fds is the same sendmsg runc makes): the slave is
// opened before the master is sent and stays open until the shell has it, as in runc's init, so
// the master never sees a moment without a slave. Exits with the shell's status (128+N for a
// signal).
const PTY_CHILD = `
import fcntl, os, pty, socket, sys, termios
sock_path, command = sys.argv[1], sys.argv[2]
master, slave = pty.openpty()
conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
conn.connect(sock_path)
socket.send_fds(conn, [os.ttyname(slave).encode()], [master])
conn.close()
os.close(master)
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)
    os.execvp('sh', ['sh', '-c', command])
os.close(slave)
_, status = os.waitpid(pid, 0)
sys.exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
`;

export interface PtyChild {
  child: ChildProcess;
  /** The shell's exit code (128+N for a signal). */
  exit: Promise<number>;
  /** What python wrote to stderr (its traceback if it failed). */
  stderr(): string;
}

/** Starts the stand-in container: `sh -c command` on a fresh pty whose master goes to socketPath. */
export function spawnPtyChild(socketPath: string, command: string): PtyChild {
  const child = spawn('python3', ['-c', PTY_CHILD, socketPath, command], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? 1 : 0)));
  });
  return { child, exit, stderr: () => err };
}

function stty(): string {
  try {
    return execFileSync('stty', ['-g'], { stdio: ['inherit', 'pipe', 'pipe'] }).toString().trim();
  } catch {
    return 'not-a-terminal';
  }
}

/**
 * The foreground proxy under test. Prints PID and OUTER (its terminal) first, proxies its terminal
 * to a pty running `command`, and once the proxy is done prints INNER-STATUS (the shell's exit
 * code, when it exited) and NODE-STTY (its terminal's settings while this process still runs),
 * then returns without exiting: the process must end by itself.
 * SIGUSR2 calls stop(), or with TSRUNC_FIXTURE_THROW=1 throws an uncaught exception instead.
 */
async function proxyFixture(command: string): Promise<void> {
  process.stdout.write(`PID=${process.pid}\r\nOUTER=${fs.readlinkSync('/proc/self/fd/0')}\r\n`);
  const where = makeConsoleSocketPath();
  const listenFd = addon().listenUnix(where.path);
  const inner = spawnPtyChild(where.path, command);
  let master: number;
  try {
    master = receiveConsole(listenFd, 15_000);
  } finally {
    fs.closeSync(listenFd);
    where.cleanup();
  }
  const proxy = proxyTerminal(master);
  process.on('SIGUSR2', () => {
    if (process.env.TSRUNC_FIXTURE_THROW === '1') throw new Error('fixture: an uncaught exception while proxying');
    proxy.stop();
  });
  await proxy.done;
  const status = await Promise.race([inner.exit, sleep(2_000).then(() => 'still running')]);
  process.stdout.write(`\r\nINNER-STATUS=${status}\r\nNODE-STTY=${stty()}\r\n`);
  // No process.exit: like bin/tsrunc, this process must end by itself once the proxy is done
  // (the caller's stdin, the master and every listener released).
}

if (require.main === module) {
  const [mode, command] = process.argv.slice(2);
  if (mode !== 'proxy-fixture' || command === undefined) {
    process.stderr.write('usage: console-socket.js proxy-fixture COMMAND\n');
    process.exit(2);
  }
  proxyFixture(command).catch((e: unknown) => {
    process.stderr.write(`proxy fixture: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}

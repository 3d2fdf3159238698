// The container's terminal as seen from the runtime: receiving the pty master over a console
// socket, reading and writing it from Node, and proxying it to the caller's own terminal (the
// foreground `run`/`exec` with `process.terminal` and no --console-socket, as runc does).
//
// How the master is read and written, and why:
// - fs.createReadStream on a master blocks a pool thread in read(2) that cannot be cancelled,
//   and ends with an EIO error. net.Socket({ fd }) refuses a tty ("Unsupported fd type: TTY").
// - tty.ReadStream works (libuv polls the fd and reads it on the event loop) with two caveats,
//   both measured on this host:
//   1. libuv treats POLLHUP after a short read as end of file without reading again. A master
//      reports POLLHUP as soon as its last slave closes, while the slave's last output can still
//      be queued in the tty layer: a `seq 1 100000` lost its last ~2 KiB about one time in three.
//      So the stream is opened half-open (it stays open on 'end') and the tail is then read
//      directly until the kernel says EIO (every slave closed and nothing left).
//   2. libuv writes to a master synchronously, on the event loop (it cannot reopen a master to
//      get a private non-blocking file description). A container that does not read its input
//      would block the whole runtime, output forwarding included, and since the pty echoes
//      input, a large paste could deadlock it. Writes therefore go through fs.write on a
//      duplicate of the master, in the thread pool, one at a time.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tty from 'node:tty';
import { TsruncError } from '../errors';
import { addon } from '../native/addon';

/** Input queued for the master beyond this makes write() ask the caller to pause. */
const WRITE_HIGH_WATER = 64 * 1024;
/** Retry delay when the master was handed over non-blocking and the pty's input is full. */
const WRITE_RETRY_MS = 10;
/** Upper bound on the tail read after hang-up; a pty holds far less. */
const MAX_TAIL_READS = 1024;

/** Accepts one connection on a listening console socket and receives the master from it. */
export function receiveConsole(listenFd: number, timeoutMs: number): number {
  const start = Date.now();
  let conn: number;
  try {
    conn = addon().acceptUnix(listenFd, timeoutMs);
  } catch (e) {
    throw new TsruncError(`receiving the console: ${(e as Error).message}`);
  }
  try {
    const left = timeoutMs < 0 ? -1 : Math.max(0, timeoutMs - (Date.now() - start));
    return receiveMaster(conn, left);
  } finally {
    fs.closeSync(conn);
  }
}

/** Receives the master from a connected socket (one message, one fd) and checks it is a tty. */
export function receiveMaster(sock: number, timeoutMs: number): number {
  let fd: number;
  try {
    fd = addon().recvFd(sock, timeoutMs).fd;
  } catch (e) {
    throw new TsruncError(`receiving the console: ${(e as Error).message}`);
  }
  if (!tty.isatty(fd)) {
    fs.closeSync(fd);
    throw new TsruncError('receiving the console: the received file descriptor is not a terminal');
  }
  return fd;
}

/** A fresh path for a console socket in a private directory under os.tmpdir(). */
export function makeConsoleSocketPath(): { path: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-console-'));
  return {
    path: path.join(dir, 'console.sock'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/**
 * A pty master owned by the runtime: every byte the pty outputs goes to onData, in order, until
 * every slave is closed (then `ended` settles) or close() is called. Takes ownership of fd.
 */
export class PtyMaster {
  /** Settles after the last output byte was delivered (all slaves closed), or on close(). */
  readonly ended: Promise<void>;
  /** A read failure other than the hang-up that ends every pty (rare; the stream ended there). */
  readError: Error | undefined;

  private readonly reader: tty.ReadStream;
  private readonly writeFd: number;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private writeFailed = false;
  private closed = false;
  private drainWaiters: Array<() => void> = [];
  private resolveEnded: () => void = () => undefined;

  constructor(readonly fd: number, private readonly onData: (chunk: Buffer) => void) {
    this.ended = new Promise((resolve) => { this.resolveEnded = resolve; });
    this.writeFd = addon().dupFd(fd);
    try {
      this.reader = new tty.ReadStream(fd, { allowHalfOpen: true });
    } catch (e) {
      fs.closeSync(this.writeFd);
      throw e;
    }
    this.reader.on('data', (chunk: Buffer) => this.onData(chunk));
    this.reader.on('end', () => {
      this.readTail();
      this.finish();
    });
    this.reader.on('error', (e: Error) => {
      // EIO is the normal end: libuv read until the kernel had nothing left for us.
      if (errnoCode(e) !== 'EIO') this.readError = e;
      this.finish();
    });
  }

  /** Queues input for the pty; false when the caller should wait for onceDrained(). */
  write(data: Buffer | string): boolean {
    if (this.closed || this.writeFailed) return false;
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    if (chunk.length > 0) {
      this.queue.push(chunk);
      this.queued += chunk.length;
      this.pump();
    }
    return this.queued < WRITE_HIGH_WATER;
  }

  /** Calls cb once the queued input is below the high-water mark again (or writing stopped). */
  onceDrained(cb: () => void): void {
    if (this.queued < WRITE_HIGH_WATER || this.closed || this.writeFailed) cb();
    else this.drainWaiters.push(cb);
  }

  pause(): void { this.reader.pause(); }
  resume(): void { this.reader.resume(); }

  /** Stops reading and writing and releases the master (a write still in the kernel keeps its
   * duplicate until it returns). Output not read yet is dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queued = 0;
    this.releaseDrainWaiters();
    if (!this.writing) fs.closeSync(this.writeFd);
    this.reader.destroy();
    this.resolveEnded();
  }

  private finish(): void {
    if (this.closed) return;
    this.reader.destroy();
    this.resolveEnded();
  }

  // Reads what the tty layer still held when libuv took the hang-up for end of file. After a
  // hang-up a read returns data or EIO and never blocks; poll guards against a slave opened again.
  private readTail(): void {
    const buf = Buffer.alloc(64 * 1024);
    for (let i = 0; i < MAX_TAIL_READS; i++) {
      if (addon().poll([this.fd], 0)[0] === 0) return;
      let n: number;
      try {
        n = fs.readSync(this.fd, buf, 0, buf.length, null);
      } catch {
        return; // EIO: all read (EAGAIN on a non-blocking master: nothing there either)
      }
      if (n <= 0) return;
      this.onData(Buffer.from(buf.subarray(0, n)));
    }
  }

  private pump(): void {
    if (this.writing || this.closed || this.queue.length === 0) return;
    const chunk = this.queue[0];
    this.writing = true;
    // On a thread of the addon's (see cpp/addon/ptywrite.cc for why not fs.write): the pty's
    // input may stay full for as long as the container does not read.
    const written = (err: NodeJS.ErrnoException | null, n: number): void => {
      this.writing = false;
      if (this.closed) {
        fs.closeSync(this.writeFd);
        return;
      }
      if (err && errnoCode(err) === 'EAGAIN') {
        setTimeout(() => this.pump(), WRITE_RETRY_MS);
        return;
      }
      if (err) {
        // EIO: no slave left to read it. Input has nowhere to go any more.
        this.writeFailed = true;
        this.queue.length = 0;
        this.queued = 0;
        this.releaseDrainWaiters();
        return;
      }
      this.queued -= n;
      if (n < chunk.length) this.queue[0] = chunk.subarray(n);
      else this.queue.shift();
      if (this.queued < WRITE_HIGH_WATER) this.releaseDrainWaiters();
      this.pump();
    };
    addon().writeOnThread(this.writeFd, chunk).then((n) => written(null, n), (err: NodeJS.ErrnoException) => written(err, 0));
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const cb of waiters) cb();
  }
}

export interface TerminalProxy {
  /** Settles when the pty's last slave closed and its output was copied, or on stop(). The
   * caller's terminal is restored by then. */
  done: Promise<void>;
  /** Stops copying, restores the caller's terminal, closes the master. Safe to call again. */
  stop(): void;
}

// Signals that end the process by default. Each gets a handler that restores the terminal and
// re-raises, but only when nothing else listens: a caller forwarding the signal to the container
// (the foreground run does) keeps the process, and the proxy, alive.
const FATAL_SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM'];

/** The first of stdout, stdin, stderr that is a terminal: where the window size comes from. */
function sizeSourceFd(): number | undefined {
  return [1, 0, 2].find((fd) => tty.isatty(fd));
}

/**
 * Connects the caller's stdio to the container's pty master (taking ownership of it), as runc
 * does for a foreground container with a terminal: stdin in raw mode when it is a terminal (so
 * Ctrl-C, Ctrl-Z, Ctrl-\ reach the container as bytes), stdin copied to the master and the
 * master to stdout, the master's window size following the caller's terminal (at start and on
 * every SIGWINCH; the kernel then signals the container's foreground process group itself).
 * Without a terminal on stdin the copying is the same (stdin may be a pipe).
 */
export function proxyTerminal(master: number): TerminalProxy {
  // As runc: the pty leaves "\n" alone, and the caller's terminal (raw, but with output
  // processing kept) turns it into "\r\n" once.
  addon().clearOnlcr(master);

  let stopped = false;
  let rawMode = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => { resolveDone = resolve; });
  const stdin = process.stdin;

  const restore = (): void => {
    if (!rawMode) return;
    rawMode = false;
    try { (stdin as tty.ReadStream).setRawMode(false); } catch { /* the terminal is gone */ }
  };

  const pty = new PtyMaster(master, (chunk) => {
    if (!process.stdout.write(chunk)) {
      pty.pause();
      process.stdout.once('drain', () => { if (!stopped) pty.resume(); });
    }
  });

  const sizeFd = sizeSourceFd();
  const resize = (): void => {
    if (sizeFd === undefined || stopped) return;
    try {
      const { rows, cols } = addon().getWinsize(sizeFd);
      addon().setWinsize(master, rows, cols);
    } catch { /* the caller's terminal or the pty is gone: nothing to follow */ }
  };

  const onInput = (chunk: Buffer | string): void => {
    if (!pty.write(chunk)) {
      stdin.pause();
      pty.onceDrained(() => { if (!stopped) stdin.resume(); });
    }
  };
  const onInputError = (): void => { stdin.off('data', onInput); };
  // Bun fails at once on a stdin it cannot read (a directory: EISDIR), Node reads end of file:
  // either way the output is relayed without input, as runc's is when its copy of stdin fails.
  const readInput = (): void => {
    try {
      stdin.on('data', onInput);
    } catch {
      onInputError();
    }
  };

  const fatal = new Map<NodeJS.Signals, () => void>();
  for (const sig of FATAL_SIGNALS) {
    fatal.set(sig, () => {
      if (process.listenerCount(sig) > 1) return;
      stop();
      process.kill(process.pid, sig);
    });
  }

  function stop(): void {
    if (stopped) return;
    stopped = true;
    restore();
    process.off('SIGWINCH', resize);
    process.off('exit', restore);
    for (const [sig, handler] of fatal) process.off(sig, handler);
    stdin.off('data', onInput);
    stdin.off('error', onInputError);
    stdin.pause();
    pty.close();
    resolveDone();
  }

  try {
    // Registered first, so that nothing below can leave the terminal raw: 'exit' also runs after
    // an uncaught exception.
    process.on('exit', restore);
    for (const [sig, handler] of fatal) process.on(sig, handler);
    if (stdin.isTTY) {
      (stdin as tty.ReadStream).setRawMode(true);
      rawMode = true;
    }
    if (sizeFd !== undefined) {
      resize();
      process.on('SIGWINCH', resize);
    }
    stdin.on('error', onInputError);
    readInput();
  } catch (e) {
    stop();
    throw e;
  }
  void pty.ended.then(stop);
  return { done, stop };
}

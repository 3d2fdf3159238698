// Terminals from the runtime's side: fds passed over unix sockets (the --console-socket
// protocol), a pty master read and written from Node, and the foreground proxy of the caller's
// terminal. The container side is played by a python child that opens a pty and sends the master
// as runc's init does; the caller's terminal is a real one, made by `script`.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeConsoleSocketPath, receiveConsole } from '../../../src/container/console';
import { TsruncError } from '../../../src/errors';
import { addon } from '../../../src/native/addon';
import {
  OutputWaiter, openMaster, spawnPtyChild, startConsoleReceiver,
} from '../../helpers/console-socket';
import type { ConsoleReceiver } from '../../helpers/console-socket';

const T = { timeout: 60_000 };
const O_CLOEXEC = 0o2000000;

const cleanups: Array<() => void> = [];
after(() => {
  for (const c of cleanups.reverse()) {
    try { c(); } catch { /* best effort */ }
  }
});

/** This process's open fds with what they refer to (without the one reading the directory). */
function openFds(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try { out.push(`${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`); } catch { /* the directory's own fd, closed by now */ }
  }
  return out.sort();
}

function fdFlags(fd: number): number {
  const m = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/^flags:\s+([0-7]+)/m);
  assert.ok(m, `no flags in /proc/self/fdinfo/${fd}`);
  return parseInt(m[1], 8);
}

/** A listening socket, a client connected to it, and the accepted end. */
function socketPair(): { client: number; server: number; close(): void } {
  const where = makeConsoleSocketPath();
  const listenFd = addon().listenUnix(where.path);
  const client = addon().connectUnix(where.path);
  const server = addon().acceptUnix(listenFd, 1000);
  fs.closeSync(listenFd);
  where.cleanup();
  return { client, server, close: () => { fs.closeSync(client); fs.closeSync(server); } };
}

function expectErrno(fn: () => unknown, code: string, syscall: string, extra?: RegExp): void {
  assert.throws(fn, (e: NodeJS.ErrnoException) => {
    assert.equal(e.code, code, `code of: ${e.message}`);
    assert.equal(e.syscall, syscall, `syscall of: ${e.message}`);
    assert.equal(typeof e.errno, 'number');
    if (extra) assert.match(e.message, extra);
    return true;
  });
}

function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'import socket; socket.send_fds'], { stdio: 'ignore' }).status === 0;
}

describe('fd passing (addon)', () => {
  test('sendFd → recvFd: the same file arrives close-on-exec, with the data', T, () => {
    const s = socketPair();
    const where = makeConsoleSocketPath();
    cleanups.push(where.cleanup);
    const file = where.path + '.file';
    const fd = fs.openSync(file, 'w');
    try {
      addon().sendFd(s.client, fd, '/dev/pts/7');
      const got = addon().recvFd(s.server, 1000);
      assert.equal(got.data, '/dev/pts/7');
      assert.notEqual(got.fd, fd);
      const a = fs.fstatSync(fd), b = fs.fstatSync(got.fd);
      assert.deepEqual([b.dev, b.ino], [a.dev, a.ino], 'the received fd is another file');
      assert.ok(fdFlags(got.fd) & O_CLOEXEC, 'the received fd is not close-on-exec');
      fs.closeSync(got.fd);
      // Empty data still carries the descriptor (a stream socket would drop it with no byte).
      addon().sendFd(s.client, fd, '');
      const empty = addon().recvFd(s.server, 1000);
      assert.equal(empty.data, '\0');
      fs.closeSync(empty.fd);
    } finally {
      fs.closeSync(fd);
      s.close();
    }
  });

  test('recvFd refuses messages that are not one descriptor, leaving nothing open', T, async (t) => {
    const s = socketPair();
    try {
      const before = openFds();
      fs.writeSync(s.client, 'no descriptor here');
      expectErrno(() => addon().recvFd(s.server, 1000), 'ENOMSG', 'recvmsg', /without a file descriptor/);
      expectErrno(() => addon().recvFd(s.server, 50), 'ETIMEDOUT', 'recvmsg');
      assert.deepEqual(openFds(), before);
    } finally {
      s.close();
    }
    const closed = socketPair();
    fs.closeSync(closed.client);
    expectErrno(() => addon().recvFd(closed.server, 1000), 'ENOMSG', 'recvmsg', /closed the connection/);
    fs.closeSync(closed.server);

    if (!hasPython()) { t.skip('python3 with socket.send_fds is needed to send two descriptors'); return; }
    const where = makeConsoleSocketPath();
    cleanups.push(where.cleanup);
    const listenFd = addon().listenUnix(where.path);
    const py = spawn('python3', ['-c', `
import socket, sys
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(sys.argv[1])
socket.send_fds(c, [b'two'], [0, 1]); c.recv(1)`, where.path], { stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      while (addon().poll([listenFd], 0)[0] === 0) await new Promise((r) => setTimeout(r, 10));
      const conn = addon().acceptUnix(listenFd, 0);
      while (addon().poll([conn], 0)[0] === 0) await new Promise((r) => setTimeout(r, 10));
      const before = openFds();
      expectErrno(() => addon().recvFd(conn, 0), 'EBADMSG', 'recvmsg', /expected 1 file descriptor, got 2/);
      assert.deepEqual(openFds(), before, 'descriptors of a refused message stayed open');
      fs.closeSync(conn);
    } finally {
      fs.closeSync(listenFd);
      py.kill();
    }
  });

  test('errors name the call, the path and errno', T, () => {
    const where = makeConsoleSocketPath();
    cleanups.push(where.cleanup);
    const listenFd = addon().listenUnix(where.path);
    try {
      expectErrno(() => addon().listenUnix(where.path), 'EADDRINUSE', 'bind', new RegExp(`^bind ${where.path}: `));
      expectErrno(() => addon().acceptUnix(listenFd, 30), 'ETIMEDOUT', 'accept');
    } finally {
      fs.closeSync(listenFd);
    }
    const missing = path.join(path.dirname(where.path), 'missing.sock');
    assert.throws(() => addon().connectUnix(missing), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.path === missing && e.syscall === 'connect');
    expectErrno(() => addon().connectUnix('/tmp/' + 'x'.repeat(200)), 'ENAMETOOLONG', 'connect');
    expectErrno(() => addon().getWinsize(fs.openSync('/dev/null', 'r')), 'ENOTTY', 'ioctl TIOCGWINSZ');
    assert.throws(() => addon().setWinsize(0, -1, 80), TypeError);
  });

  test('receiveConsole takes a terminal and refuses anything else', T, () => {
    const where = makeConsoleSocketPath();
    cleanups.push(where.cleanup);
    const listenFd = addon().listenUnix(where.path);
    try {
      assert.throws(() => receiveConsole(listenFd, 30), (e: Error) => e instanceof TsruncError && /receiving the console: accept: .*ETIMEDOUT/.test(e.message));
      const client = addon().connectUnix(where.path);
      const devnull = fs.openSync('/dev/null', 'r');
      addon().sendFd(client, devnull, 'not-a-tty');
      fs.closeSync(devnull);
      fs.closeSync(client); // the message stays queued for the accepted end
      const before = openFds();
      assert.throws(() => receiveConsole(listenFd, 1000), (e: Error) => e instanceof TsruncError && /not a terminal/.test(e.message));
      assert.deepEqual(openFds(), before, 'the refused descriptor or the connection stayed open');
    } finally {
      fs.closeSync(listenFd);
    }
  });
});

describe('a pty received over a console socket', { skip: hasPython() ? undefined : 'python3 with socket.send_fds is needed' }, () => {
  let receiver: ConsoleReceiver;

  async function sharedReceiver(): Promise<ConsoleReceiver> {
    if (!receiver) {
      receiver = await startConsoleReceiver();
      cleanups.push(() => receiver.close());
    }
    return receiver;
  }

  test('commands echo through it, the window size and the tty name are the pty\'s, the exit ends it', T, async () => {
    const rcv = await sharedReceiver();
    const child = spawnPtyChild(rcv.path, 'exec sh -i');
    const m = openMaster(await rcv.master());
    try {
      const name = addon().ptsName(m.fd);
      assert.match(name, /^\/dev\/pts\/\d+$/);
      assert.equal(rcv.lastName(), name, 'the message\'s data is the pty\'s name');
      m.write('echo hi-$((6*7))\n');
      await m.waitFor('hi-42');
      addon().setWinsize(m.fd, 24, 91);
      assert.deepEqual(addon().getWinsize(m.fd), { rows: 24, cols: 91 });
      m.write('stty size\n');
      // Not at a line's start: input typed before the shell printed its prompt is echoed first, and
      // the prompt then lands in front of the output ("# 24 91", seen under load).
      await m.waitFor(/\b24 91\r?\n/);
      m.write('tty\n');
      await m.waitFor(`${name}\r`); // after the prompt, on the same line
      m.write('exit 3\n');
      await m.ended;
      assert.equal(await child.exit, 3, child.stderr());
    } finally {
      m.close();
      child.child.kill('SIGKILL');
    }
  });

  test('all output arrives, up to the last byte written before the slave closed', T, async () => {
    const rcv = await sharedReceiver();
    const lines = 20000;
    const expected = Array.from({ length: lines }, (_, i) => `${i + 1}\r\n`).join('');
    // The loss this guards against happened about one run in three; eight runs make missing it
    // unlikely.
    for (let run = 0; run < 8; run++) {
      const child = spawnPtyChild(rcv.path, `seq 1 ${lines}`);
      const m = openMaster(await rcv.master());
      await m.ended;
      m.close();
      assert.equal(await child.exit, 0, child.stderr());
      const got = m.all();
      assert.equal(got.length, expected.length, `run ${run}: ${expected.length - got.length} bytes lost; ends with ${JSON.stringify(got.slice(-30))}`);
      assert.equal(got, expected);
    }
  });

  test('input the container does not read yet never blocks the event loop', T, async () => {
    const rcv = await sharedReceiver();
    // The shell reads nothing for 2 s while far more than the pty buffers is written; the pty
    // echoes all of it (ECHO on), so the output must keep flowing while the input waits.
    const line = 'x'.repeat(99) + '\n';
    const count = 2600;
    const child = spawnPtyChild(rcv.path, 'sleep 2; wc -c');
    const m = openMaster(await rcv.master());
    let last = Date.now();
    let worst = 0;
    const ticker = setInterval(() => { const now = Date.now(); worst = Math.max(worst, now - last); last = now; }, 10);
    try {
      m.write(line.repeat(count));
      m.write('\x04'); // end of input for wc (at the start of a line)
      // (not anchored: the pty drops echoes when its echo buffer overflows, so the last echoed
      // line may be cut short before wc's count)
      await m.waitFor(new RegExp(`${line.length * count}\\r?\\n`), 30_000);
      await m.ended;
      assert.equal(await child.exit, 0, child.stderr());
      assert.ok(worst < 1000, `the event loop stalled for ${worst} ms while input waited`);
    } finally {
      clearInterval(ticker);
      m.close();
      child.child.kill('SIGKILL');
    }
  });
});

// --- the foreground proxy under a real terminal ---------------------------------------------

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const FIXTURE = path.join(__dirname, '..', '..', 'helpers', 'console-socket.js');

// The inner shell waits for lines: "size" prints its pty's size, "quit" exits 7, anything else is
// echoed back as got:LINE. A Ctrl-C reaching it as a byte is its SIGINT, trapped.
const INNER = `echo READY; trap 'echo INTERRUPTED' INT; while :; do if read line; then case $line in size) stty size;; quit) exit 7;; *) echo "got:$line";; esac; fi; done`;

interface UnderScript {
  out: OutputWaiter;
  send(text: string): void;
  /** The proxy's terminal (the slave script made). */
  outer: string;
  pid: number;
  exit: Promise<number | null>;
  field(name: string): string | undefined;
  kill(): void;
}

/**
 * `script` makes a terminal (33x77) and runs, in it: print BEFORE (stty -g), run the proxy
 * fixture, print its STATUS, print AFTER (stty -g) — so the terminal's settings are read after the
 * proxy ended however it ended.
 */
async function underScript(env: NodeJS.ProcessEnv = {}): Promise<UnderScript> {
  const cmd = `stty rows 33 cols 77; echo BEFORE=$(stty -g); ${shq(process.execPath)} ${shq(FIXTURE)} proxy-fixture ${shq(INNER)}; echo STATUS=$?; echo AFTER=$(stty -g)`;
  const p = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, ...env, SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new OutputWaiter();
  p.stdout.on('data', (d: Buffer) => out.feed(d));
  p.stderr.on('data', (d: Buffer) => out.feed(d));
  const exit = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  const field = (name: string): string | undefined => out.all().match(new RegExp(`(?<![\\w-])${name}=(\\S+)`))?.[1];
  await out.waitFor(/OUTER=\S+/);
  const pid = Number(field('PID'));
  const s: UnderScript = {
    out,
    send: (text) => { p.stdin.write(text); },
    outer: field('OUTER') as string,
    pid,
    exit,
    field,
    kill: () => {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      p.kill('SIGKILL');
    },
  };
  cleanups.push(s.kill);
  return s;
}

function outerSettings(tty: string): string {
  return execFileSync('stty', ['-F', tty, '-a']).toString();
}

function hasScript(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

const proxySkip = !hasScript() ? 'util-linux script is not installed' : !hasPython() ? 'python3 with socket.send_fds is needed' : undefined;

describe('proxyTerminal under a real terminal', { skip: proxySkip }, () => {
  test('raw mode while proxying, window size at start and on resize, Ctrl-C as a byte, restored at the end', T, async () => {
    const s = await underScript();
    try {
      await s.out.waitFor('READY');
      const during = outerSettings(s.outer);
      for (const flag of ['-icanon', '-isig', '-echo']) assert.match(during, new RegExp(`(^|\\s)${flag}(\\s|$)`, 'm'), `the proxy's terminal is not raw (${flag}):\n${during}`);

      s.send('size\n');
      await s.out.waitFor(/^33 77\r$/m);

      execFileSync('stty', ['-F', s.outer, 'rows', '40', 'cols', '100']);
      // The SIGWINCH and the keystrokes travel separately: ask until the new size shows.
      let size = '';
      for (let i = 0; i < 20 && size !== '40 100'; i++) {
        s.send('size\n');
        size = (await s.out.waitFor(/^\d+ \d+\r$/m)).trim().split('\n').pop()?.trim() ?? '';
        if (size !== '40 100') await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(size, '40 100', 'the resize did not reach the container\'s pty');

      s.send('hello\n');
      const echoed = await s.out.waitFor(/got:hello\r+\n/);
      assert.ok(!/got:hello\r\r\n/.test(echoed), `"\\n" was translated twice (ONLCR left on the master): ${JSON.stringify(echoed)}`);

      s.send('\x03');
      await s.out.waitFor('INTERRUPTED');
      s.send('still-here\n');
      await s.out.waitFor('got:still-here');

      s.send('quit\n');
      await s.out.waitFor(/AFTER=\S+/, 15_000);
      assert.equal(s.field('INNER-STATUS'), '7');
      assert.equal(s.field('STATUS'), '0');
      const before = s.field('BEFORE');
      assert.equal(s.field('NODE-STTY'), before, 'the terminal was not restored when the container exited');
      assert.equal(s.field('AFTER'), before);
      assert.equal(await s.exit, 0);
    } finally {
      s.kill();
    }
  });

  test('stop() restores the terminal at once', T, async () => {
    const s = await underScript();
    try {
      await s.out.waitFor('READY');
      assert.ok(outerSettings(s.outer).includes('-icanon'));
      process.kill(s.pid, 'SIGUSR2');
      await s.out.waitFor(/AFTER=\S+/, 15_000);
      assert.equal(s.field('NODE-STTY'), s.field('BEFORE'), 'stop() left the terminal raw');
      assert.equal(s.field('STATUS'), '0');
    } finally {
      s.kill();
    }
  });

  test('a signal that ends the proxy restores the terminal first', T, async () => {
    const s = await underScript();
    try {
      await s.out.waitFor('READY');
      assert.ok(outerSettings(s.outer).includes('-icanon'));
      process.kill(s.pid, 'SIGHUP');
      await s.out.waitFor(/AFTER=\S+/, 15_000);
      assert.equal(s.field('STATUS'), '129', 'the proxy did not die of SIGHUP');
      assert.equal(s.field('AFTER'), s.field('BEFORE'), 'SIGHUP left the terminal raw');
    } finally {
      s.kill();
    }
  });

  test('an uncaught exception restores the terminal', T, async () => {
    const s = await underScript({ TSRUNC_FIXTURE_THROW: '1' });
    try {
      await s.out.waitFor('READY');
      process.kill(s.pid, 'SIGUSR2');
      await s.out.waitFor(/AFTER=\S+/, 15_000);
      assert.notEqual(s.field('STATUS'), '0');
      assert.equal(s.field('AFTER'), s.field('BEFORE'), 'the exception left the terminal raw');
    } finally {
      s.kill();
    }
  });

  test('without a terminal on stdin, a pipe is copied in and the output out', T, async () => {
    const p = spawn(process.execPath, [FIXTURE, 'proxy-fixture', 'read line; echo "in:$line"; exit 5'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = new OutputWaiter();
    p.stdout.on('data', (d: Buffer) => out.feed(d));
    p.stderr.on('data', (d: Buffer) => out.feed(d));
    cleanups.push(() => p.kill('SIGKILL'));
    p.stdin.write('piped\n');
    await out.waitFor('in:piped');
    await out.waitFor(/INNER-STATUS=5/, 15_000);
    assert.equal(await new Promise((r) => p.on('close', r)), 0);
  });
});

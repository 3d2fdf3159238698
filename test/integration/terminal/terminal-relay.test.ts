// The foreground relay of a terminal container (`run` and `exec -t` without --console-socket), seen
// from the caller's side: what happens when the caller does not keep up with the container's output,
// when the container does not read its input, when the caller's stdin cannot be read, when the
// runtime gets SIGTERM, when another process of the container keeps the pty open, and that the
// runtime's private console socket leaves nothing behind. Each case runs against runc 1.1.5 first
// (its relay is a pair of blocking copies and a socketpair), except the one about the window size
// the process starts with, which runc does not set from the caller's terminal. And, for contrast, the
// pty a --console-socket client gets, which the runtime leaves as runc does.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { consoleReceiversForFile, OutputWaiter, openMaster } from '../../helpers/console-socket';
import type { Bundle, BundleOptions } from '../../helpers/rootfs';
import { sleep, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, scratchDirsForFile, TEST_TIMEOUT, waitForFileContent, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;
const scratch = scratchDirsForFile('tsrunc-relay-');
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

function both(name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>): void {
  forEachRuntime(pair, name, fn);
}

interface Started {
  /** The runtime's stdin (written by the test) and stdout. */
  stdin: Writable;
  stdout: Readable;
  /** stdout and stderr together, once reading() was called. */
  out: OutputWaiter;
  /** Starts reading stdout (not read until then, so that the pipe fills). */
  reading(): void;
  /** The runtime's own pid. */
  pid(): Promise<number>;
  exit: Promise<{ code: number | null }>;
  kill(): void;
}

/**
 * The runtime in a session of its own whose controlling terminal is a pty made by `script` (runc
 * opens /dev/tty for a foreground terminal and fails without one), with stdin, stdout and stderr
 * connections of the test's instead (stdin may be a descriptor given), TMPDIR as given.
 */
function start(rt: Runtime, args: string[], o: { stdin?: number | Duplex; tmpdir?: string } = {}): Started {
  const env = { ...process.env, SHELL: '/bin/sh', ...(o.tmpdir ? { TMPDIR: o.tmpdir } : {}) };
  const pidFile = path.join(scratch(), 'pid');
  const cmd = `echo $$ > ${pidFile}; exec ${[...rt.argv, '--root', rt.root, ...args].map(shellWord).join(' ')} <&3 >&4 2>&5`;
  const p = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['pipe', 'ignore', 'ignore', o.stdin ?? 'pipe', 'pipe', 'pipe'] });
  const io = p.stdio as unknown as Array<Readable & Writable>;
  const stdin: Writable = io[3];
  const stdout: Readable = io[4];
  stdin?.on('error', () => { /* the runtime may exit without reading all of it */ });
  const out = new OutputWaiter();
  io[5].on('data', (d: Buffer) => out.feed(d));
  const exit = new Promise<{ code: number | null }>((resolve) => p.on('exit', (code) => resolve({ code })));
  let read = false;
  const pid = async (): Promise<number> => Number(await waitForFileContent(pidFile, /^\d+\n/));
  return {
    stdin, stdout, out, exit, pid,
    reading: () => { if (!read) { read = true; stdout.on('data', (d: Buffer) => out.feed(d)); } },
    kill: () => {
      try { process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGKILL'); } catch { /* gone, or never started */ }
      p.kill('SIGKILL');
    },
  };
}

/** A shell word for any string. */
const shellWord = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The exit status, or a failure naming what came out when the runtime has not exited in time. */
async function exitWithin(s: Started, ms: number, what: string): Promise<{ code: number | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), ms); });
  const r = await Promise.race([s.exit, late]);
  clearTimeout(timer);
  if (r === 'late') assert.fail(`${what}: still running after ${ms} ms; output: ${JSON.stringify(s.out.all().slice(-500))}`);
  return r;
}

/** A host directory bound at /x in the container, for files the test and the container exchange. */
function withShared(extra: BundleOptions): { dir: string; opts: BundleOptions } {
  const dir = scratch();
  fs.chmodSync(dir, 0o777);
  return { dir, opts: { ...extra, mounts: [{ destination: '/x', type: 'bind', source: dir, options: ['rbind', 'rw'] }] } };
}

/** Waits for /x/go in the container. */
const WAIT_GO = 'while [ ! -e /x/go ]; do sleep 0.05; done';

/** A connected unix socket (`end`) whose peer has a byte it will not read; reset() closes the peer. */
async function connectionToReset(): Promise<{ end: net.Socket; reset(): void; close(): void }> {
  const where = path.join(scratch(), 'reset.sock');
  let peer: net.Socket | undefined;
  const server = net.createServer({ pauseOnConnect: true }, (c) => { peer = c; });
  await new Promise<void>((resolve) => server.listen(where, resolve));
  const end = net.connect(where);
  end.on('error', () => { /* reset by the peer, as intended */ });
  await new Promise<void>((resolve) => end.on('connect', resolve));
  await new Promise<void>((resolve) => end.write('x', () => resolve()));
  while (!peer) await sleep(10);
  const close = (): void => { peer?.destroy(); server.close(); };
  return { end, reset: close, close: () => { end.destroy(); close(); } };
}

describe(`foreground terminal relay (${sut.label}${pair.ref ? ', each case also against runc' : ''})`, () => {
  // 4 MiB is far more than the pipe, the pty and a stream's buffer hold together (a few hundred
  // KiB): a relay that waits for its reader leaves the container blocked in its first MiB.
  both('run with stdout not read: the container waits for the reader, then every byte arrives and the status', async (_t, rt) => {
    const piece = 1 << 20;
    const inner = `for i in 1 2 3 4; do yes 0123456789abcde | head -c ${piece}; echo $i > /x/progress; done; echo END; exit 3`;
    const { dir, opts } = withShared({ args: ['sh', '-c', inner], terminal: true });
    await withContainer(rt, 'trl-slow', opts, async (b, id) => {
      const s = start(rt, ['run', '--bundle', b.dir, id]);
      try {
        const progress = (): number => Number(fs.existsSync(path.join(dir, 'progress')) ? fs.readFileSync(path.join(dir, 'progress'), 'utf8') : 0);
        for (let waited = 0; waited < 3000; waited += 100) {
          assert.ok(progress() < 2, `the container wrote ${progress()} MiB while nobody read the runtime's stdout: the runtime buffered them`);
          await sleep(100);
        }
        let bytes = 0;
        let tail = '';
        s.stdout.on('data', (d: Buffer) => { bytes += d.length; tail = (tail + d.toString()).slice(-64); });
        const r = await exitWithin(s, 30_000, 'run');
        assert.deepEqual({ code: r.code, progress: progress() }, { code: 3, progress: 4 }, s.out.all());
        // The pty may turn "\n" into "\r\n" (one per 16-byte line of yes): count the lines' bytes.
        const lines = (4 * piece) / 16;
        assert.ok(bytes === 4 * piece + 4 || bytes === 4 * piece + lines + 5, `${bytes} bytes arrived, ending ${JSON.stringify(tail)}`);
        assert.match(tail, /END\r?\n$/);
      } finally {
        s.kill();
      }
    });
  });

  both('run whose container does not read its input: the runtime stops reading stdin too, and exits with the container although stdin stays open', async (_t, rt) => {
    const inner = `echo READY; ${WAIT_GO}; echo BYE; exit 3`;
    const { dir, opts } = withShared({ args: ['sh', '-c', inner], terminal: true });
    await withContainer(rt, 'trl-input', opts, async (b, id) => {
      const s = start(rt, ['run', '--bundle', b.dir, id]);
      s.reading();
      try {
        await s.out.waitFor('READY', 20_000);
        const size = 4 << 20;
        s.stdin.write(Buffer.alloc(size, 'x\n'));
        await sleep(1500);
        const taken = size - s.stdin.writableLength;
        assert.ok(taken < 1 << 20, `the runtime read ${taken} bytes of input the container never asked for`);
        fs.writeFileSync(path.join(dir, 'go'), '');
        const r = await exitWithin(s, 15_000, 'run, after its container exited, with stdin still open');
        assert.equal(r.code, 3, s.out.all());
        assert.match(s.out.all(), /BYE/);
      } finally {
        s.kill();
      }
    });
  });

  // Bun refuses to make process.stdin of a directory at all (EISDIR from fstat); Node reads end of
  // file. runc's copy of stdin fails and the container runs on without input.
  both('run with stdin a directory: the container runs as usual and its status comes back', async (_t, rt) => {
    const fd = fs.openSync('/', 'r');
    try {
      await withContainer(rt, 'trl-eisdir', { args: ['sh', '-c', 'sleep 0.3; echo hello; exit 3'], terminal: true }, async (b, id) => {
        const s = start(rt, ['run', '--bundle', b.dir, id], { stdin: fd });
        s.reading();
        try {
          const r = await exitWithin(s, 20_000, 'run');
          assert.equal(r.code, 3, s.out.all());
          assert.match(s.out.all(), /hello\r?\n/);
        } finally {
          s.kill();
        }
      });
    } finally {
      fs.closeSync(fd);
    }
  });

  // A unix socket whose peer closed with data it never read: the next read of this end fails with
  // ECONNRESET, an error event on the runtime's stdin rather than end of file.
  both('run whose stdin fails with ECONNRESET while the container runs: the relay goes on and the status comes back', async (_t, rt) => {
    const conn = await connectionToReset();
    const { dir, opts } = withShared({ args: ['sh', '-c', `echo READY; ${WAIT_GO}; echo BYE; exit 3`], terminal: true });
    try {
      await withContainer(rt, 'trl-reset', opts, async (b, id) => {
        const s = start(rt, ['run', '--bundle', b.dir, id], { stdin: conn.end });
        conn.end.destroy();
        s.reading();
        try {
          await s.out.waitFor('READY', 20_000);
          conn.reset();
          await sleep(300);
          fs.writeFileSync(path.join(dir, 'go'), '');
          const r = await exitWithin(s, 15_000, 'run');
          assert.equal(r.code, 3, s.out.all());
          assert.match(s.out.all(), /BYE\r?\n/);
        } finally {
          s.kill();
        }
      });
    } finally {
      conn.close();
    }
  });

  both('SIGTERM to run reaches the container once, and the relay goes on', async (_t, rt) => {
    const inner = 'trap "echo TERM-SEEN" TERM; echo READY; while :; do if read line; then case $line in quit) exit 7;; *) echo "got:$line";; esac; fi; done';
    await withContainer(rt, 'trl-term', { args: ['sh', '-c', inner], terminal: true }, async (b, id) => {
      const s = start(rt, ['run', '--bundle', b.dir, id]);
      s.reading();
      try {
        await s.out.waitFor('READY', 20_000);
        process.kill(await s.pid(), 'SIGTERM');
        await s.out.waitFor('TERM-SEEN');
        s.stdin.write('after\n');
        await s.out.waitFor(/got:after\r?\n/);
        s.stdin.write('quit\n');
        const r = await exitWithin(s, 15_000, 'run');
        assert.equal(r.code, 7, s.out.all());
        assert.equal(s.out.all().split('TERM-SEEN').length - 1, 1, `one SIGTERM, one trap: ${JSON.stringify(s.out.all())}`);
      } finally {
        s.kill();
      }
    });
  });

  both('exec -t whose process leaves a background child on the pty: exec returns with the process\'s status, not the child\'s', async (_t, rt) => {
    await withContainer(rt, 'trl-bg', { args: ['sleep', '120'] }, async (b, id) => {
      expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
      // (The child does not outlive its session leader here, with either runtime, even when it
      // ignores SIGHUP: the relay's grace period after the exit is not what this reaches.)
      const s = start(rt, ['exec', '-t', id, 'sh', '-c', 'sleep 100 & echo started; exit 3']);
      s.reading();
      try {
        const r = await exitWithin(s, 15_000, 'exec -t');
        assert.equal(r.code, 3, s.out.all());
        assert.match(s.out.all(), /started/);
      } finally {
        s.kill();
      }
    });
  });

  /** Unix sockets of this network namespace bound under dir (a listening one stays listed after its file is removed). */
  const socketsUnder = (dir: string): string[] => fs.readFileSync('/proc/net/unix', 'utf8').split('\n').filter((l) => l.includes(` ${dir}/`));

  both('run and exec -t leave nothing in TMPDIR and no listening socket, when they work and when the process cannot start', async (_t, rt) => {
    const tmp = scratch();
    const { dir, opts } = withShared({ args: ['sh', '-c', `echo READY; ${WAIT_GO}; exit 4`], terminal: true });
    await withContainer(rt, 'trl-tmp', opts, async (b, id) => {
      const s = start(rt, ['run', '--bundle', b.dir, id], { tmpdir: tmp });
      s.reading();
      try {
        await s.out.waitFor('READY', 20_000);
        assert.deepEqual(socketsUnder(tmp), [], 'a socket of the runtime still listens while the container runs');
        const e = start(rt, ['exec', '-t', id, 'sh', '-c', 'echo IN-EXEC; sleep 0.3; exit 6'], { tmpdir: tmp });
        e.reading();
        await e.out.waitFor('IN-EXEC', 20_000);
        assert.deepEqual(socketsUnder(tmp), [], 'a socket of exec -t still listens while its process runs');
        assert.equal((await exitWithin(e, 15_000, 'exec -t')).code, 6, e.out.all());
        const bad = start(rt, ['exec', '-t', id, '/no/such/program'], { tmpdir: tmp });
        bad.reading();
        assert.notEqual((await exitWithin(bad, 15_000, 'exec -t of a missing program')).code, 0, bad.out.all());
        fs.writeFileSync(path.join(dir, 'go'), '');
        assert.equal((await exitWithin(s, 15_000, 'run')).code, 4, s.out.all());
      } finally {
        s.kill();
      }
    });
    await withContainer(rt, 'trl-tmp-bad', { args: ['/no/such/program'], terminal: true }, async (b, id) => {
      const s = start(rt, ['run', '--bundle', b.dir, id], { tmpdir: tmp });
      s.reading();
      try {
        assert.notEqual((await exitWithin(s, 20_000, 'run of a missing program')).code, 0, s.out.all());
      } finally {
        s.kill();
      }
    });
    assert.deepEqual(fs.readdirSync(tmp), [], `left in TMPDIR (${tmp})`);
  });
});

// The relay is done with the caller's stdout once the container has exited, but the runtime is
// not: `run` deletes the container next, poststop hooks included. Its stdout must stay open (not be
// closed, nor its number reused for a file) until it exits. tsrunc only: runc needs a controlling
// terminal, and `script`, which gives it one, holds the same stdout open itself.
test(`run: stdout stays open until the poststop hooks have run (${sut.label})`, TEST_TIMEOUT, async () => {
  const { dir, opts } = withShared({ args: ['sh', '-c', 'echo hello; exit 3'], terminal: true });
  await withContainer(sut, 'trl-eof', opts, async (b, id) => {
    const hook = path.join(b.dir, 'poststop.sh');
    fs.writeFileSync(hook, `#!/bin/sh\nsleep 1\ntouch ${dir}/poststop-done\n`, { mode: 0o755 });
    (b.spec as { hooks?: unknown }).hooks = { poststop: [{ path: hook }] };
    b.writeSpec();
    const p = spawn(sut.argv[0], [...sut.argv.slice(1), '--root', sut.root, 'run', '--bundle', b.dir, id], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const eof = new Promise<boolean>((resolve) => p.stdout.on('end', () => resolve(fs.existsSync(path.join(dir, 'poststop-done')))));
    const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
    assert.equal(code, 3);
    assert.equal(await eof, true, 'stdout ended before the poststop hook had run');
    assert.match(out, /^hello\r?\n$/);
  });
});

// What a --console-socket client (containerd, conmon) gets is the pty as runc leaves it, output
// processing on: "\n" reaches the client as "\r\n". Only a master the runtime relays itself has
// ONLCR cleared (and the caller's size).
describe(`a pty sent to --console-socket (${sut.label}${pair.ref ? ', each case also against runc' : ''})`, () => {
  const receiver = consoleReceiversForFile();
  const probe = 'printf "one\\ntwo\\n"; echo DONE; sleep 5';
  both('create --console-socket and exec --tty --console-socket: "\\n" arrives as "\\r\\n"', async (_t, rt) => {
    await withContainer(rt, 'trl-sock', { args: ['sh', '-c', probe], terminal: true }, async (b, id) => {
      const rcv = await receiver();
      const created = rt.exec(['create', '--console-socket', rcv.path, '--bundle', b.dir, id]);
      const init = openMaster(await rcv.master());
      try {
        expectOk(await created, 'create --console-socket');
        expectOk(await rt.exec(['start', id]), 'start');
        assert.equal(await init.waitFor('DONE'), 'one\r\ntwo\r\nDONE');
        const ercv = await receiver();
        const started = rt.exec(['exec', '--tty', '--console-socket', ercv.path, '--detach', id, 'sh', '-c', probe]);
        const exec = openMaster(await ercv.master());
        try {
          expectOk(await started, 'exec --tty --console-socket --detach');
          assert.equal(await exec.waitFor('DONE'), 'one\r\ntwo\r\nDONE');
        } finally {
          exec.close();
        }
      } finally {
        init.close();
      }
    });
  });
});

// tsrunc starts the pty at the caller's size when the config gives none (runc 1.1.5 leaves it 0x0
// until its relay's first resize, after start): a poststart hook, which runs before tsrunc relays,
// reads the size the process started with. A terminal that reports a zero dimension has no size.
describe(`the pty's first size from the caller's terminal (${sut.label})`, () => {
  for (const [rows, cols, expected] of [[33, 77, '33 77'], [40, 0, '0 0'], [0, 100, '0 0']] as const) {
    test(`a caller's terminal of ${rows}x${cols}: the process starts at ${expected}`, { ...TEST_TIMEOUT, skip: hasScript ? undefined : 'util-linux script is not installed' }, async () => {
      const { dir, opts } = withShared({ args: ['sh', '-c', 'while [ ! -e /x/size ]; do sleep 0.05; done; exit 5'], terminal: true });
      await withContainer(sut, 'trl-size', opts, async (b: Bundle, id) => {
        const hook = path.join(b.dir, 'size-hook.sh');
        fs.writeFileSync(hook, `#!/bin/sh\npid=$(sed -n 's/.*"pid": *\\([0-9]*\\).*/\\1/p')\nstty -F /proc/$pid/fd/0 size > ${dir}/size.tmp && mv ${dir}/size.tmp ${dir}/size\n`, { mode: 0o755 });
        (b.spec as { hooks?: unknown }).hooks = { poststart: [{ path: hook }] };
        b.writeSpec();
        const argv = [...sut.argv, '--root', sut.root, 'run', '--bundle', b.dir, id].map(shellWord).join(' ');
        const p = spawn('script', ['-qfec', `stty rows ${rows} cols ${cols}; ${argv}; echo STATUS=$?`, '/dev/null'], { env: { ...process.env, SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'pipe'] });
        const out = new OutputWaiter();
        p.stdout.on('data', (d: Buffer) => out.feed(d));
        p.stderr.on('data', (d: Buffer) => out.feed(d));
        const closed = new Promise<void>((resolve) => p.on('close', () => resolve()));
        try {
          await out.waitFor(/STATUS=5/, 20_000);
          assert.equal(fs.readFileSync(path.join(dir, 'size'), 'utf8').trim(), expected);
        } finally {
          p.kill('SIGKILL');
          await closed;
        }
      });
    });
  }
});

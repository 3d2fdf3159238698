// Terminals end to end, each case against runc first when it is installed: the pty's master sent
// to --console-socket at create (conmon's and containerd's way) and at exec (a process file with
// "terminal": true, or --tty), and a foreground `run`/`exec` relaying the pty to a real terminal
// made by `script`: raw mode, the window size at start and on resize, Ctrl-C as a byte, the exit
// status.
import { after, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutputWaiter, openMaster, startConsoleReceiver, type ConsoleReceiver } from './helpers/console-socket';
import type { BundleOptions } from './helpers/rootfs';
import { describeResult, type Runtime } from './helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, withContainer } from './helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

const receivers: ConsoleReceiver[] = [];
after(() => { for (const r of receivers) r.close(); });

async function receiver(): Promise<ConsoleReceiver> {
  const r = await startConsoleReceiver();
  receivers.push(r);
  return r;
}

function both(name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>, needsScript = false): void {
  forEachRuntime(pair, name, fn, () => (needsScript && !hasScript ? 'util-linux script is not installed' : undefined));
}

// Waits for lines: "size" prints the pty's size, "tty" its name, "quit" exits 7, anything else
// is echoed as got:LINE; a SIGINT (Ctrl-C as a byte through a raw relay) is trapped.
const INNER = 'echo READY; trap "echo INTERRUPTED" INT; while :; do if read line; then case $line in size) stty size;; tty) tty;; quit) exit 7;; *) echo "got:$line";; esac; fi; done';

/** Runs a shell command line under a real terminal made by util-linux `script`; the output of
 * both streams goes to one waiter. */
function underScript(cmd: string): { p: ChildProcessWithoutNullStreams; out: OutputWaiter; closed: Promise<void> } {
  const p = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new OutputWaiter();
  p.stdout.on('data', (d: Buffer) => out.feed(d));
  p.stderr.on('data', (d: Buffer) => out.feed(d));
  const closed = new Promise<void>((resolve) => p.on('close', () => resolve()));
  return { p, out, closed };
}

/** A shell word for any string. */
const shellWord = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const terminalBundle = (extra: BundleOptions = {}): BundleOptions => ({
  args: ['sh', '-c', INNER],
  terminal: true,
  ...extra,
});

describe(`terminals (${sut.label}${pair.ref ? ', each case also against runc' : ''})`, () => {
  both('create --console-socket: the master arrives named /dev/ptmx, the size from consoleSize, a working tty', async (_t, rt) => {
    const rcv = await receiver();
    await withContainer(rt, 'tty-create', terminalBundle({ mutate: (s) => { s.process.consoleSize = { height: 33, width: 101 }; } }), async (b, id) => {
      const created = rt.exec(['create', '--console-socket', rcv.path, '--bundle', b.dir, id]);
      const master = openMaster(await rcv.master());
      try {
        expectOk(await created, 'create --console-socket');
        assert.equal(rcv.lastName(), '/dev/ptmx', 'the message names the master\'s file, as runc\'s does');
        expectOk(await rt.exec(['start', id]), 'start');
        await master.waitFor('READY');
        master.write('tty\n');
        await master.waitFor(/\/dev\/pts\/\d+\r?\n/);
        master.write('size\n');
        await master.waitFor(/33 101\r?\n/);
        master.write('hello\n');
        await master.waitFor(/got:hello\r?\n/);
        master.write('quit\n');
        await rt.waitForStatus(id, 'stopped');
      } finally {
        master.close();
      }
    });
  });

  both('exec with a process file saying "terminal": true and --console-socket --detach (containerd\'s way)', async (_t, rt) => {
    const rcv = await receiver();
    await withContainer(rt, 'tty-exec', { args: ['sleep', '60'] }, async (b, id) => {
      expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
      const file = path.join(b.dir, 'process.json');
      fs.writeFileSync(file, JSON.stringify({ terminal: true, consoleSize: { height: 20, width: 70 }, user: { uid: 0, gid: 0 }, args: ['sh', '-c', INNER], env: ['PATH=/bin:/usr/bin'], cwd: '/' }));
      const pidFile = path.join(b.dir, 'exec.pid');
      const started = rt.exec(['exec', '--process', file, '--console-socket', rcv.path, '--detach', '--pid-file', pidFile, id]);
      const master = openMaster(await rcv.master());
      try {
        expectOk(await started, 'exec --process --console-socket --detach');
        assert.ok(Number(fs.readFileSync(pidFile, 'utf8')) > 0);
        await master.waitFor('READY');
        master.write('size\n');
        await master.waitFor(/20 70\r?\n/);
        master.write('quit\n');
        await master.ended;
      } finally {
        master.close();
      }
    });
  });

  both('exec --tty --console-socket with a command (podman\'s way)', async (_t, rt) => {
    const rcv = await receiver();
    await withContainer(rt, 'tty-exec-t', { args: ['sleep', '60'] }, async (b, id) => {
      expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
      const started = rt.exec(['exec', '--tty', '--console-socket', rcv.path, '--detach', id, 'sh', '-c', INNER]);
      const master = openMaster(await rcv.master());
      try {
        expectOk(await started, 'exec --tty --console-socket --detach');
        await master.waitFor('READY');
        master.write('tty\n');
        await master.waitFor(/\/dev\/pts\/\d+\r?\n/);
        master.write('quit\n');
        await master.ended;
      } finally {
        master.close();
      }
    });
  });

  both('a terminal without --console-socket is refused for a detached container', async (_t, rt) => {
    await withContainer(rt, 'tty-detach', terminalBundle(), async (b, id) => {
      const r = await rt.exec(['run', '--detach', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, describeResult(r));
      assert.match(r.stderr, /cannot allocate tty if (runc|tsrunc) will detach without setting console socket/, describeResult(r));
    });
  });

  for (const kind of ['run', 'exec -t'] as const) {
    both(`foreground ${kind} under a real terminal: raw relay, size at start and on resize, Ctrl-C as a byte, the exit status`, async (_t, rt) => {
      await withContainer(rt, 'tty-fg', kind === 'run' ? terminalBundle() : { args: ['sleep', '60'] }, async (b, id) => {
        if (kind === 'exec -t') expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
        const argv = [...rt.argv, '--root', rt.root, ...(kind === 'run' ? ['run', '--bundle', b.dir, id] : ['exec', '-t', id, 'sh', '-c', INNER])];
        const { p, out, closed } = underScript(`stty rows 33 cols 77; echo OUTER=$(tty); ${argv.map(shellWord).join(' ')}; echo STATUS=$?`);
        try {
          const outer = /OUTER=(\S+)/.exec(await out.waitFor(/OUTER=\S+\r?\n/))?.[1] as string;
          await out.waitFor('READY', 20_000);
          p.stdin.write('size\n');
          await out.waitFor(/33 77\r?\n/);
          execFileSync('stty', ['-F', outer, 'rows', '40', 'cols', '100']);
          // The resize and the keystrokes travel separately: ask until the new size shows.
          let seen = false;
          for (let i = 0; i < 50 && !seen; i++) {
            p.stdin.write('size\n');
            try { await out.waitFor(/40 100\r?\n/, 200); seen = true; } catch { /* not yet */ }
          }
          assert.ok(seen, `the resize reached the container's pty: ${out.all()}`);
          p.stdin.write('\x03');
          await out.waitFor('INTERRUPTED');
          p.stdin.write('quit\n');
          await out.waitFor(/STATUS=7/);
        } finally {
          p.kill('SIGKILL');
          await closed;
        }
      });
    }, true);
  }

  // Far more than a pty holds (4 KiB of line discipline, a few pages of buffer) on the way in:
  // the relay must wait for the container to read without stalling its output, and drop nothing.
  both('foreground run: a paste larger than the pty\'s buffers arrives whole', async (_t, rt) => {
    const size = 256 * 1024;
    const inner = 'stty raw -echo; echo READY; head -c ' + size + ' | wc -c; exit 3';
    await withContainer(rt, 'tty-paste', terminalBundle({ args: ['sh', '-c', inner] }), async (b, id) => {
      const argv = [...rt.argv, '--root', rt.root, 'run', '--bundle', b.dir, id];
      const { p, out, closed } = underScript(`stty raw -echo; ${argv.map(shellWord).join(' ')}; echo STATUS=$?`);
      try {
        await out.waitFor('READY', 20_000);
        p.stdin.write(Buffer.alloc(size, 'x'));
        await out.waitFor(new RegExp(`\\b${size}\\b`), 20_000);
        await out.waitFor(/STATUS=3/);
      } finally {
        p.kill('SIGKILL');
        await closed;
      }
    });
  }, true);
});


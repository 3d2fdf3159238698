// Terminals end to end, each case against runc first when it is installed: the pty's master sent
// to --console-socket at create (conmon's and containerd's way) and at exec (a process file with
// "terminal": true, or --tty), and a foreground `run`/`exec` relaying the pty to a real terminal
// made by `script`: raw mode, the window size at start and on resize, Ctrl-C as a byte, the exit
// status.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { consoleReceiversForFile, OutputWaiter, openMaster } from '../../helpers/console-socket';
import type { BundleOptions } from '../../helpers/rootfs';
import { describeResult, hostMountsMentioning, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, keyed, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

const receiver = consoleReceiversForFile();

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


// config-linux.md § Default Devices: with `terminal`, the pty is bind-mounted on /dev/console. As
// runc does it: for the init only, an empty regular file of mode 0666 made in the container's
// /dev, the init's pty bound on it after the config's mounts and before the read-only and masked
// paths.
interface MountLine { id: string; parent: string; dev: string; root: string; point: string; options: string; fs: string; superOptions: string }

function mountLines(text: string): MountLine[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => /^\d+ \d+ \d+:\d+ /.test(l)).map((l) => {
    const [pre, post] = l.split(' - ');
    const f = pre.split(' ');
    const [fs, , superOptions] = post.split(' ');
    return { id: f[0], parent: f[1], dev: f[2], root: f[3], point: f[4], options: f[5], fs, superOptions };
  });
}

/** Creates and starts a terminal container; returns what its process printed up to DONE. */
async function inTerminal(rt: Runtime, id: string, b: { dir: string }): Promise<string> {
  const rcv = await receiver();
  const created = rt.exec(['create', '--console-socket', rcv.path, '--bundle', b.dir, id]);
  const master = openMaster(await rcv.master());
  try {
    expectOk(await created, 'create --console-socket');
    expectOk(await rt.exec(['start', id]), 'start');
    return (await master.waitFor('DONE')).replace(/\r/g, '');
  } finally {
    master.close();
  }
}

const CONSOLE_PROBE = 'stat -c "console %F %t:%T %a %u:%g" /dev/console; stat -L -c "stdin %t:%T" /proc/self/fd/0; '
  + 't=$(tty); echo "tty $t"; stat -c "ttynode %t:%T" $t; cat /proc/self/mountinfo; echo DONE';

describe(`/dev/console with a terminal (${sut.label}${pair.ref ? ', each case also against runc' : ''})`, () => {
  both('the init\'s pty is bound on /dev/console: the same device as its stdin and its tty, in mountinfo as runc has it', async (_t, rt) => {
    await withContainer(rt, 'tty-console', terminalBundle({ args: ['sh', '-c', CONSOLE_PROBE] }), async (b, id) => {
      const text = await inTerminal(rt, id, b);
      const o = keyed(text);
      const tty = o.get('tty') ?? '';
      assert.match(tty, /^\/dev\/pts\/\d+$/, text);
      const rdev = o.get('stdin') ?? '';
      assert.equal(o.get('ttynode'), rdev, text);
      // stat prints device numbers in hex: 0x88 = 136, the pty slaves' major; root:tty, 0620 as devpts makes it.
      assert.equal(o.get('console'), `character special file ${rdev} 620 0:5`, text);
      assert.match(rdev, /^88:/, text);

      const mounts = mountLines(text);
      const consoles = mounts.filter((m) => m.point === '/dev/console');
      assert.equal(consoles.length, 1, text);
      const [c] = consoles;
      const dev = mounts.find((m) => m.point === '/dev');
      const pts = mounts.find((m) => m.point === '/dev/pts');
      assert.ok(dev && pts, text);
      assert.deepEqual(
        { parent: c.parent, dev: c.dev, root: c.root, options: c.options, fs: c.fs, superOptions: c.superOptions },
        { parent: dev.id, dev: pts.dev, root: `/${tty.slice('/dev/pts/'.length)}`, options: 'rw,nosuid,noexec,relatime', fs: 'devpts', superOptions: pts.superOptions },
        `a bind of this pty from the container's devpts, on its /dev:\n${text}`,
      );
      const at = mounts.indexOf(c);
      assert.ok(mounts.slice(0, at).some((m) => m.point.startsWith('/sys/fs/cgroup/')), `after the config's mounts:\n${text}`);
      assert.ok(mounts.slice(at).some((m) => m.point === '/proc/bus'), `before the read-only paths:\n${text}`);
    });
  });

  both('/dev from the image and a read-only root: /dev/console is made there as an empty regular file of mode 0666, owned by root, and stays', async (_t, rt) => {
    const script = 'stat -c "console %F %t:%T" /dev/console; stat -L -c "stdin %t:%T" /proc/self/fd/0; echo DONE';
    const opts = terminalBundle({ args: ['sh', '-c', script], readonly: true, mutate: (s) => { s.mounts = s.mounts.filter((m) => m.destination !== '/dev'); } });
    await withContainer(rt, 'tty-console-img', opts, async (b, id) => {
      assert.ok(!fs.existsSync(path.join(b.rootfs, 'dev/console')), 'the image has none');
      const o = keyed(await inTerminal(rt, id, b));
      assert.equal(o.get('console'), `character special file ${o.get('stdin')}`);
      expectOk(await rt.exec(['delete', '--force', id]), 'delete');
      const st = fs.lstatSync(path.join(b.rootfs, 'dev/console'));
      assert.deepEqual({ file: st.isFile(), size: st.size, mode: st.mode & 0o7777, owner: `${st.uid}:${st.gid}` }, { file: true, size: 0, mode: 0o666, owner: '0:0' });
    });
  });

  both('exec --tty gets no /dev/console: none without a terminal for the init, the init\'s with one', async (_t, rt) => {
    const probe = 'if [ -e /dev/console ]; then stat -L -c "console %t:%T" /dev/console; else echo "console none"; fi; '
      + 'stat -L -c "stdin %t:%T" /proc/self/fd/0; echo "consolemounts $(grep -c " /dev/console " /proc/self/mountinfo)"; echo DONE';
    for (const initTerminal of [false, true]) {
      const initScript = 'echo READY; stat -L -c "init %t:%T" /proc/self/fd/0; exec sleep 60';
      await withContainer(rt, 'tty-console-exec', { args: initTerminal ? ['sh', '-c', initScript] : ['sleep', '60'], terminal: initTerminal }, async (b, id) => {
        let init: ReturnType<typeof openMaster> | undefined;
        try {
          if (initTerminal) {
            const rcv = await receiver();
            const created = rt.exec(['create', '--console-socket', rcv.path, '--bundle', b.dir, id]);
            init = openMaster(await rcv.master());
            expectOk(await created, 'create');
            expectOk(await rt.exec(['start', id]), 'start');
            await init.waitFor(/init \S+\r?\n/);
          } else {
            expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
          }
          const rcv = await receiver();
          const started = rt.exec(['exec', '--tty', '--console-socket', rcv.path, '--detach', id, 'sh', '-c', probe]);
          const master = openMaster(await rcv.master());
          try {
            expectOk(await started, 'exec --tty');
            const o = keyed((await master.waitFor('DONE')).replace(/\r/g, ''));
            const initPty = initTerminal ? /init (\S+)/.exec(init?.all() ?? '')?.[1] : undefined;
            assert.equal(o.get('console'), initTerminal ? initPty : 'none', 'the init\'s console or none');
            assert.notEqual(o.get('stdin'), initPty, 'the exec\'d process has a pty of its own');
            assert.equal(o.get('consolemounts'), initTerminal ? '1' : '0');
          } finally {
            master.close();
          }
        } finally {
          init?.close();
        }
      });
    }
  });

  test('without a mount namespace, /dev/console is bound in the runtime\'s table below the rootfs and delete detaches it (tsrunc)', TEST_TIMEOUT, async () => {
    const script = 'stat -c "console %F %t:%T" /dev/console; stat -L -c "stdin %t:%T" /proc/self/fd/0; echo DONE';
    const opts = terminalBundle({
      args: ['sh', '-c', script],
      readonly: false,
      mutate: (s) => {
        s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'mount');
        delete s.linux.maskedPaths;
        delete s.linux.readonlyPaths;
      },
    });
    await withContainer(sut, 'tty-console-nomnt', opts, async (b, id) => {
      const o = keyed(await inTerminal(sut, id, b));
      assert.equal(o.get('console'), `character special file ${o.get('stdin')}`);
      assert.equal(hostMountsMentioning([`${b.rootfs}/dev/console `]).length, 1, 'in the runtime\'s mount table');
      expectOk(await sut.exec(['delete', '--force', id]), 'delete');
      assert.deepEqual(hostMountsMentioning([b.dir]), [], 'delete detached every mount');
    });
  });
});


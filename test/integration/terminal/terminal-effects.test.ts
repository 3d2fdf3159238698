// What a process with a terminal gets, as the kernel shows it from inside: the pty is its
// controlling terminal and it leads its own session, stdin, stdout and stderr are all the pty, the
// pty belongs to the process's user (not root) and keeps the group devpts gave it (the default
// config mounts /dev/pts with gid=5, tty), for the init and for exec'd processes; what a
// foreground relay does to line endings; and the flag combinations runc refuses. Each case runs
// against runc 1.1.5 first.
import { describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { consoleReceiversForFile, OutputWaiter, openMaster } from '../../helpers/console-socket';
import { describeResult, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, keyed, runtimesForSuite, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;
/** The default config's devpts mount has gid=5: the tty group every new pty gets. */
const TTY_GID = 5;
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

const receiver = consoleReceiversForFile();

function both(name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>, needsScript = false): void {
  forEachRuntime(pair, name, fn, () => (needsScript && !hasScript ? 'util-linux script is not installed' : undefined));
}

// From /proc/$$/stat: the session id (field 6) and the controlling tty's device number (7); the
// shell's own pid; where fds 0-2 lead; the owner of the tty. One "key value" line each, then END.
const REPORT = 'set -- $(cut -d" " -f6,7 /proc/$$/stat); echo "sid $1"; echo "ttynr $2"; echo "pid $$"; ' +
  'for fd in 0 1 2; do echo "fd$fd $(readlink /proc/$$/fd/$fd)"; done; echo "tty $(tty)"; echo "owner $(stat -c %u:%g $(tty))"; echo END';

/** The report read from a pty master, with the pty's CRs dropped. */
async function readReport(master: ReturnType<typeof openMaster>): Promise<Map<string, string>> {
  const text = await master.waitFor(/END\r?\n/);
  return keyed(text.replace(/\r/g, ''));
}

function expectOwnTerminal(got: Map<string, string>, owner: string, label: string): void {
  const tty = got.get('tty') ?? '';
  assert.match(tty, /^\/dev\/pts\/\d+$/, `${label}: ${JSON.stringify(Object.fromEntries(got))}`);
  assert.equal(got.get('sid'), got.get('pid'), `${label}: the process leads its own session`);
  assert.notEqual(got.get('ttynr'), '0', `${label}: the pty is its controlling terminal`);
  for (const fd of ['fd0', 'fd1', 'fd2']) assert.equal(got.get(fd), tty, `${label}: ${fd} is the pty`);
  assert.equal(got.get('owner'), owner, `${label}: the pty belongs to the process's user, in devpts' group`);
}

describe(`terminal effects (${sut.label}${pair.ref ? ', each case also against runc' : ''})`, () => {
  both('the init of a terminal container as user 1000:1000: its own session, the pty as controlling terminal and stdio, owned by it', async (_t, rt) => {
    const rcv = await receiver();
    await withContainer(rt, 'tte-init', { args: ['sh', '-c', `${REPORT}; sleep 5`], terminal: true, user: { uid: 1000, gid: 1000 } }, async (b, id) => {
      const created = rt.exec(['create', '--console-socket', rcv.path, '--bundle', b.dir, id]);
      const master = openMaster(await rcv.master());
      try {
        expectOk(await created, 'create --console-socket');
        expectOk(await rt.exec(['start', id]), 'start');
        expectOwnTerminal(await readReport(master), `1000:${TTY_GID}`, 'init');
      } finally {
        master.close();
      }
    });
  });

  both('exec --tty as another user (--user 1000:100): the same, for the exec\'d process', async (_t, rt) => {
    const rcv = await receiver();
    await withContainer(rt, 'tte-exec', { args: ['sleep', '60'] }, async (b, id) => {
      expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
      const started = rt.exec(['exec', '--tty', '--user', '1000:100', '--console-socket', rcv.path, '--detach', id, 'sh', '-c', `${REPORT}; sleep 5`]);
      const master = openMaster(await rcv.master());
      try {
        expectOk(await started, 'exec --tty --console-socket --detach');
        expectOwnTerminal(await readReport(master), `1000:${TTY_GID}`, 'exec');
      } finally {
        master.close();
      }
    });
  });

  both('a process file with "terminal": true as user 1000 (containerd\'s way): the same', async (_t, rt) => {
    const rcv = await receiver();
    await withContainer(rt, 'tte-procfile', { args: ['sleep', '60'] }, async (b, id) => {
      expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
      const file = path.join(b.dir, 'process.json');
      fs.writeFileSync(file, JSON.stringify({ terminal: true, user: { uid: 1000, gid: 1000 }, args: ['sh', '-c', `${REPORT}; sleep 5`], env: ['PATH=/bin:/usr/bin'], cwd: '/' }));
      const started = rt.exec(['exec', '--process', file, '--console-socket', rcv.path, '--detach', id]);
      const master = openMaster(await rcv.master());
      try {
        expectOk(await started, 'exec --process --console-socket --detach');
        expectOwnTerminal(await readReport(master), `1000:${TTY_GID}`, 'exec --process');
      } finally {
        master.close();
      }
    });
  });

  both('exec refuses --tty --detach without a console socket, and a console socket without a terminal', async (_t, rt) => {
    await withContainer(rt, 'tte-refuse', { args: ['sleep', '60'] }, async (b, id) => {
      expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
      const detached = await rt.exec(['exec', '--tty', '--detach', id, 'true']);
      assert.notEqual(detached.code, 0, describeResult(detached));
      assert.match(detached.stderr, /cannot allocate tty if (runc|tsrunc) will detach without setting console socket/, describeResult(detached));
      const socketOnly = await rt.exec(['exec', '--console-socket', path.join(b.dir, 'nowhere.sock'), id, 'true']);
      assert.notEqual(socketOnly.code, 0, describeResult(socketOnly));
      assert.match(socketOnly.stderr, /cannot use console socket if (runc|tsrunc) will not detach or allocate tty/, describeResult(socketOnly));
      const ps = await rt.ok(['ps', '--format', 'json', id]);
      assert.equal((JSON.parse(ps.stdout) as number[]).length, 1, `only the init runs: ${ps.stdout}`);
    });
  });

  // exec -t runs the process as soon as it is set up, before the relay is: only a pty whose ONLCR
  // is off before the process writes keeps an early line from coming through as \r\r\n.
  for (const kind of ['run', 'exec -t'] as const) {
    both(`foreground ${kind} under a terminal: the process's newlines reach it translated once (\\r\\n), not twice`, async (_t, rt) => {
      await withContainer(rt, 'tte-onlcr', kind === 'run' ? { args: ['sh', '-c', 'echo one; echo two; exit 4'], terminal: true } : { args: ['sleep', '60'] }, async (b, id) => {
        if (kind === 'exec -t') expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
        const cmd = kind === 'run' ? ['run', '--bundle', b.dir, id] : ['exec', '-t', id, 'sh', '-c', 'echo one; echo two; exit 4'];
        const argv = [...rt.argv, '--root', rt.root, ...cmd].map((s) => `'${s.replace(/'/g, `'\\''`)}'`).join(' ');
        const p = spawn('script', ['-qfec', `${argv}; echo STATUS=$?`, '/dev/null'], { env: { ...process.env, SHELL: '/bin/sh' }, stdio: ['pipe', 'pipe', 'pipe'] });
        const out = new OutputWaiter();
        p.stdout.on('data', (d: Buffer) => out.feed(d));
        p.stderr.on('data', (d: Buffer) => out.feed(d));
        const closed = new Promise<void>((resolve) => p.on('close', () => resolve()));
        try {
          await out.waitFor(/STATUS=4/, 20_000);
          assert.match(out.all(), /one\r\ntwo\r\n/, JSON.stringify(out.all()));
        } finally {
          p.kill('SIGKILL');
          await closed;
        }
      });
    }, true);
  }
});

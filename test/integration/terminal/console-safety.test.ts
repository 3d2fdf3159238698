// /dev/console and the container's pty (issue 32), for run, create+start and exec --tty, each
// against runc 1.1.5: the init's /dev/console is its pty slave (136:N, the device `tty` names);
// an exec'd process gets a pty of its own and no /dev/console of its own (runc mounts it for the
// init only; tsrunc does the same). Then a hostile image: /dev/console a symlink to a host file,
// /dev/ptmx a symlink into the host's devpts, checked from outside. runc 1.1.5 predates the 2025
// fixes (CVE-2025-52565) and fails the first: its outcome is reported, the tsrunc side asserted.
import { describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { consoleReceiversForFile, openMaster, type MasterSession } from '../../helpers/console-socket';
import type { BundleOptions, Spec } from '../../helpers/rootfs';
import type { Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, keyed, runtimesForSuite, scratchDirsForFile, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const receiver = consoleReceiversForFile();
const scratch = scratchDirsForFile('tsrunc-console-safety-');
const CANARY = 'CANARY-UNCHANGED\n';

// Device numbers as "major:minor" in decimal; stat prints them in hex.
const PROBE = 'stat -L -c "console %F %t %T" /dev/console; t=$(tty); stat -L -c "tty %F %t %T" $t; stat -L -c "stdin %t %T %d" /proc/self/fd/0; '
  + 'stat -c "pts %d" /dev/pts; [ -d /hostpts ] && stat -c "hostpts %d" /hostpts; echo DONE';

function devices(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of keyed(text.replace(/\r/g, ''))) {
    out.set(k, v.replace(/\b([0-9a-f]+) ([0-9a-f]+)\b/, (_m, a: string, b: string) => `${parseInt(a, 16)}:${parseInt(b, 16)}`));
  }
  return out;
}

/** Starts the container with its pty's master received on a console socket; create+start or run --detach. */
async function startWithConsole(rt: Runtime, how: 'create' | 'run', bundle: string, id: string): Promise<{ master?: MasterSession; stderr: string; code: number | null }> {
  const rcv = await receiver();
  const launched = rt.exec(how === 'create' ? ['create', '--console-socket', rcv.path, '--bundle', bundle, id] : ['run', '--detach', '--console-socket', rcv.path, '--bundle', bundle, id]);
  // The master may arrive before a later step fails: it is closed then.
  const arrived = rcv.master().then((fd) => fd, () => undefined);
  const r = await launched;
  if (r.code !== 0) {
    void arrived.then((fd) => { if (fd !== undefined) fs.closeSync(fd); });
    return { stderr: r.stderr, code: r.code };
  }
  const fd = await arrived;
  assert.ok(fd !== undefined, `the master never arrived\n${r.stderr}`);
  const master = openMaster(fd);
  if (how === 'create') expectOk(await rt.exec(['start', id]), 'start');
  return { master, stderr: r.stderr, code: r.code };
}

function expectConsoleIsPty(o: Map<string, string>, text: string): void {
  assert.match(o.get('tty') ?? '', /^character special file 136:\d+$/, text);
  assert.equal(o.get('console'), o.get('tty'), `/dev/console is the pty slave \`tty\` names\n${text}`);
  assert.equal(o.get('stdin')?.split(' ')[0], o.get('tty')?.split(' ').pop());
}

/** The image's /dev is used as it is: nothing mounted on /dev itself. */
const imageDev = (s: Spec): void => { s.mounts = s.mounts.filter((m) => m.destination !== '/dev'); };

function reportRunc(t: TestContext, rt: Runtime, what: string): boolean {
  if (rt.kind !== 'runc') return false;
  t.diagnostic(`runc 1.1.5: ${what}`);
  return true;
}

describe(`/dev/console and the pty (${pair.sut.label}${pair.ref ? ', each case also against runc 1.1.5' : ''})`, () => {
  for (const how of ['run', 'create'] as const) {
    forEachRuntime(pair, `${how === 'run' ? 'run --detach' : 'create + start'} with a terminal: /dev/console is the init's pty slave (136:N)`, async (_t, rt) => {
      await withContainer(rt, `console-${how}`, { terminal: true, args: ['sh', '-c', `${PROBE}; exec sleep 60`] }, async (b, id) => {
        const { master, stderr } = await startWithConsole(rt, how, b.dir, id);
        assert.ok(master, stderr);
        try {
          const text = (await master.waitFor('DONE')).replace(/\r/g, '');
          expectConsoleIsPty(devices(text), text);
        } finally {
          master.close();
        }
      });
    });
  }

  forEachRuntime(pair, 'exec --tty: a pty of its own (136:N as `tty` says); /dev/console stays the init\'s', async (_t, rt) => {
    await withContainer(rt, 'console-exec', { terminal: true, args: ['sh', '-c', 'stat -L -c "init %t %T" /proc/self/fd/0; echo READY; exec sleep 60'] }, async (b, id) => {
      const { master: init, stderr } = await startWithConsole(rt, 'create', b.dir, id);
      assert.ok(init, stderr);
      try {
        const initPty = devices(await init.waitFor('READY')).get('init');
        const rcv = await receiver();
        const started = rt.exec(['exec', '--tty', '--console-socket', rcv.path, '--detach', id, 'sh', '-c', PROBE]);
        const master = openMaster(await rcv.master());
        try {
          expectOk(await started, 'exec --tty');
          const text = (await master.waitFor('DONE')).replace(/\r/g, '');
          const o = devices(text);
          assert.match(o.get('tty') ?? '', /^character special file 136:\d+$/, text);
          assert.equal(o.get('stdin')?.split(' ')[0], o.get('tty')?.split(' ').pop(), text);
          assert.equal(o.get('console'), `character special file ${initPty}`, `the init's pty, as runc leaves it\n${text}`);
          assert.notEqual(o.get('tty'), o.get('console'), text);
        } finally {
          master.close();
        }
      } finally {
        init.close();
      }
    });
  });

  forEachRuntime(pair, 'the image\'s /dev/console a symlink to a host file: refused with a clear error, the file unchanged', async (t, rt) => {
    const canaryDir = scratch();
    const canary = path.join(canaryDir, 'secret');
    fs.writeFileSync(canary, CANARY);
    const opts: BundleOptions = {
      terminal: true,
      args: ['sh', '-c', 'echo STARTED; exec sleep 60'],
      mutate: (s) => { imageDev(s); s.mounts.push({ destination: '/canary', type: 'bind', source: canaryDir, options: ['rbind', 'rw'] }); },
    };
    await withContainer(rt, 'console-link', opts, async (b, id) => {
      fs.symlinkSync('/canary/secret', path.join(b.rootfs, 'dev/console'));
      const { master, stderr, code } = await startWithConsole(rt, 'create', b.dir, id);
      master?.close();
      const now = fs.readFileSync(canary, 'utf8');
      if (now !== CANARY && reportRunc(t, rt, `followed /dev/console to the host file (CVE-2025-52565): it now reads ${JSON.stringify(now)}`)) return;
      if (rt.kind === 'runc') assert.fail(`runc 1.1.5 was expected to follow /dev/console; it did not (exit ${code}):\n${stderr}`);
      assert.notEqual(code, 0, 'refused');
      assert.match(stderr, /\/dev\/console in the container is a symlink/, stderr);
      assert.equal(now, CANARY, 'the host file is unchanged');
      assert.equal(fs.readlinkSync(path.join(b.rootfs, 'dev/console')), '/canary/secret', 'the image\'s link is left as it was');
      assert.deepEqual(fs.readdirSync(canaryDir), ['secret']);
    });
  });

  forEachRuntime(pair, 'no devpts on /dev/pts (the image\'s directory, a regular file as its ptmx): refused, nothing allocated', async (_t, rt) => {
    const opts: BundleOptions = { terminal: true, args: ['sh', '-c', 'echo STARTED'], mutate: (s) => { s.mounts = s.mounts.filter((m) => m.destination !== '/dev' && m.destination !== '/dev/pts'); } };
    await withContainer(rt, 'pts-not-devpts', opts, async (b, id) => {
      fs.mkdirSync(path.join(b.rootfs, 'dev/pts'), { recursive: true });
      fs.writeFileSync(path.join(b.rootfs, 'dev/pts/ptmx'), 'not a multiplexer\n');
      const { master, stderr, code } = await startWithConsole(rt, 'create', b.dir, id);
      master?.close();
      assert.notEqual(code, 0, 'refused');
      if (rt.kind === 'tsrunc') assert.match(stderr, /\/dev\/pts in the container is not a devpts mount/, stderr);
      assert.equal(fs.readFileSync(path.join(b.rootfs, 'dev/pts/ptmx'), 'utf8'), 'not a multiplexer\n');
    });
  });

  forEachRuntime(pair, '/dev bound from a directory whose ptmx links into the host\'s devpts: the pty still comes from the container\'s own devpts', async (t, rt) => {
    const hostDev = scratch();
    fs.symlinkSync('/hostpts/ptmx', path.join(hostDev, 'ptmx'));
    const opts: BundleOptions = {
      terminal: true,
      args: ['sh', '-c', `${PROBE}; exec sleep 60`],
      mutate: (s) => {
        s.mounts = s.mounts.map((m) => (m.destination === '/dev' ? { destination: '/dev', type: 'bind', source: hostDev, options: ['rbind', 'rw'] } : m));
        s.mounts.push({ destination: '/hostpts', type: 'bind', source: '/dev/pts', options: ['rbind', 'rw'] });
      },
    };
    await withContainer(rt, 'ptmx-link', opts, async (b, id) => {
      const { master, stderr } = await startWithConsole(rt, 'create', b.dir, id);
      // runc 1.1.5 takes a pty of the host's devpts and then fails to find its slave by name.
      if (!master && reportRunc(t, rt, `followed /dev/ptmx and could not start: ${stderr.trim()}`)) return;
      assert.ok(master, stderr);
      try {
        const text = (await master.waitFor('DONE')).replace(/\r/g, '');
        const o = devices(text);
        // From outside: the init's stdin is a pty of a devpts instance other than the host's.
        const { pid } = await rt.state(id);
        const outside = fs.statSync(`/proc/${pid}/fd/0`);
        const hostInstance = outside.dev === fs.statSync('/dev/pts').dev;
        if (hostInstance && reportRunc(t, rt, 'followed /dev/ptmx into the host\'s devpts: the container\'s terminal is a host pty')) return;
        assert.equal(hostInstance, false, `the container's pty is not one of the host's devpts\n${text}`);
        assert.equal(o.get('stdin')?.split(' ')[1], o.get('pts'), `stdin is a pty of the container's /dev/pts\n${text}`);
        assert.notEqual(o.get('pts'), o.get('hostpts'), text);
        expectConsoleIsPty(o, text);
      } finally {
        master.close();
      }
    });
  });
});

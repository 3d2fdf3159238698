// Mounts onto the container's procfs (CVE-2019-16884): a volume over /proc/sys or /proc/self/attr
// would defeat the sysctls and LSM labels written there. Refused, as runc does, wherever the
// destination resolves: directly, or through a symlink the image put on the way (`/vol ->
// /proc/sys/net/ipv4`); allowed are procfs itself on /proc and the files lxcfs emulates. Each case
// runs against runc 1.1.5 first (it has this check), then tsrunc; a refused create must leave no
// state, no mount and no process behind. A destination named under /proc in the config is refused
// by the validation (`tsrunc validate` too); one that only leads there through the image, by the
// launcher, which resolves it inside the rootfs.
import { describe } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBundle, type Bundle, type Mount } from '../../helpers/rootfs';
import { describeResult, hostMountsMentioning, uniqueId, waitNoRelatedProcesses, withoutRuntimeLog, type Runtime } from '../../helpers/runtime';
import { forEachRuntime, runtimesForSuite } from '../../helpers/suite';

const pair = runtimesForSuite();

/** A bundle with `mounts` appended and `links` (path in rootfs -> target) made in the image. */
async function withProcBundle(mounts: (vol: string) => Mount[], links: Record<string, string>, fn: (b: Bundle, vol: string) => Promise<void>): Promise<void> {
  const vol = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-procvol-'));
  fs.writeFileSync(path.join(vol, 'marker'), 'from the host\n');
  const b = makeBundle({ args: ['sh', '-c', 'cat /proc/cpuinfo; ls /proc/sys/net/ipv4 | head -3'], mounts: mounts(vol) });
  try {
    for (const [at, target] of Object.entries(links)) fs.symlinkSync(target, path.join(b.rootfs, at));
    await fn(b, vol);
  } finally {
    b.cleanup();
    fs.rmSync(vol, { recursive: true, force: true });
  }
}

/** create must fail with `message`, and leave no state dir, mount or process behind. */
async function expectRefused(rt: Runtime, b: Bundle, vol: string, message: RegExp): Promise<void> {
  const id = uniqueId('procmnt');
  const r = await rt.exec(['create', '--bundle', b.dir, id]);
  try {
    assert.notEqual(r.code, 0, describeResult(r));
    assert.match(withoutRuntimeLog(r.stderr) + r.stderr, message);
    assert.ok(!fs.existsSync(path.join(rt.root, id)), `${rt.kind} left its state dir`);
    assert.deepEqual(hostMountsMentioning([b.dir, vol, rt.root]), []);
    assert.deepEqual(await waitNoRelatedProcesses({ ids: [id], paths: [b.dir] }), []);
  } finally {
    await rt.exec(['delete', '--force', id]);
  }
}

const bind = (vol: string, destination: string): Mount => ({ destination, type: 'bind', source: vol, options: ['rbind'] });

describe('mounts onto /proc', () => {
  // The bug of issue 32: today's code mounted the volume over the container's /proc/sys/net/ipv4.
  forEachRuntime(pair, 'a mount whose destination leads into /proc through a symlink in the image is refused', async (_t: TestContext, rt) => {
    await withProcBundle((vol) => [bind(vol, '/vol')], { vol: '/proc/sys/net/ipv4' }, async (b, vol) => {
      await expectRefused(rt, b, vol, rt.kind === 'runc'
        ? /proc\/sys\/net\/ipv4.*cannot be mounted because it is inside \/proc/
        : /mount \/vol: refused: the destination \/proc\/sys\/net\/ipv4 \(where \/vol leads\) is inside the container's procfs/);
    });
  });

  forEachRuntime(pair, 'a relative symlink and ".." lead there too, and are refused', async (_t: TestContext, rt) => {
    await withProcBundle((vol) => [bind(vol, '/data/self/attr')], { data: '../proc/sys/../' }, async (b, vol) => {
      await expectRefused(rt, b, vol, rt.kind === 'runc' ? /proc\/\w+\/attr.*inside \/proc/ : /destination \/proc\/\w+\/attr \(where \/data\/self\/attr leads\)/);
    });
  });

  // runc 1.1.5 checks bind mounts only and mounts this tmpfs over /proc/sys; runc 1.2 and later
  // check every mount, as tsrunc does.
  forEachRuntime(pair, 'a mount named under /proc is refused (/proc/sys, a tmpfs)', async (_t: TestContext, rt) => {
    await withProcBundle(() => [{ destination: '/proc/sys', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }], {}, async (b, vol) => {
      // Named in the config, so refused by the validation, with its JSON path, before anything runs.
      await expectRefused(rt, b, vol, /config\.json: \/mounts\/\d+\/destination: \\?"\/proc\/sys\\?" is inside the container's procfs/);
    });
  }, (rt) => rt.kind === 'runc' ? 'runc 1.1.5 accepts a tmpfs on /proc/sys (it checks bind mounts only; runc 1.2+ refuses it)' : undefined);

  forEachRuntime(pair, 'a bind of something other than a procfs on /proc itself is refused', async (_t: TestContext, rt) => {
    await withProcBundle((vol) => [bind(vol, '/proc')], {}, async (b, vol) => {
      await expectRefused(rt, b, vol, rt.kind === 'runc' ? /cannot be mounted because it is not of type proc/ : /mount \/proc: refused: \/proc can only be a procfs/);
    });
  });

  // What lxcfs does: a file over /proc/cpuinfo. The container sees it; everything else of /proc stays.
  forEachRuntime(pair, 'a file of the allow-list (/proc/cpuinfo) may be covered', async (_t: TestContext, rt) => {
    const file = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-cpuinfo-'));
    fs.writeFileSync(path.join(file, 'cpuinfo'), 'processor : emulated by the test\n');
    try {
      await withProcBundle(() => [{ destination: '/proc/cpuinfo', type: 'bind', source: path.join(file, 'cpuinfo'), options: ['bind', 'ro'] }], {}, async (b) => {
        const id = uniqueId('procmnt');
        const r = await rt.exec(['run', '--bundle', b.dir, id]);
        await rt.exec(['delete', '--force', id]);
        assert.equal(r.code, 0, describeResult(r));
        assert.match(r.stdout, /^processor : emulated by the test\n/);
        assert.match(r.stdout, /ip_forward|cipso|conf/);
      });
    } finally {
      fs.rmSync(file, { recursive: true, force: true });
    }
  });
});

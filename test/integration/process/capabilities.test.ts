// config.md § Linux Process (capabilities): a capability that cannot be granted "MUST be logged as
// a warning by the runtime. Runtimes SHOULD NOT fail" for it. One the runtime's own bounding set
// lacks cannot be granted to a process without a user namespace of its own: tsrunc leaves it out of
// every set with one warning naming it, and grants the rest, at create and at exec (runc 1.1 and
// newer fail with "unable to apply caps: operation not permitted", so these cases are tsrunc's).
// In a new user namespace the bounding set starts full, so the same capability is granted there
// (namespaced), by runc too. What the kernel shows is read from /proc/PID/status.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CAPABILITIES } from '../../../src/linux/capabilities';
import { describeResult, isRuntimeLogLine, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;

function statusMask(pid: number | 'self', field: string): bigint {
  const m = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `${field} in /proc/${pid}/status`);
  return BigInt(`0x${m[1]}`);
}

const lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
const ownBounding = statusMask('self', 'CapBnd');
/** A capability this kernel has and tsrunc knows, outside this (the runtime's) bounding set. */
const missing = CAPABILITIES.find((c) => c.number <= lastCap && ((ownBounding >> BigInt(c.number)) & 1n) === 0n);
const skip = missing ? undefined : 'this host\'s bounding set holds every capability the kernel has: none to refuse';
const MISSING = missing?.name ?? 'CAP_SYS_RESOURCE';

const bit = (name: string): bigint => 1n << BigInt(CAPABILITIES.find((c) => c.name === name)?.number ?? 0);
const GRANTED = ['CAP_NET_ADMIN', 'CAP_KILL'];
const grantedMask = GRANTED.reduce((m, n) => m | bit(n), 0n);
const allSets = (names: string[]): Record<string, string[]> =>
  Object.fromEntries(['bounding', 'effective', 'inheritable', 'permitted', 'ambient'].map((s) => [s, [...names]]));

/** The capability masks of a process, as the kernel shows them. */
const masks = (pid: number): Record<string, string> =>
  Object.fromEntries(['CapBnd', 'CapPrm', 'CapEff', 'CapInh', 'CapAmb'].map((f) => [f, statusMask(pid, f).toString(16)]));
const expected = (mask: bigint): Record<string, string> =>
  Object.fromEntries(['CapBnd', 'CapPrm', 'CapEff', 'CapInh', 'CapAmb'].map((f) => [f, mask.toString(16)]));

const warningLines = (stderr: string): string[] => stderr.split('\n').filter((l) => isRuntimeLogLine(l) && /level=warning/.test(l) && l.includes(MISSING));

describe(`capabilities the runtime cannot grant (${sut.label})`, () => {
  test(`${MISSING}, outside the runtime's bounding set, in every set: create warns once naming it and grants the rest`, { ...TEST_TIMEOUT, skip }, async () => {
    await withContainer(sut, 'cap-missing', {
      args: ['sleep', '60'],
      mutate: (s) => { s.process.capabilities = allSets([...GRANTED, MISSING]); },
    }, async (b, id) => {
      const r = await sut.exec(['run', '--detach', '--bundle', b.dir, id]);
      expectOk(r, 'run --detach');
      const warned = warningLines(r.stderr);
      assert.equal(warned.length, 1, describeResult(r));
      assert.match(warned[0], new RegExp(`msg="capabilities not in the runtime's own bounding set cannot be granted; left out of every set: ${MISSING}"`));
      const { pid } = await sut.state(id);
      assert.deepEqual(masks(pid), expected(grantedMask), 'every set holds the others and not it');
    });
  });

  test(`exec --cap ${MISSING} and a process file asking for it: a warning, the process runs with the rest`, { ...TEST_TIMEOUT, skip }, async () => {
    await withContainer(sut, 'cap-missing-exec', { args: ['sleep', '60'] }, async (b, id) => {
      expectOk(await sut.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
      const probe = ['sh', '-c', 'grep -E "^Cap(Bnd|Eff|Prm)" /proc/self/status'];
      const byFlag = await sut.exec(['exec', '--cap', MISSING, '--cap', 'CAP_NET_ADMIN', id, ...probe]);
      expectOk(byFlag, `exec --cap ${MISSING}`);
      assert.equal(warningLines(byFlag.stderr).length, 1, describeResult(byFlag));
      // The default config's three, plus CAP_NET_ADMIN; never the missing one.
      const defaults = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'].reduce((m, n) => m | bit(n), 0n);
      const want = (defaults | bit('CAP_NET_ADMIN')).toString(16).padStart(16, '0');
      assert.equal(byFlag.stdout, `CapPrm:\t${want}\nCapEff:\t${want}\nCapBnd:\t${want}\n`, describeResult(byFlag));

      const file = path.join(b.dir, 'process.json');
      fs.writeFileSync(file, JSON.stringify({ user: { uid: 0, gid: 0 }, args: probe, env: ['PATH=/bin'], cwd: '/', capabilities: allSets([...GRANTED, MISSING]) }));
      const byFile = await sut.exec(['exec', '--process', file, id]);
      expectOk(byFile, 'exec --process');
      assert.equal(warningLines(byFile.stderr).length, 1, describeResult(byFile));
      const granted = grantedMask.toString(16).padStart(16, '0');
      assert.equal(byFile.stdout, `CapPrm:\t${granted}\nCapEff:\t${granted}\nCapBnd:\t${granted}\n`, describeResult(byFile));
    });
  });

  forEachRuntime(pair, `in a user namespace of its own ${MISSING} can be granted (its bounding set starts full): no warning`, async (_t, rt: Runtime) => {
    if (skip) return _t.skip(skip);
    await withContainer(rt, 'cap-userns', {
      args: ['sleep', '60'],
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }],
      mutate: (s) => {
        s.process.capabilities = allSets([...GRANTED, MISSING]);
        s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.mounts = s.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
      },
    }, async (b, id) => {
      // The mapped root must reach the rootfs (mkdtemp makes the bundle 0700).
      fs.chmodSync(b.dir, 0o755);
      fs.chmodSync(b.rootfs, 0o755);
      const r = await rt.exec(['run', '--detach', '--bundle', b.dir, id]);
      expectOk(r, 'run --detach');
      assert.deepEqual(warningLines(r.stderr), [], describeResult(r));
      const { pid } = await rt.state(id);
      assert.deepEqual(masks(pid), expected(grantedMask | bit(MISSING)));
    });
  });
});

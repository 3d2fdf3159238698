// Bad input: every case must fail with a non-zero exit, a message carrying the phrase that
// clients parse, and nothing left behind (state dir, host mounts, processes). Each case also
// runs against runc when it is installed: that proves the expected phrases are runc's own
// and that runc fails too; on a mismatch both texts are shown.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectLsm } from '../../../src/linux/lsm';
import { makeBundle } from '../../helpers/rootfs';
import type { Bundle, BundleOptions } from '../../helpers/rootfs';
import {
  Runtime, uniqueId, describeResult, hostMountsMentioning, waitNoRelatedProcesses,
  processAlive,
} from '../../helpers/runtime';
import { runtimesForSuite, TEST_TIMEOUT } from '../../helpers/suite';
import type { ExecResult } from '../../helpers/runtime';

const T = TEST_TIMEOUT;
const { sut, ref } = runtimesForSuite();

interface Ctx {
  rt: Runtime;
  /** The id the failing command is given. */
  id: string;
  bundle?: Bundle;
  /** Inits of containers the setup made on purpose (they are expected to stay). */
  keepPids: number[];
}

interface Case {
  name: string;
  /** Why the case cannot run on this host, if it cannot. */
  skip?: string;
  /** Why the installed runc is not held to the case (a behaviour newer than it), if it is not. */
  runcSkip?: string;
  /** Bundle for the case; `false` for none. Default: a container that sleeps. */
  bundle?: BundleOptions | false;
  /** A literal (bad) id instead of a unique one. */
  rawId?: string;
  setup?: (c: Ctx) => Promise<void>;
  act: (c: Ctx) => Promise<ExecResult>;
  /** All must match the error output. */
  phrases: RegExp[] | ((c: Ctx) => RegExp[]);
  /** Extra checks after the failure, e.g. that the existing container was not disturbed. */
  verify?: (c: Ctx) => Promise<void>;
  /** Where the error text is looked for; stderr unless the case says otherwise. */
  errorText?: (c: Ctx, r: ExecResult) => string;
}

interface Outcome {
  label: string;
  result: ExecResult;
  text: string;
  phrases: RegExp[];
  leftovers: string[];
}

const escape = (s: string): RegExp => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

async function runCase(rt: Runtime, k: Case): Promise<Outcome> {
  const bundle = k.bundle === false ? undefined : makeBundle(k.bundle ?? { args: ['sleep', '100'] });
  const c: Ctx = { rt, id: k.rawId ?? uniqueId('bad'), bundle, keepPids: [] };
  try {
    await k.setup?.(c);
    const idsBefore = rt.listedIds().sort();
    const baseBefore = fs.readdirSync(rt.base).sort();
    const result = await k.act(c);
    const leftovers: string[] = [];

    const idsAfter = rt.listedIds().sort();
    if (JSON.stringify(idsAfter) !== JSON.stringify(idsBefore)) {
      leftovers.push(`state dirs under --root changed: ${JSON.stringify(idsBefore)} → ${JSON.stringify(idsAfter)}`);
    }
    // Catches state written outside the root through ids like "../x".
    const baseAfter = fs.readdirSync(rt.base).sort();
    if (JSON.stringify(baseAfter) !== JSON.stringify(baseBefore)) {
      leftovers.push(`entries next to --root changed: ${JSON.stringify(baseBefore)} → ${JSON.stringify(baseAfter)}`);
    }
    const mounts = hostMountsMentioning([rt.base, ...(bundle ? [bundle.dir] : [])]);
    if (mounts.length > 0) leftovers.push(`host mounts left: ${mounts.join(' | ')}`);
    const procs = await waitNoRelatedProcesses({
      ids: c.id.length >= 8 ? [c.id] : [],
      paths: [rt.root, ...(bundle ? [bundle.dir] : [])],
      excludePids: c.keepPids,
    });
    for (const p of procs) leftovers.push(`process left: ${p.pid} (${p.cmdline}) — ${p.why}`);
    if (k.verify) {
      try {
        await k.verify(c);
      } catch (e) {
        leftovers.push(`verification failed: ${(e as Error).message}`);
      }
    }
    const text = k.errorText ? k.errorText(c, result) : result.stderr;
    return {
      label: rt.label, result, text, leftovers,
      phrases: typeof k.phrases === 'function' ? k.phrases(c) : k.phrases,
    };
  } finally {
    await rt.deleteForce(c.id);
    bundle?.cleanup();
  }
}

function show(o: Outcome | undefined): string {
  if (!o) return '  (not run: runc is not installed)';
  return `  exit=${o.result.code ?? o.result.signal}\n  error text: ${JSON.stringify(o.text)}\n  leftovers: ${JSON.stringify(o.leftovers)}\n  command: ${o.result.argv.join(' ')}`;
}

function badInput(k: Case): void {
  test(k.name, { ...T, ...(k.skip ? { skip: k.skip } : {}) }, async () => {
    const r = ref && !k.runcSkip ? await runCase(ref, k) : undefined;
    const s = await runCase(sut, k);
    const both = `--- runc:\n${show(r)}\n--- ${s.label}:\n${show(s)}`;
    if (r) {
      // The reference must pass the same checks, otherwise the test itself is wrong.
      const refProblems = [
        ...(r.result.code === 0 ? ['runc succeeded'] : []),
        ...r.phrases.filter((p) => !p.test(r.text)).map((p) => `runc's text does not match ${p}`),
        ...r.leftovers,
      ];
      assert.deepEqual(refProblems, [], `test expectation does not hold for runc itself\n${both}`);
    }
    assert.ok(s.result.code !== 0, `${s.label} should fail\n${both}`);
    for (const p of s.phrases) assert.match(s.text, p, `error text of ${s.label} should match ${p}\n${both}`);
    assert.deepEqual(s.leftovers, [], `${s.label} left something behind\n${both}`);
  });
}

async function createOk(c: Ctx, args: string[] = ['create']): Promise<void> {
  const r = await c.rt.exec([...args, '--bundle', c.bundle!.dir, c.id]);
  assert.equal(r.code, 0, describeResult(r));
  c.keepPids.push((await c.rt.state(c.id)).pid);
}

async function stillInState(c: Ctx, status: string): Promise<void> {
  const st = await c.rt.state(c.id);
  assert.equal(st.status, status, `container should still be ${status}: ${JSON.stringify(st)}`);
  assert.ok(processAlive(st.pid), `init ${st.pid} should still be alive`);
  assert.equal(st.pid, c.keepPids[0], 'init pid changed');
}

/** A container that ran `true` to completion and was kept (run --keep): status stopped. */
async function runKeptToExit(c: Ctx): Promise<void> {
  const r = await c.rt.exec(['run', '--keep', '--bundle', c.bundle!.dir, c.id]);
  assert.equal(r.code, 0, describeResult(r));
  await c.rt.waitForStatus(c.id, 'stopped');
}

const create = (c: Ctx, extra: string[] = []): Promise<ExecResult> =>
  c.rt.exec(['create', ...extra, '--bundle', c.bundle!.dir, c.id]);

describe(`bad input (${sut.label}${ref ? ', checked against runc' : ''})`, () => {
  describe('bundle and config', () => {
    badInput({
      name: 'create with a bundle directory that does not exist',
      bundle: false,
      act: (c) => c.rt.exec(['create', '--bundle', path.join(c.rt.base, 'no-such-bundle'), c.id]),
      phrases: (c) => [/no such file or directory/i, escape(path.join(c.rt.base, 'no-such-bundle'))],
    });

    badInput({
      name: 'create with a bundle that has no config.json',
      act: (c) => {
        fs.rmSync(c.bundle!.configPath);
        return create(c);
      },
      phrases: [/config\.json/, /not found|no such file/i],
    });

    badInput({
      name: 'create with a config.json that is not valid JSON',
      act: (c) => {
        fs.writeFileSync(c.bundle!.configPath, '{bad json');
        return create(c);
      },
      phrases: [/invalid character|json|unexpected token|parse/i],
    });

    badInput({
      name: 'create with empty process.args',
      bundle: { args: [] },
      act: (c) => create(c),
      phrases: [/args/i],
    });
  });

  describe('seccomp profiles', () => {
    const withSeccomp = (seccomp: Record<string, unknown>): BundleOptions => ({
      args: ['true'],
      mutate: (spec) => { (spec.linux as Record<string, unknown>).seccomp = seccomp; },
    });

    badInput({
      name: 'create with a notify listener that is not there: the init is killed, nothing left',
      bundle: withSeccomp({
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: '/nonexistent-dir/agent.sock',
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
      }),
      act: (c) => create(c),
      phrases: [/seccomp agent/, /\/nonexistent-dir\/agent\.sock/, /no such file or directory/],
    });

    badInput({
      name: 'create with SCMP_ACT_NOTIFY on write',
      bundle: withSeccomp({
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: '/run/agent.sock',
        syscalls: [{ names: ['write'], action: 'SCMP_ACT_NOTIFY' }],
      }),
      act: (c) => create(c),
      phrases: [/SCMP_ACT_NOTIFY cannot be used for the write syscall/],
    });

    badInput({
      name: 'create with an architecture this libseccomp does not know',
      bundle: withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_LOONGARCH64'] }),
      act: (c) => create(c),
      phrases: [/seccomp/i, /SCMP_ARCH_LOONGARCH64/],
    });
  });

  // This host has neither AppArmor nor SELinux (the suite checks runc fails too). runc 1.1 says
  // so only for selinuxLabel; for the others it fails later (attr write, /dev's tmpfs mount), so
  // the phrases are the words both messages carry.
  describe('security labels the host cannot apply', () => {
    const lsmHost = detectLsm();
    const skipOnHostWith = (has: boolean): { skip?: string } => (has ? { skip: 'this host has the module' } : {});
    const MOUNT_LABEL = 'system_u:object_r:container_file_t:s0:c1,c2';

    badInput({
      name: 'create with process.apparmorProfile',
      ...skipOnHostWith(lsmHost.apparmor),
      bundle: { args: ['true'], mutate: (s) => { s.process.apparmorProfile = 'docker-default'; } },
      act: (c) => create(c),
      phrases: [/apparmor/i, /profile/],
    });

    badInput({
      name: 'run with process.selinuxLabel: runc\'s exact text',
      ...skipOnHostWith(lsmHost.selinux),
      bundle: { args: ['true'], mutate: (s) => { s.process.selinuxLabel = 'system_u:system_r:container_t:s0:c1,c2'; } },
      act: (c) => c.rt.exec(['run', '--bundle', c.bundle!.dir, c.id]),
      phrases: [/selinux label is specified in config, but selinux is disabled or not supported/],
    });

    badInput({
      name: 'create with linux.mountLabel',
      ...skipOnHostWith(lsmHost.selinux),
      bundle: { args: ['true'], mutate: (s) => { s.linux.mountLabel = MOUNT_LABEL; } },
      act: (c) => create(c),
      phrases: [/mount/, escape(MOUNT_LABEL)],
    });
  });

  // No resctrl on this host. runc ≥ 1.4 refuses any intelRdt ("intelRdt is specified in config,
  // but Intel RDT is not enabled"); runc 1.1 refuses only the schemas it cannot write and runs
  // the rest without RDT, against config-linux.md's MUST.
  describe('linux.intelRdt without resctrl', () => {
    const withRdt = (intelRdt: Record<string, unknown>): BundleOptions => ({
      args: ['true'],
      mutate: (s) => { s.linux.intelRdt = intelRdt; },
    });
    const RUNC_1_1 = 'runc < 1.4 runs this config without RDT';
    const phrases = (c: Ctx): RegExp[] => (c.rt === ref
      ? [/Intel RDT\/(CAT|MBA) is not enabled/]
      : [/config\.json: \/linux\/intelRdt: intelRdt is specified in config, but Intel RDT is not enabled \(no resctrl filesystem is mounted\)/]);
    for (const [what, rdt, runcSkip] of [
      ['l3CacheSchema', { l3CacheSchema: 'L3:0=7f0;1=1f' }, undefined],
      ['memBwSchema', { closID: 'guaranteed_group', memBwSchema: 'MB:0=20;1=70' }, undefined],
      ['only a closID', { closID: 'guaranteed_group' }, RUNC_1_1],
      ['schemata', { schemata: ['L3:0=7f0;1=1f', 'MB:0=20;1=70'] }, RUNC_1_1],
      ['enableMonitoring', { enableMonitoring: true }, RUNC_1_1],
      ['an empty object', {}, RUNC_1_1],
    ] as const) {
      badInput({ name: `create with linux.intelRdt: ${what}`, runcSkip, bundle: withRdt(rdt), act: (c) => create(c), phrases });
    }
  });

  describe('container ids', () => {
    badInput({
      name: 'create with an id that already exists',
      setup: (c) => createOk(c),
      act: (c) => create(c),
      phrases: [/already exists/i],
      verify: (c) => stillInState(c, 'created'),
    });

    for (const bad of ['../x', 'a/b', 'a b', '..', '']) {
      badInput({
        name: `create with the malformed id ${JSON.stringify(bad)}`,
        rawId: bad,
        act: (c) => create(c),
        phrases: [/container id/i],
      });
    }
  });

  describe('commands in the wrong state', () => {
    badInput({
      name: 'start of a running container',
      setup: (c) => createOk(c, ['run', '--detach']),
      act: (c) => c.rt.exec(['start', c.id]),
      phrases: [/running/i],
      verify: (c) => stillInState(c, 'running'),
    });

    badInput({
      name: 'start of a container that has stopped',
      bundle: { args: ['true'] },
      setup: runKeptToExit,
      act: (c) => c.rt.exec(['start', c.id]),
      phrases: [/stopped/i],
    });

    badInput({
      name: 'delete of a running container without --force',
      setup: (c) => createOk(c, ['run', '--detach']),
      act: (c) => c.rt.exec(['delete', c.id]),
      phrases: [/not stopped/i, /running/],
      verify: (c) => stillInState(c, 'running'),
    });

    badInput({
      name: 'kill of a container that has stopped',
      bundle: { args: ['true'] },
      setup: runKeptToExit,
      act: (c) => c.rt.exec(['kill', c.id, 'KILL']),
      phrases: [/not running/i],
    });

    badInput({
      name: 'kill with an unknown signal name',
      setup: (c) => createOk(c, ['run', '--detach']),
      act: (c) => c.rt.exec(['kill', c.id, 'NOSUCHSIG']),
      phrases: [/signal/i, /NOSUCHSIG/],
      verify: (c) => stillInState(c, 'running'),
    });
  });

  describe('unknown ids', () => {
    for (const cmd of [['state'], ['start'], ['kill'], ['kill', '--all'], ['delete']]) {
      badInput({
        name: `${cmd.join(' ')} of an unknown id`,
        bundle: false,
        act: (c) => c.rt.exec([...cmd, c.id]),
        phrases: [/container does not exist/],
      });
    }

    badInput({
      name: 'state of an unknown id: text log format on stderr',
      bundle: false,
      act: (c) => c.rt.exec(['state', c.id]),
      phrases: [/^time="[^"]+" level=error msg="container does not exist"$/m],
    });

    badInput({
      name: 'state of an unknown id with --log FILE --log-format json',
      bundle: false,
      act: (c) => c.rt.exec(['state', c.id], {
        globalArgs: ['--log', path.join(c.rt.ioDir, `${c.id}.log`), '--log-format', 'json'],
      }),
      errorText: (c) => {
        const f = path.join(c.rt.ioDir, `${c.id}.log`);
        const lines = fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
        fs.rmSync(f, { force: true });
        // Normalised to one canonical line per entry so the phrase can check fields, not layout.
        return lines.map((l) => {
          try {
            const j = JSON.parse(l) as { level?: unknown; msg?: unknown };
            return `level=${String(j.level)} msg=${String(j.msg)}`;
          } catch {
            return `not JSON: ${l}`;
          }
        }).join('\n');
      },
      phrases: [/^level=error msg=container does not exist$/m],
    });
  });

  describe('process and mounts', () => {
    badInput({
      name: 'create with an executable that is not in $PATH',
      bundle: { args: ['no-such-program-xyz'] },
      act: (c) => create(c),
      phrases: [/exec: \\?"no-such-program-xyz\\?": executable file not found in \$PATH/],
    });

    badInput({
      name: 'run with an executable that is not in $PATH',
      bundle: { args: ['no-such-program-xyz'] },
      act: (c) => c.rt.exec(['run', '--bundle', c.bundle!.dir, c.id]),
      phrases: [/executable file not found in \$PATH/, /no-such-program-xyz/],
    });

    badInput({
      name: 'create with an absolute executable path that does not exist',
      bundle: { args: ['/no/such/binary'] },
      act: (c) => create(c),
      // Case-sensitive: podman maps these exact lowercase phrases to exit codes 127 and 126.
      phrases: [/\/no\/such\/binary/, /no such file or directory/],
    });

    badInput({
      name: 'create with a process that is not executable',
      bundle: { args: ['/etc/passwd'] },
      act: (c) => create(c),
      phrases: [/\/etc\/passwd/, /permission denied/],
    });

    badInput({
      name: 'create with a mount of an unknown filesystem type',
      bundle: { mounts: [{ destination: '/mnt/x', type: 'nonexistentfs', source: 'none' }] },
      act: (c) => create(c),
      phrases: [/\/mnt\/x/, /no such device/i],
    });

    badInput({
      name: 'create with a bind mount whose source does not exist',
      bundle: { mounts: [{ destination: '/mnt/y', type: 'bind', source: '/nonexistent-src-for-test', options: ['rbind'] }] },
      act: (c) => create(c),
      phrases: [/\/nonexistent-src-for-test/, /\/mnt\/y/, /no such file or directory/],
    });
  });
});

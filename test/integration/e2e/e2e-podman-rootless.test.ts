// Rootless podman end to end: a user made for this file (test/helpers/test-user.ts, one subuid and
// subgid range) runs podman 4.3 with its own ~/.config/containers (test/helpers/e2e/podman-rootless.ts):
// vfs storage in the home, no network, cgroupfs (no cgroups on this v1 host), the runtimes under
// test by path. podman runs the runtime inside its own user namespace as that namespace's root,
// without --root: tsrunc must count itself rootless there, keep its state in the user's
// $XDG_RUNTIME_DIR and bind device nodes instead of mknod. Every scenario runs with runc 1.1.5
// first, then tsrunc, and the two must see the same; afterwards no process, state or mount of
// the user may remain.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasRunc, hostMountsMentioning, processAlive, relatedProcesses, sleep, tsruncIsRunc } from '../../helpers/runtime';
import { describeCommand, type CommandResult } from '../../helpers/e2e/command';
import { buildBusyboxImage } from '../../helpers/e2e/image';
import { podmanMissing } from '../../helpers/e2e/podman';
import { RootlessPodman, rootlessPodmanSkip } from '../../helpers/e2e/podman-rootless';
import { loggedCalls, writeRuntimeWrapper, type RuntimeWrapper } from '../../helpers/e2e/wrapper';
import { TestUser, idHelpersSkip, testUserSkip } from '../../helpers/test-user';

const T = { timeout: 180_000 };
const SUB = { start: 400000, size: 65536 };
const skip = testUserSkip ?? podmanMissing() ?? idHelpersSkip ?? rootlessPodmanSkip() ?? false;

const user = new TestUser({ prefix: 'tsrunc-rlpm', sub: SUB });
let pm: RootlessPodman;
let image = '';
const wrappers: Record<string, RuntimeWrapper> = {};
/** What each runtime's run showed, compared at the end: runc's is the reference. */
const seen: Record<string, Record<string, unknown>> = {};

function expectCode(r: CommandResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: expected exit ${code}\n${describeCommand(r)}`);
}

/** The host's view of an id map file, as rows of three numbers. */
function mapRows(text: string): number[][] {
  return text.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
}

/** The podman user namespace's map: the user's own id as 0, the subordinate range from 1. */
function expectedMap(own: number): number[][] {
  return [[0, own, 1], [1, SUB.start, SUB.size]];
}

/** Live processes running as the user or as one of their subordinate ids. */
function userProcesses(): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    let status = '';
    try { status = fs.readFileSync(`/proc/${ent}/status`, 'utf8'); } catch { continue; }
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    const mine = uid === user.uid || (uid >= SUB.start && uid < SUB.start + SUB.size);
    if (!mine || !processAlive(Number(ent))) continue;
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${ent}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { /* gone */ }
    out.push({ pid: Number(ent), cmdline: cmd });
  }
  return out;
}

/** A runtime's default state root for the user: $XDG_RUNTIME_DIR/<name> (runc's also with TSRUNC_BIN=runc). */
function stateRoot(kind: string): string {
  return path.join(user.runtimeDir, kind === 'tsrunc' && tsruncIsRunc() ? 'runc' : kind);
}

/** Container state directories (not tsrunc's .cache) in a runtime's default root. */
function stateDirs(kind: string): string[] {
  const root = stateRoot(kind);
  return fs.existsSync(root) ? fs.readdirSync(root).filter((e) => e !== '.cache') : [];
}

/** Mount lines mentioning `marker`, in the host's table and in podman's own mount namespace. */
function mountsMentioning(marker: string): string[] {
  const found = hostMountsMentioning([marker]).map((l) => `host: ${l}`);
  const pause = pm.pausePid();
  if (pause !== undefined) {
    try {
      for (const l of fs.readFileSync(`/proc/${pause}/mountinfo`, 'utf8').split('\n')) if (l.includes(marker)) found.push(`podman's namespace: ${l}`);
    } catch { /* the pause process went meanwhile */ }
  }
  return found;
}

/** Nothing of container `id` remains: state in the runtime's root, a process, a mount; podman lists it no more. */
async function expectNothingLeft(kind: string, id: string): Promise<void> {
  assert.match(id, /^[0-9a-f]{64}$/, 'the container id is known');
  const stateDir = path.join(stateRoot(kind), id);
  const deadline = Date.now() + 10_000;
  let left: string[] = [];
  for (;;) {
    left = [];
    if (fs.existsSync(stateDir)) left.push(`state directory ${stateDir}`);
    for (const p of relatedProcesses({ ids: [id] })) if (processAlive(p.pid)) left.push(`process ${p.pid} (${p.cmdline}): ${p.why}`);
    left.push(...mountsMentioning(id));
    if (left.length === 0 || Date.now() > deadline) break;
    await sleep(100);
  }
  assert.deepEqual(left, [], `container ${id} left things behind`);
  const listed = await pm.podman(['ps', '--all', '--quiet', '--no-trunc']);
  assert.ok(!listed.stdout.split('\n').includes(id), `podman still lists ${id}`);
}

describe('rootless podman (a test user, its own user namespace) on runc and on tsrunc', { skip }, () => {
  before(async () => {
    user.create();
    // podman writes its storage and caches below $HOME: the home is the user's, as a login's is.
    fs.chownSync(user.home, user.uid, user.gid);
    // Everything the user's podman reads lives in the home: wrappers (with their call logs) and the image.
    const tools = path.join(user.home, 'tools');
    fs.mkdirSync(tools, { mode: 0o755 });
    const kinds = hasRunc() ? (['runc', 'tsrunc'] as const) : (['tsrunc'] as const);
    for (const kind of kinds) {
      const w = writeRuntimeWrapper(tools, kind);
      fs.chownSync(w.callLog, user.uid, user.gid);
      wrappers[kind] = w;
    }
    pm = new RootlessPodman(user, tools, { tsrunc: wrappers.tsrunc, ...(wrappers.runc ? { runc: wrappers.runc } : {}) });
    const img = buildBusyboxImage(tools);
    fs.chmodSync(img.tar, 0o644);
    image = img.ref;
    expectCode(await pm.podman(['load', '--quiet', '--input', img.tar]), 0, 'podman load');
  });

  after(async () => {
    if (!pm) { user.remove(); return; }
    const list = await pm.podman(['ps', '--all', '--quiet', '--no-trunc']).catch(() => undefined);
    const ids = (list?.stdout ?? '').split('\n').filter(Boolean);
    if (ids.length > 0) await pm.podman(['rm', '--force', '--time', '0', ...ids]).catch(() => undefined);
    await pm.podman(['system', 'migrate']).catch(() => undefined);
    // The vfs layers hold files of the subordinate ids: root removes the home (remove() does).
    user.remove();
    assert.deepEqual(ids, [], 'containers were still there at the end');
    assert.notEqual(spawnSync('id', [user.name]).status, 0, `the test user ${user.name} is still there`);
  });

  test('podman runs rootless with the user\'s own configuration', T, async () => {
    const r = await pm.podman(['info', '--format', '{{.Host.Security.Rootless}} {{.Host.CgroupManager}} {{.Host.EventLogger}} {{.Store.GraphDriverName}} {{.Store.GraphRoot}} {{.Store.RunRoot}}']);
    expectCode(r, 0, 'podman info');
    assert.deepEqual(r.stdout.trim().split(' '), ['true', 'cgroupfs', 'file', 'vfs', pm.graphRoot, pm.runRoot], describeCommand(r));
  });

  for (const kind of ['runc', 'tsrunc'] as const) {
    describe(`--runtime ${kind}`, { skip: kind === 'runc' && !hasRunc() ? 'runc is not installed' : false }, () => {
      const rt = ['--runtime', kind];
      const mine = (): Record<string, unknown> => (seen[kind] ??= {});
      const name = `rlpm-${kind}`;
      let id = '';
      let pid = 0;

      test('run --rm: output, exit code 3 passed through, the container\'s view of its ids; nothing left', T, async () => {
        const cidfile = path.join(user.home, `cid-${kind}`);
        const r = await pm.podman([...rt, 'run', '--rm', '--network', 'none', '--cidfile', cidfile, image,
          'sh', '-c', 'echo "uid $(id -u) gid $(id -g)"; cat /proc/self/uid_map /proc/self/gid_map; echo to-stderr >&2; exit 3']);
        const rmId = fs.readFileSync(cidfile, 'utf8').trim();
        expectCode(r, 3, 'podman run --rm');
        const lines = r.stdout.trim().split('\n');
        assert.equal(lines[0], 'uid 0 gid 0', describeCommand(r));
        const maps = mapRows(lines.slice(1).join('\n'));
        assert.deepEqual(maps, [...expectedMap(user.uid), ...expectedMap(user.gid)], describeCommand(r));
        assert.match(r.stderr, /to-stderr/, describeCommand(r));
        const calls = loggedCalls(wrappers[kind]).filter((c) => c.includes(rmId));
        for (const verb of ['create', 'start', 'delete']) {
          assert.ok(calls.some((c) => new RegExp(`(^| )${verb} `).test(c)), `podman/conmon never called ${verb}: ${calls.join('\n')}`);
        }
        mine().runRm = { code: r.code, lines, rootFlag: calls.some((c) => / ?--root[ =]/.test(c)) };
        await expectNothingLeft(kind, rmId);
      });

      test('the container\'s view: mount table, credentials, seccomp, limits, /dev (compared with runc\'s at the end)', T, async () => {
        const r = await pm.podman([...rt, 'run', '--rm', '--network', 'none', image, 'sh', '-c', [
          'cat /proc/self/mountinfo', 'echo ---',
          'grep -E "^(Uid|Gid|Groups|Cap|NoNewPrivs|Seccomp)" /proc/self/status', 'ulimit -a', 'umask', 'echo ---',
          'stat -c "%n %A %u %g %t:%T" /dev/* /dev/pts/ptmx',
        ].join('; ')]);
        expectCode(r, 0, 'podman run --rm (the container\'s view)');
        const [mountinfo, creds, devs] = r.stdout.split('---\n');
        // Mount point, its options, type and the superblock's options: ids and sources vary by run.
        const mounts = mountinfo.trim().split('\n').map((l) => {
          const f = l.split(' ');
          const sep = f.indexOf('-');
          return [f[4], f[5], f[sep + 1], f[sep + 3]].join(' ');
        }).sort();
        assert.ok(mounts.some((m) => m.startsWith('/dev/null ')), `/dev/null is a bind mount: ${mounts.join('\n')}`);
        assert.match(creds, /^Uid:\s+0\s+0\s+0\s+0$/m, describeCommand(r));
        assert.match(creds, /^Seccomp:\s+2$/m, describeCommand(r));
        // The host's nodes, bound in: their owner, root of the host, is unmapped here (nobody).
        assert.match(devs, /^\/dev\/null crw-rw-rw- 65534 65534 1:3$/m, describeCommand(r));
        mine().view = { mounts, creds, devs: devs.trim().split('\n') };
      });

      test('run -d: ps and inspect show it running; the host sees the user\'s ids', T, async () => {
        const cidfile = path.join(user.home, `cid-d-${kind}`);
        const r = await pm.podman([...rt, 'run', '--detach', '--network', 'none', '--name', name, '--cidfile', cidfile, image, 'sh', '-c', 'echo hello; exec sleep 600']);
        expectCode(r, 0, 'podman run -d');
        id = fs.readFileSync(cidfile, 'utf8').trim();
        const ps = await pm.podman(['ps', '--format', 'json']);
        expectCode(ps, 0, 'podman ps');
        const listed = (JSON.parse(ps.stdout) as { Id: string; Names: string[]; State: string }[]).find((c) => c.Id === id);
        assert.deepEqual([listed?.Names, listed?.State], [[name], 'running'], describeCommand(ps));
        const ins = await pm.podman(['inspect', '--format', '{{.State.Pid}} {{.State.Status}} {{.OCIRuntime}}', name]);
        expectCode(ins, 0, 'podman inspect');
        const [p, status, runtime] = ins.stdout.trim().split(' ');
        assert.equal(status, 'running');
        assert.equal(runtime, kind);
        pid = Number(p);
        assert.ok(processAlive(pid), `the init ${pid} runs`);
        // podman passes no --root: the runtime's default for a user, in the user's runtime directory.
        const stateDir = path.join(stateRoot(kind), id);
        assert.ok(fs.existsSync(stateDir), `the state is in ${stateDir}`);
        assert.equal(fs.statSync(stateDir).uid, user.uid, 'the state belongs to the user');
        // runc's mark on its root there: sticky, so a session manager does not prune it.
        const rootMode = (fs.statSync(stateRoot(kind)).mode & 0o7777).toString(8);
        assert.equal(rootMode, '1700', `mode of ${stateRoot(kind)}`);
        // From the host: the container's root is the user; its namespace maps the user and the range.
        const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        assert.match(st, new RegExp(`^Uid:\\s+${user.uid}\\s+${user.uid}\\s`, 'm'), st);
        assert.deepEqual(mapRows(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8')), expectedMap(user.uid));
        assert.deepEqual(mapRows(fs.readFileSync(`/proc/${pid}/gid_map`, 'utf8')), expectedMap(user.gid));
        // The rootfs (vfs, unpacked by podman in its namespace): the image's root-owned files are the user's.
        const bb = fs.statSync(`/proc/${pid}/root/bin/busybox`);
        assert.deepEqual([bb.uid, bb.gid], [user.uid, user.gid], 'the image\'s root-owned files belong to the user on the host');
        mine().detached = { status, rootMode, uidLine: /^Uid:.*$/m.exec(st)?.[0].replace(/\d+/g, (n) => (Number(n) === user.uid ? 'USER' : n)) };
      });

      test('exec without a tty: output and exit code; a file chowned inside shows the subordinate id outside', T, async () => {
        // /dev/null: the host's node bound in (no mknod in a user namespace), so a mount of its own.
        const r = await pm.podman(['exec', name, 'sh', '-c',
          'touch /tmp/f && chown 1000:1000 /tmp/f && stat -c "%u:%g" /tmp/f; id -u; stat -c "%t:%T" /dev/null; grep -c " /dev/null " /proc/self/mountinfo; [ -t 1 ] || echo no-tty; exit 5']);
        expectCode(r, 5, 'podman exec');
        assert.deepEqual(r.stdout.trim().split('\n'), ['1000:1000', '0', '1:3', '1', 'no-tty'], describeCommand(r));
        const f = fs.statSync(`/proc/${pid}/root/tmp/f`);
        assert.deepEqual([f.uid, f.gid], [SUB.start + 999, SUB.start + 999], 'container id 1000 is subordinate id start+999 on the host');
        mine().exec = { code: r.code, stdout: r.stdout };
      });

      test('exec -t: a pty, the exit code comes back', T, async () => {
        const r = await pm.podman(['exec', '--tty', name, 'sh', '-c', 'tty; id -u; exit 6'], { tty: true });
        expectCode(r, 6, 'podman exec -t');
        assert.match(r.stdout, /^\/dev\/pts\/\d+\r?$/m, describeCommand(r));
        assert.match(r.stdout, /^0\r?$/m, describeCommand(r));
        assert.ok(loggedCalls(wrappers[kind]).some((c) => / exec .*--console-socket /.test(c) && c.endsWith(id)), 'exec with a tty went through --console-socket');
        mine().execTty = { code: r.code };
      });

      test('top: the init as root inside, the user outside; logs', T, async () => {
        const top = await pm.podman(['top', name, 'pid', 'user', 'huser', 'args']);
        expectCode(top, 0, 'podman top');
        const rows = top.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/).join(' '));
        assert.deepEqual(rows, [`1 root ${user.uid} sleep 600`], describeCommand(top));
        const logs = await pm.podman(['logs', name]);
        expectCode(logs, 0, 'podman logs');
        assert.equal(logs.stdout, 'hello\n', describeCommand(logs));
        mine().top = rows.map((r) => r.replace(String(user.uid), 'USER'));
      });

      test('kill and wait: 137; start again: a new init', T, async () => {
        expectCode(await pm.podman(['kill', name]), 0, 'podman kill');
        const w = await pm.podman(['wait', name]);
        expectCode(w, 0, 'podman wait');
        assert.equal(w.stdout.trim(), '137', describeCommand(w));
        assert.ok(!processAlive(pid), `the init ${pid} is still alive`);
        expectCode(await pm.podman(['start', name]), 0, 'podman start');
        const ins = await pm.podman(['inspect', '--format', '{{.State.Pid}} {{.State.Status}}', name]);
        const [p, status] = ins.stdout.trim().split(' ');
        assert.equal(status, 'running', describeCommand(ins));
        assert.notEqual(Number(p), pid, 'a new init');
        pid = Number(p);
        assert.ok(fs.existsSync(path.join(stateRoot(kind), id)), 'the new init\'s state is in the user\'s runtime directory');
        mine().killStart = [w.stdout.trim(), status];
      });

      test('stop -t 1: SIGTERM ignored by PID 1 (no handler), SIGKILL after 1 s; exited 137', T, async () => {
        const r = await pm.podman(['stop', '--time', '1', name]);
        expectCode(r, 0, 'podman stop -t 1');
        const ins = await pm.podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name]);
        assert.equal(ins.stdout.trim(), 'exited 137', describeCommand(ins));
        assert.ok(!processAlive(pid), `the init ${pid} is still alive`);
        const kills = loggedCalls(wrappers[kind]).filter((c) => c.includes(id) && /(^| )kill /.test(c));
        assert.ok(kills.some((c) => / (15|TERM|SIGTERM)$/.test(c)), `no SIGTERM sent: ${kills.join('\n')}`);
        assert.ok(kills.some((c) => / (9|KILL|SIGKILL)$/.test(c)), `no SIGKILL sent: ${kills.join('\n')}`);
        mine().stop = ins.stdout.trim();
      });

      test('rm: nothing left (state under $XDG_RUNTIME_DIR, process, mount)', T, async () => {
        expectCode(await pm.podman(['rm', name]), 0, 'podman rm');
        await expectNothingLeft(kind, id);
        assert.deepEqual(stateDirs(kind), [], `state left in ${stateRoot(kind)}`);
      });

      test('run --userns keep-id: a user namespace of the container\'s own, inside podman\'s, mapped by the runtime as its root', T, async () => {
        // The config asks for a new user namespace mapping ids of podman's namespace: the runtime,
        // root there, writes the maps itself (no newuidmap, no /etc/subuid: those are for host users).
        const r = await pm.podman([...rt, 'run', '--rm', '--network', 'none', '--userns', 'keep-id', image,
          'sh', '-c', 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups']);
        expectCode(r, 0, 'podman run --userns keep-id');
        const [u, g, ...rest] = r.stdout.trim().split('\n');
        assert.deepEqual([u, g], [String(user.uid), String(user.gid)], describeCommand(r));
        // Container ids as podman's namespace numbers them: 0..uid-1 from 1, the user's own id
        // (podman's 0) at its own number, the rest of the range after it.
        const idMap = (own: number): number[][] => [[0, 1, own], [own, 0, 1], [own + 1, own + 1, SUB.size + 1 - (own + 1)]];
        assert.deepEqual(mapRows(rest.slice(0, 6).join('\n')), [...idMap(user.uid), ...idMap(user.gid)], describeCommand(r));
        assert.equal(rest[6], 'allow', 'setgroups stays allowed: the maps were written by root of the parent namespace');
        mine().keepId = r.stdout.replace(new RegExp(`\\b${user.uid}\\b`, 'g'), 'USER');
      });

      test('run -t --rm: a pty for the init (through --console-socket), its exit code; nothing left', T, async () => {
        const cidfile = path.join(user.home, `cid-t-${kind}`);
        const r = await pm.podman([...rt, 'run', '--rm', '--tty', '--network', 'none', '--cidfile', cidfile, image,
          'sh', '-c', 'tty; [ -t 0 ] && echo stdin-is-a-tty; exit 4'], { tty: true });
        const tId = fs.readFileSync(cidfile, 'utf8').trim();
        expectCode(r, 4, 'podman run -t');
        assert.match(r.stdout, /^\/dev\/pts\/0\r?$/m, describeCommand(r));
        assert.match(r.stdout, /^stdin-is-a-tty\r?$/m, describeCommand(r));
        assert.ok(loggedCalls(wrappers[kind]).some((c) => / create .*--console-socket /.test(c) && c.endsWith(tId)), 'create went through --console-socket');
        mine().runTty = r.stdout.replace(/\r/g, '');
        await expectNothingLeft(kind, tId);
      });
    });
  }

  test('runc and tsrunc showed the same', { skip: hasRunc() ? false : 'runc is not installed' }, () => {
    assert.ok(seen.runc && seen.tsrunc, 'both runtimes ran every scenario');
    assert.deepEqual(seen.tsrunc, seen.runc);
  });

  test('afterwards: no process of the user but podman\'s pause process, which `system migrate` ends; no state, no mount of the home', T, async () => {
    const pause = pm.pausePid();
    assert.deepEqual(userProcesses().filter((p) => p.pid !== pause), [], 'processes of the user besides podman\'s pause process');
    expectCode(await pm.podman(['system', 'migrate']), 0, 'podman system migrate');
    const deadline = Date.now() + 10_000;
    while (userProcesses().length > 0 && Date.now() < deadline) await sleep(100);
    assert.deepEqual(userProcesses(), [], 'processes of the user');
    for (const kind of Object.keys(wrappers)) assert.deepEqual(stateDirs(kind), [], `state left in ${stateRoot(kind)}`);
    assert.deepEqual(hostMountsMentioning([user.home]), [], 'mounts of the user\'s home');
  });
});

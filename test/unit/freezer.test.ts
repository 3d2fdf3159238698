// The freezer's waiting and signalling logic, driven through the small interfaces the drivers give
// it (FreezerFiles, SignalTarget): a cgroup that never settles, one that settles late and needs
// the request repeated, the thaw after a failed freeze, and freezing around `kill --all` only where
// the driver can. The kernel's side (v1 freezer.state, v2 cgroup.freeze) is in cgroups-freezer.test;
// the file readers are fed the kernel's texts here, FREEZING among them, which a real cgroup shows
// only while a task sits in an uninterruptible sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { signalEveryProcess, waitForFreezer, type FreezerFiles, type SignalTarget } from '../../src/cgroups/freezer';
import { v1FreezerState, v2FreezerState } from '../../src/cgroups/freezer-state';

/** A freezer that settles after `checksBeforeSettling` negative checks (never: Infinity). */
function freezer(checksBeforeSettling: number): FreezerFiles & { requests: boolean[]; checks: number } {
  const f = {
    requests: [] as boolean[],
    checks: 0,
    request(frozen: boolean) { f.requests.push(frozen); },
    settled(_frozen: boolean) { return f.checks++ >= checksBeforeSettling; },
  };
  return f;
}

test('a freezer that settles at once: one request, no error', () => {
  const f = freezer(0);
  waitForFreezer('/cg', f, true, 1000);
  assert.deepEqual(f.requests, [true]);
  assert.equal(f.checks, 1);
});

test('a freezer that settles late is waited for, with the request repeated every tenth check', () => {
  const f = freezer(12);
  waitForFreezer('/cg', f, true, 5000);
  assert.equal(f.checks, 13);
  // The first request, then one after the tenth unsuccessful check (v1 makes progress on a rewrite).
  assert.deepEqual(f.requests, [true, true]);
  const g = freezer(25);
  waitForFreezer('/cg', g, false, 5000);
  assert.deepEqual(g.requests, [false, false, false]);
});

test('a freezer that never freezes: an error naming the cgroup and the time, and the cgroup thawed again', () => {
  const f = freezer(Infinity);
  const started = Date.now();
  assert.throws(() => waitForFreezer('/sys/fs/cgroup/freezer/x', f, true, 60), {
    message: 'cgroup /sys/fs/cgroup/freezer/x did not become frozen within 60 ms',
  });
  assert.ok(Date.now() - started >= 60, 'not before the deadline');
  assert.equal(f.requests[0], true);
  assert.equal(f.requests.at(-1), false, 'a half-frozen cgroup is let go');
});

test('a freezer that never thaws: the error says thawed, and nothing asks to freeze it', () => {
  const f = freezer(Infinity);
  assert.throws(() => waitForFreezer('/cg', f, false, 40), { message: 'cgroup /cg did not become thawed within 40 ms' });
  assert.ok(f.requests.every((r) => r === false), String(f.requests));
});

function target(canFreeze: boolean): SignalTarget & { calls: string[] } {
  const t = {
    calls: [] as string[],
    canFreeze: () => canFreeze,
    freezerState: () => 'thawed' as const,
    freeze() { t.calls.push('freeze'); },
    thaw() { t.calls.push('thaw'); },
    // No real process is signalled: the list is read, between the freeze and the thaw.
    pids() { t.calls.push('pids'); return []; },
  };
  return t;
}

test('kill --all freezes around the listing where the driver can freeze, and thaws after', () => {
  const t = target(true);
  signalEveryProcess(t, 15);
  assert.deepEqual(t.calls, ['freeze', 'pids', 'thaw']);
});

test('kill --all without a freezer only lists and signals', () => {
  const t = target(false);
  signalEveryProcess(t, 15);
  assert.deepEqual(t.calls, ['pids']);
});

function filesIn(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-freezer-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

test('v1 freezer.state: FROZEN, FREEZING and THAWED as the kernel writes them; no freezer is thawed', () => {
  for (const [text, want] of [['FROZEN\n', 'frozen'], ['FREEZING\n', 'freezing'], ['THAWED\n', 'thawed']] as const) {
    const dir = filesIn({ 'freezer.state': text });
    try { assert.equal(v1FreezerState(dir), want, text); } finally { fs.rmSync(dir, { recursive: true }); }
  }
  assert.equal(v1FreezerState(undefined), 'thawed');
});

test('v2: cgroup.freeze asks, `frozen 1` in cgroup.events says done', () => {
  const cases: [Record<string, string>, string][] = [
    [{ 'cgroup.freeze': '1\n', 'cgroup.events': 'populated 1\nfrozen 1\n' }, 'frozen'],
    [{ 'cgroup.freeze': '1\n', 'cgroup.events': 'populated 1\nfrozen 0\n' }, 'freezing'],
    [{ 'cgroup.freeze': '0\n', 'cgroup.events': 'populated 1\nfrozen 1\n' }, 'thawed'],
    [{ 'cgroup.events': 'populated 0\nfrozen 0\n' }, 'thawed'],
  ];
  for (const [files, want] of cases) {
    const dir = filesIn(files);
    try { assert.equal(v2FreezerState(dir), want, JSON.stringify(files)); } finally { fs.rmSync(dir, { recursive: true }); }
  }
});

// What the kernel holds for the container's process before it runs: process.oomScoreAdj and
// process.rlimits, read from inside (/proc/self/oom_score_adj, /proc/self/limits). Each case runs
// against runc first, so runc vouches for the expectations, then against the runtime under test.
//
// The values are chosen so that none of them can be inherited by accident: each differs from what
// the test process (and so the runtime it spawns) has, which the cases check first. A runtime that
// skipped the setting would show the inherited value and fail.

import { describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Spec } from '../../helpers/rootfs';
import { describeResult, uniqueId } from '../../helpers/runtime';
import { forEachRuntime, runtimesForSuite, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();

interface Limit { soft: string; hard: string }

/** /proc/<pid>/limits → "Max open files" → { soft, hard } (numbers or "unlimited"). */
function parseLimits(text: string): Map<string, Limit> {
  const out = new Map<string, Limit>();
  for (const line of text.split('\n').slice(1)) {
    // The name column is padded to 26 characters; the values follow, separated by spaces.
    const name = line.slice(0, 26).trim();
    const [soft, hard] = line.slice(26).trim().split(/\s+/);
    if (name !== '' && soft !== undefined && hard !== undefined) out.set(name, { soft, hard });
  }
  return out;
}

/** The rlimits the config sets and the /proc/self/limits row each shows up in. */
const RLIMITS: { type: string; row: string; soft: number; hard: number }[] = [
  // Soft below hard: a runtime applying one value to both would be caught.
  { type: 'RLIMIT_NOFILE', row: 'Max open files', soft: 321, hard: 4321 },
  { type: 'RLIMIT_NPROC', row: 'Max processes', soft: 1234, hard: 5678 },
  { type: 'RLIMIT_CORE', row: 'Max core file size', soft: 4096, hard: 1048576 },
  { type: 'RLIMIT_MSGQUEUE', row: 'Max msgqueue size', soft: 8192, hard: 16384 },
];

describe(`process limits (${pair.sut.label}${pair.ref ? ', each case also against runc' : ''})`, () => {
  for (const adj of [123, 987]) {
    forEachRuntime(pair, `process.oomScoreAdj ${adj} is the container process's /proc/self/oom_score_adj`, async (_t, rt) => {
      const inherited = Number(fs.readFileSync('/proc/self/oom_score_adj', 'utf8'));
      assert.notEqual(inherited, adj, 'the test process must not already have the value the case sets');
      await withContainer(rt, `oom-${rt.kind}`, {
        args: ['cat', '/proc/self/oom_score_adj'],
        mutate: (s: Spec) => { s.process.oomScoreAdj = adj; },
      }, async (b) => {
        const r = await rt.runToCompletion(b.dir, uniqueId(`oom-${rt.kind}`));
        assert.equal(r.code, 0, describeResult(r.result));
        assert.equal(r.stdout, `${adj}\n`, describeResult(r.result));
      });
    });
  }

  forEachRuntime(pair, 'rlimits: soft below hard, and limits other than NOFILE, as /proc/self/limits shows them', async (_t, rt) => {
    const own = parseLimits(fs.readFileSync('/proc/self/limits', 'utf8'));
    for (const l of RLIMITS) {
      const mine = own.get(l.row);
      assert.ok(mine, `no "${l.row}" row in this kernel's /proc/self/limits`);
      assert.ok(mine.soft !== String(l.soft) && mine.hard !== String(l.hard), `${l.type}: the test process already has ${l.soft}/${l.hard}`);
    }
    await withContainer(rt, `rlim-${rt.kind}`, {
      args: ['cat', '/proc/self/limits'],
      mutate: (s: Spec) => { s.process.rlimits = RLIMITS.map(({ type, soft, hard }) => ({ type, soft, hard })); },
    }, async (b) => {
      const r = await rt.runToCompletion(b.dir, uniqueId(`rlim-${rt.kind}`));
      assert.equal(r.code, 0, describeResult(r.result));
      const inside = parseLimits(r.stdout);
      for (const l of RLIMITS) {
        assert.deepEqual(inside.get(l.row), { soft: String(l.soft), hard: String(l.hard) }, `${l.type} (${l.row})\n${r.stdout}`);
      }
      // Limits the config does not name keep the runtime's own values: the stack size decides
      // whether busybox can run at all, so it is the one that matters here.
      assert.deepEqual(inside.get('Max stack size'), own.get('Max stack size'), r.stdout);
    });
  });
});

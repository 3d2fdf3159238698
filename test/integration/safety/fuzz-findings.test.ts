// What the fuzz scripts found, each kept as a plain regression test. (The command-line ones are in
// test/unit/argv.test.ts: a lone "-" as a flag's value when yargs parses the line.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planRlimits } from '../../../src/plan/security';
import { describeResult } from '../../helpers/runtime';
import { expectOk, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const { sut } = runtimesForSuite();

// scripts/fuzz-config.js, seed 777: a hard RLIMIT_NOFILE of 2^53 passed validate, and create failed
// in the launcher's setrlimit, blaming CAP_SYS_RESOURCE. Above fs.nr_open the kernel refuses it
// even with that capability, so it is refused up front, by validate too, naming the real limit.
test('an RLIMIT_NOFILE above fs.nr_open is refused by validate and create alike, naming the limit', TEST_TIMEOUT, async () => {
  const nrOpen = BigInt(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
  const over = (nrOpen + 1n).toString();
  await withContainer(sut, 'nofile', {
    args: ['true'],
    mutate: (s) => { s.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: Number(over), soft: 1024 }]; },
  }, async (b, id) => {
    const expected = new RegExp(`/process/rlimits/0/hard: RLIMIT_NOFILE ${over} is above this kernel's maximum number of open files \\(fs.nr_open = ${nrOpen}\\)`);
    const v = await sut.exec(['validate', '--bundle', b.dir]);
    assert.equal(v.code, 1, describeResult(v));
    assert.match(v.stderr, expected);
    const c = await sut.exec(['create', '--bundle', b.dir, id]);
    assert.equal(c.code, 1, describeResult(c));
    assert.match(c.stderr, expected);
    assert.ok(!fs.existsSync(path.join(sut.root, id)), 'no state directory is left');
  });
});

/** CAP_SYS_RESOURCE (24) in our effective set: raising a hard limit needs it. */
function haveSysResource(): boolean {
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  return ((BigInt(`0x${eff}`) >> 24n) & 1n) === 1n;
}

test('an RLIMIT_NOFILE of exactly fs.nr_open is accepted and set', TEST_TIMEOUT, async (t) => {
  if (!haveSysResource()) {
    t.skip('this host does not grant CAP_SYS_RESOURCE, so no hard limit can be raised (the launcher says so)');
    return;
  }
  const nrOpen = Number(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
  await withContainer(sut, 'nofile-max', {
    args: ['sh', '-c', 'ulimit -Hn'],
    mutate: (s) => { s.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: nrOpen, soft: 1024 }]; },
  }, async (b, id) => {
    const r = await sut.runToCompletion(b.dir, id);
    assert.equal(r.code, 0, describeResult(r.result));
    assert.equal(r.stdout.trim(), String(nrOpen));
  });
});

test('the plan builder takes RLIMIT_NOFILE up to fs.nr_open and refuses one above (and infinity)', () => {
  const nrOpen = BigInt(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
  const at = planRlimits([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: Number(nrOpen) }]);
  assert.deepEqual(at, [{ type: 7, soft: '1024', hard: String(nrOpen) }]);
  assert.throws(() => planRlimits([{ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 1024, hard: Number(nrOpen + 1n) }]),
    /\/process\/rlimits\/1\/hard: RLIMIT_NOFILE \d+ is above/);
  assert.throws(() => planRlimits([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2 ** 64 }]), /RLIMIT_NOFILE infinity is above/);
  // Other limits have no such ceiling.
  assert.equal(planRlimits([{ type: 'RLIMIT_CORE', soft: 1, hard: 2 ** 64 }])[0].hard, 'infinity');
});

// The same engine words as update --resources (scripts/fuzz-cli.js) came from exec --process.
test('exec --process with a JSON syntax error says where and why in our words', TEST_TIMEOUT, async () => {
  await withContainer(sut, 'badprocess', { args: ['sleep', '60'] }, async (b, id) => {
    expectOk(await sut.exec(['run', '--detach', '--bundle', b.dir, id]), 'run --detach');
    const file = path.join(b.dir, 'process.json');
    fs.writeFileSync(file, '{"args": [\n nope]}');
    const r = await sut.exec(['exec', '--process', file, id]);
    assert.equal(r.code, 255, describeResult(r));
    assert.match(r.stderr, new RegExp(`exec failed: ${file}: not valid JSON: line 2, column 2: `));
    assert.doesNotMatch(r.stderr, /JSON Parse error|Unexpected (token|identifier)|in JSON at position/);
  });
});

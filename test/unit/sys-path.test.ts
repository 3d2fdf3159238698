// src/sys/path.ts answers clean paths without path-browserify's character loops (a create makes
// about 300 such calls). Its answers must be node:path's, the oracle here: for every string of up
// to six characters over the characters that matter to a path, and for pairs and triples of them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { posix } from 'node:path';
import { isCleanPath, path } from '../../src/sys/path';

/** Every string of length 0..maxLen over `alphabet`. */
function allStrings(alphabet: string[], maxLen: number): string[] {
  const out = [''];
  let layer = [''];
  for (let len = 1; len <= maxLen; len++) {
    layer = layer.flatMap((s) => alphabet.map((c) => s + c));
    out.push(...layer);
  }
  return out;
}

const STRINGS = allStrings(['/', '.', 'a', 'b'], 6);
const SOME = allStrings(['/', '.', 'a'], 3);

test('isCleanPath is true only where normalize leaves the path as it is', () => {
  // Some normal paths take the slower way, with the same answer: `.`, `../a`, `/a/`.
  for (const p of STRINGS) if (isCleanPath(p)) assert.equal(posix.normalize(p), p, JSON.stringify(p));
  for (const p of ['/sys/fs/cgroup/cpu,cpuacct/tsrunc-test/cgroup.procs', '/a/.b', '/a/..b', '/a/b.', '.a', '..a/b']) assert.ok(isCleanPath(p), p);
  for (const p of ['/a/./b', '/a/..', './a', '../a', '/a/', 'a//b', '.', '..']) assert.ok(!isCleanPath(p), p);
});

test('normalize, dirname and resolve of one path are node:path\'s', () => {
  for (const p of STRINGS) {
    assert.equal(path.normalize(p), posix.normalize(p), `normalize ${JSON.stringify(p)}`);
    assert.equal(path.dirname(p), posix.dirname(p), `dirname ${JSON.stringify(p)}`);
    assert.equal(path.resolve(p), posix.resolve(p), `resolve ${JSON.stringify(p)}`);
  }
});

test('join, relative and resolve of two or three paths are node:path\'s', () => {
  for (const a of STRINGS.filter((_, i) => i % 7 === 0)) {
    for (const b of SOME) {
      assert.equal(path.join(a, b), posix.join(a, b), `join ${JSON.stringify([a, b])}`);
      assert.equal(path.join(b, a, b), posix.join(b, a, b), `join ${JSON.stringify([b, a, b])}`);
      assert.equal(path.resolve(b, a), posix.resolve(b, a), `resolve ${JSON.stringify([b, a])}`);
      assert.equal(path.relative(a, b), posix.relative(a, b), `relative ${JSON.stringify([a, b])}`);
      assert.equal(path.relative(b, a), posix.relative(b, a), `relative ${JSON.stringify([b, a])}`);
      assert.equal(path.relative(`/${a}`, `/${a}/${b}`), posix.relative(`/${a}`, `/${a}/${b}`), `relative ${JSON.stringify([a, b])}`);
    }
  }
  assert.equal(path.join(), posix.join());
  assert.equal(path.posix, path);
  assert.equal(path.join('/sys/fs/cgroup', 'cpu', '/tsrunc-test/x'), '/sys/fs/cgroup/cpu/tsrunc-test/x');
  assert.equal(path.relative('/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuset'), '../cpuset');
});

test('a path that is not a string is refused as node:path refuses it', () => {
  for (const bad of [undefined, 1, null, {}]) {
    assert.throws(() => path.join('/a', bad as unknown as string), TypeError);
    assert.throws(() => path.normalize(bad as unknown as string), TypeError);
    assert.throws(() => path.dirname(bad as unknown as string), TypeError);
    assert.throws(() => path.resolve(bad as unknown as string), TypeError);
    assert.throws(() => path.relative('/a', bad as unknown as string), TypeError);
  }
});

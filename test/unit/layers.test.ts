// The layers of src/ point one way (docs/architecture.md, "Layers"): every import, type-only and
// dynamic ones included, read from the sources and checked against the order in
// test/helpers/layers.ts; no import cycle between files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { cycles, importEdges, levelOf, LAYERS, unitOf, violations } from '../helpers/layers';

const edges = importEdges();

test('the import reader sees the imports (static, type-only, dynamic, re-exports)', () => {
  const has = (from: string, to: string, typeOnly?: boolean) =>
    edges.some((e) => e.from === from && e.to === to && (typeOnly === undefined || e.typeOnly === typeOnly));
  assert.ok(edges.length > 300, `only ${edges.length} imports found`);
  assert.ok(has(path.join('cli.ts'), path.join('commands', 'create.ts')), 'a dynamic import() of a command module');
  assert.ok(has(path.join('container', 'kill.ts'), path.join('cgroups', 'manager.ts')), 'a dynamic import() inside a function');
  assert.ok(has(path.join('container', 'cgroup-record.ts'), path.join('cgroups', 'types.ts'), true), 'an `import type`');
  assert.ok(has(path.join('cgroups', 'manager.ts'), path.join('cgroups', 'types.ts'), true), 'an `export type ... from`');
});

test('every folder and top-level file of src/ is in exactly one layer', () => {
  const units = new Set(edges.flatMap((e) => [unitOf(e.from), unitOf(e.to)]));
  for (const u of units) assert.notEqual(levelOf(u), -1, `${u} is in no layer of test/helpers/layers.ts`);
  const all = LAYERS.flat();
  assert.equal(new Set(all).size, all.length, 'a name in two layers');
});

test('no import against the layer order', () => {
  const bad = violations(edges).map((v) => `src/${v.from} -> src/${v.to}: ${v.why}`);
  assert.deepEqual(bad, []);
});

test('no import cycle between files of src/', () => {
  assert.deepEqual(cycles(edges).map((c) => c.join(' <-> ')), []);
});

test('the checker catches what it is for: an upward import, siblings, commands past container, v1 -> v2, a cycle', () => {
  const e = (from: string, to: string) => ({ from, to, spec: '', typeOnly: true });
  const why = (from: string, to: string) => violations([e(from, to)]).map((v) => v.why);
  assert.match(why('plan/exec.ts', 'state/store.ts')[0], /plan .* imports state .*above it/);
  assert.match(why('state/store.ts', 'cgroups/types.ts')[0], /siblings/);
  assert.match(why('commands/kill.ts', 'cgroups/manager.ts')[0], /commands reaches cgroups past container/);
  assert.match(why('cgroups/v1.ts', 'cgroups/v2.ts')[0], /the v1 driver imports the v2 driver/);
  assert.match(why('cgroups/stats-v2.ts', 'cgroups/stats-v1.ts')[0], /the v2 driver imports the v1 driver/);
  assert.match(why('cgroups/v2.ts', 'cgroups/manager.ts')[0], /a driver imports the manager/);
  assert.match(why('cgroups/files.ts', 'cgroups/v2-resources.ts')[0], /common part of cgroups imports v2/);
  assert.deepEqual(why('container/create.ts', 'plan/build.ts'), []);
  assert.deepEqual(why('cgroups/manager.ts', 'cgroups/v1.ts'), []);
  assert.deepEqual(cycles([e('a.ts', 'b.ts'), e('b.ts', 'c.ts'), e('c.ts', 'a.ts'), e('c.ts', 'd.ts')]), [['a.ts', 'b.ts', 'c.ts']]);
});

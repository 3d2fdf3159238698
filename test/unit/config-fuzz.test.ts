// Property-based tests: validateSpec must answer (never throw) for any input — mutated real configs
// and arbitrary values — with well-formed, deterministic lines and no internal errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { resolvePointer, splitPointer } from '../../src/config/pointer';
import { validateSpec } from '../../src/config/validate';

const VALID = path.resolve(__dirname, '..', '..', '..', 'spec-fixtures', 'valid');
const BASES: unknown[] = ['full-featured', 'podman-4.3-rootless', 'containerd-1.6-container', 'runc-1.1-spec', 'minimal']
  .map((n) => JSON.parse(fs.readFileSync(path.join(VALID, `${n}.json`), 'utf8')));

const SEED = 20240607;

/** Every location in a document: the targets of mutations. */
function pointers(doc: unknown, at = '', out: string[] = []): string[] {
  out.push(at);
  if (doc !== null && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) pointers(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  }
  return out;
}

type Mutation = { at: number; op: 'set' | 'delete' | 'wrap' | 'stringify' | 'key'; value: unknown; key: string };

function mutate(base: unknown, mutations: Mutation[]): unknown {
  let doc = structuredClone(base);
  for (const m of mutations) {
    const all = pointers(doc);
    const target = all[m.at % all.length];
    const segs = splitPointer(target);
    const last = segs.pop();
    const parent = resolvePointer(doc, segs.length ? '/' + segs.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/') : '');
    const current = resolvePointer(doc, target);
    const replacement = m.op === 'wrap' ? [current] : m.op === 'stringify' ? JSON.stringify(current ?? null) : m.value;
    if (last === undefined) {
      doc = m.op === 'delete' ? {} : replacement;
      continue;
    }
    if (parent === null || typeof parent !== 'object') continue;
    const p = parent as Record<string, unknown>;
    if (m.op === 'delete') delete p[last];
    else if (m.op === 'key') p[m.key] = m.value;
    else p[last] = replacement;
  }
  // Round-trip so the input is exactly what JSON.parse could have produced.
  return JSON.parse(JSON.stringify(doc) ?? 'null');
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('set', 'delete', 'wrap', 'stringify', 'key'),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(-1, 0, 1.5, 2 ** 53, -(2 ** 63), 2 ** 64, '', '/', 'rootfs', '\u0000', 'SCMP_ACT_NOTIFY', 'user', 'pid', 'CAP_FOO', 'RLIMIT_NOFILE', null, [], {}),
  ),
  key: fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'toString', 'x', '', 'a/b', '~1', 'type', 'path'),
});

function checkAnswer(doc: unknown): void {
  const r = validateSpec(doc);
  assert.ok(Array.isArray(r.problems) && Array.isArray(r.warnings));
  for (const line of [...r.problems, ...r.warnings]) {
    assert.equal(typeof line, 'string');
    assert.ok(line.startsWith('config.json: '), line);
    assert.ok(!line.includes('internal error'), line);
    assert.ok(!line.includes('\n'), 'one line per finding');
  }
  assert.equal(new Set(r.problems).size, r.problems.length, 'no duplicate problem lines');
  assert.deepEqual(validateSpec(doc), r, 'same input, same answer');
}

test('mutated real configs: always an answer, never an exception', () => {
  fc.assert(
    fc.property(fc.nat({ max: BASES.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (which, mutations) => {
      checkAnswer(mutate(BASES[which], mutations));
    }),
    { seed: SEED, numRuns: 400 },
  );
});

test('a mutation that breaks a type is reported at that place', () => {
  fc.assert(
    fc.property(fc.constantFrom('/process/cwd', '/root/path', '/linux/namespaces/0/type', '/process/user/uid', '/mounts/1/destination'), fc.constantFrom(true, null, [], {}), (pointer, value) => {
      const doc = structuredClone(BASES[0]) as Record<string, unknown>;
      const segs = splitPointer(pointer);
      const last = segs.pop() as string;
      const parent = resolvePointer(doc, '/' + segs.join('/')) as Record<string, unknown>;
      parent[last] = value;
      const { problems } = validateSpec(doc);
      assert.ok(problems.some((p) => p.startsWith(`config.json: ${pointer}: `)), `${pointer}=${JSON.stringify(value)} -> ${problems.join(' | ')}`);
    }),
    { seed: SEED, numRuns: 50 },
  );
});

test('arbitrary values, including non-JSON ones: always an answer', () => {
  const anything = fc.anything({
    maxDepth: 4, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true,
    withNullPrototype: true, withObjectString: true, withBoxedValues: true, withSparseArray: true,
  });
  fc.assert(fc.property(anything, (v) => { checkAnswer(v); }), { seed: SEED, numRuns: 300 });
});

test('arbitrary objects shaped like a config: always an answer', () => {
  const shaped = fc.record({
    ociVersion: fc.oneof(fc.constantFrom('1.0.0', '1.2.1', '1.3.0+dev', '2.0', ''), fc.string()),
    root: fc.oneof(fc.record({ path: fc.string() }), fc.jsonValue({ maxDepth: 2 })),
    process: fc.option(fc.dictionary(fc.constantFrom('args', 'cwd', 'user', 'env', 'rlimits', 'capabilities', 'scheduler'), fc.jsonValue({ maxDepth: 3 }))),
    linux: fc.option(fc.dictionary(fc.constantFrom('namespaces', 'sysctl', 'seccomp', 'resources', 'uidMappings', 'timeOffsets', 'netDevices', 'intelRdt', 'memoryPolicy', 'devices'), fc.jsonValue({ maxDepth: 3 }))),
    mounts: fc.option(fc.array(fc.dictionary(fc.constantFrom('destination', 'source', 'options', 'type', 'uidMappings'), fc.jsonValue({ maxDepth: 2 })))),
  }, { requiredKeys: ['ociVersion'] });
  fc.assert(fc.property(shaped, (v) => { checkAnswer(JSON.parse(JSON.stringify(v))); }), { seed: SEED, numRuns: 300 });
});

// create and run validate and plan every config without compiling a regular expression (each one
// compiled costs a short-lived process about 12 µs and, with the first, ~2.7 MB of the regexp
// engine's pages: docs/performance.md). Each loop that replaced an expression must answer exactly as
// the expression did, which serves here as the oracle: over edge inputs, and over strings drawn at
// random (a fixed seed) from the characters that matter to each.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRegExpSpace, unescapeOctal, withoutTrailingSlashes, words } from '../../src/text';
import { hexStatusField } from '../../src/linux/proc-status';
import { majorMinor } from '../../src/config/rules/version';
import { devicesListEntry } from '../../src/cgroups/v1-resources';
import { systemdCgroupsPathParts } from '../../src/config/cgroups-path';
import { escapeSegment } from '../../src/config/pointer';

/** Strings of length 0..maxLen over `alphabet`, from a fixed-seed generator (the same every run). */
function drawn(alphabet: string[], count: number, maxLen: number, seed = 7): string[] {
  let x = seed;
  const next = (n: number): number => { x = (x * 1103515245 + 12345) % 2147483648; return x % n; };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    const len = next(maxLen + 1);
    for (let j = 0; j < len; j++) s += alphabet[next(alphabet.length)];
    out.push(s);
  }
  return out;
}

const SPACES = [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u200b', '\u180e'];

test('isRegExpSpace is \\s for every UTF-16 code unit', () => {
  for (let c = 0; c <= 0xffff; c++) assert.equal(isRegExpSpace(c), /\s/.test(String.fromCharCode(c)), `code ${c.toString(16)}`);
});

test('words is split(/\\s+/) without the empty words', () => {
  for (const s of [...drawn(['a', 'b', ...SPACES], 3000, 8), '', ' ', 'a', ' a ', 'cpu io  memory\n']) {
    assert.deepEqual(words(s), s.split(/\s+/).filter(Boolean), JSON.stringify(s));
  }
});

test('withoutTrailingSlashes is replace(/\\/+$/, "")', () => {
  for (const s of [...drawn(['/', 'a', '.'], 2000, 6), '', '/', '//', '/proc/', 'a//']) {
    assert.equal(withoutTrailingSlashes(s), s.replace(/\/+$/, ''), JSON.stringify(s));
  }
});

test('unescapeOctal is mountinfo\'s replace(/\\\\([0-7]{3})/g, ...)', () => {
  const oracle = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  for (const s of [...drawn(['\\', '0', '4', '7', '8', 'a', ' '], 4000, 10), '', '\\', '\\040', '/a\\040b', '\\\\134', '\\0401', '\\04', '\\777']) {
    assert.equal(unescapeOctal(s), oracle(s), JSON.stringify(s));
  }
});

test('hexStatusField is /^NAME:\\s*([0-9a-f]+)$/m\'s capture', () => {
  const oracle = (s: string): string | undefined => /^CapBnd:\s*([0-9a-f]+)$/m.exec(s)?.[1];
  const parts = ['CapBnd:', 'CapBnd:\t', 'CapEff:\t', '000001ffffffffff', 'f', 'G', '\n', '\r', ' ', '\u2028', 'x'];
  const samples = [...drawn(parts, 6000, 6), '', 'Name:\tbash\nCapBnd:\t000001ffffffffff\nCapAmb:\t0\n', 'CapBnd:\n1f', 'CapBnd:', 'xCapBnd:\t1'];
  for (const s of samples) assert.equal(hexStatusField(s, 'CapBnd'), oracle(s), JSON.stringify(s));
});

test('the ociVersion check\'s SemVer parser accepts what the SemVer expression accepts, with its major and minor', () => {
  const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
  const samples = [...drawn(['0', '1', '2', '.', '-', '+', 'a', 'Z', '_'], 20000, 9),
    '1.0.2-dev', '1.3.0', '01.0.0', '1.00.0', '1.0.00', '1.0.0-', '1.0.0+', '1.0.0-a..b', '1.0.0-a.', '1.0.0-a+b.c', '1.0.0+b-1', '10.20.30', '1.2', ''];
  for (const s of samples) {
    const m = SEMVER.exec(s);
    assert.deepEqual(majorMinor(s), m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined, JSON.stringify(s));
  }
});

test('devicesListEntry captures what the devices.list expression captures', () => {
  const re = /^([abc]) (\*|[0-9]+):(\*|[0-9]+) ([rwm]+)$/;
  const samples = [...drawn(['a', 'b', 'c', ' ', '*', '1', '0', ':', 'r', 'w', 'm', 'x'], 30000, 10), 'a *:* rwm', 'c 1:3 rwm', 'b 8:0 r', 'c 1:3 ', 'c 1:3', 'c *5:1 r', 'c 1:* m'];
  for (const s of samples) {
    const m = re.exec(s);
    assert.deepEqual(devicesListEntry(s), m ? [m[1], m[2], m[3], m[4]] : undefined, JSON.stringify(s));
  }
});

test('systemdCgroupsPathParts is /^([^:/]*):([^:/]*):([^:/]+)$/ and escapeSegment is the pointer escape', () => {
  const re = /^([^:/]*):([^:/]*):([^:/]+)$/;
  for (const s of [...drawn([':', '/', 'a', '.', '-'], 5000, 7), 'system.slice:tsrunc:id', '::x', '::', ':a:', 'a:b:c:d', '/a:b:c']) {
    const m = re.exec(s);
    assert.deepEqual(systemdCgroupsPathParts(s), m ? [m[1], m[2], m[3]] : undefined, JSON.stringify(s));
  }
  for (const s of [...drawn(['~', '/', '0', '1', 'a'], 3000, 6), '']) {
    assert.equal(escapeSegment(s), s.replace(/~/g, '~0').replace(/\//g, '~1'), JSON.stringify(s));
  }
  assert.equal(escapeSegment(3), '3');
});

test('the config validator tests the schema\'s patterns as RegExp does, and the common ones without one', () => {
  const root = path.resolve(__dirname, '..', '..', '..');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { schemaPattern } = require(path.join(root, 'scripts', 'schema-patterns.js')) as { schemaPattern: (p: string, f: string) => { test(s: string): boolean } };
  const patterns = new Set<string>();
  const collect = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'pattern' && typeof v === 'string') patterns.add(v);
      else collect(v);
    }
  };
  collect(JSON.parse(fs.readFileSync(path.join(root, 'src', 'config', 'schema', 'config.schema.json'), 'utf8')));
  assert.ok(patterns.size >= 10, `${patterns.size} patterns in the schema`);
  const samples = [...drawn(['a', '/', '=', '\u0000', 'r', 'w', 'm', 'x', '.', '1', '-', ':', ' ', '\ud83d', '\ude00', 'K', 'B', ','], 8000, 8),
    '', '/', '=', 'a=', '=a', 'PATH=/bin', 'a\u0000=b', '/\u0000', 'rwm', 'rw x', '\ud83d\ude00', '\ud83d', '/a\n', 'a\n'];
  let byHand = 0;
  for (const p of patterns) {
    const mine = schemaPattern(p, 'u');
    if (!('regExp' in mine)) byHand++;
    const oracle = new RegExp(p, 'u');
    for (const s of samples) assert.equal(mine.test(s), oracle.test(s), `${p} on ${JSON.stringify(s)}`);
  }
  // The five every config meets: strings without NUL, absolute paths, NAME=VALUE, device access.
  assert.equal(byHand, 5);
  const generated = fs.readFileSync(path.join(root, 'src', 'config', 'generated', 'config-validator.js'), 'utf8');
  assert.ok(generated.includes('case"^[^\\\\u0000]*$"'), 'the generated validator carries the hand tests');
});

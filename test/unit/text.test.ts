// src/text.ts and its users on the start-up path replace regular expressions and JS-written
// builtins with loops; each must answer exactly as the expression or builtin it replaced, which
// serves here as the oracle over inputs chosen to sit on the edges (non-ASCII digits and letters,
// empty strings, doubled separators).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { allOf, anyOf, eachOf, findFirst, indexOfFirst, isAsciiLetter, kept, mapped, isDigits, spaceSeparated, withoutFinalNewline } from '../../src/text';
import { camelCase } from '../../src/cli-table';
import { validateId } from '../../src/state/store';
import { parseSignal } from '../../src/container/signals';

const SAMPLES = [
  '', '0', '9', '09', '123', '-1', '+1', '1e3', ' 1', '1 ', '1\n', '١٢٣', '１２', '0x1f', '12a', 'a12', '.', '..',
  'a', 'Z', 'é', 'ß', 'abc-def', 'log-format', 'no-new-keyring', '-x', 'a--b', 'a-B', 'a-', '-', '--',
  'a_b', 'a+b', 'a.b', 'a/b', 'a b', 'x:y', '1:2', '0/', '/', ':', 'a-`', 'a-{', 'a-@', 'a-[', 'a\u0000b', 'ñandú', 'pids-limit', 'l3-cache-schema',
];

test('isDigits is /^\\d+$/ (ASCII digits only, at least one)', () => {
  for (const s of SAMPLES) assert.equal(isDigits(s), /^\d+$/.test(s), JSON.stringify(s));
});

test('isAsciiLetter is [A-Za-z] by character code', () => {
  for (let c = 0; c < 0x250; c++) assert.equal(isAsciiLetter(c), /^[A-Za-z]$/.test(String.fromCharCode(c)), `code ${c}`);
});

test('camelCase is the replace of -([a-z]) it replaced', () => {
  const old = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  for (const s of SAMPLES) assert.equal(camelCase(s), old(s), JSON.stringify(s));
  assert.equal(camelCase('log-format'), 'logFormat');
});

test('the list helpers answer as find, findIndex, some, every, filter, map and forEach, undefined items included', () => {
  const items = [3, undefined, 0, 7, 3, NaN];
  const preds: ((x: number | undefined) => boolean)[] = [(x) => x === 3, (x) => x === undefined, (x) => x === 0, (x) => x === 8, (x) => Number.isNaN(x)];
  for (const p of preds) {
    assert.equal(findFirst(items, p), items.find(p));
    assert.equal(indexOfFirst(items, p), items.findIndex(p));
    assert.equal(anyOf(items, p), items.some(p));
    assert.equal(anyOf([], p), false);
    assert.equal(allOf(items, p), items.every(p));
    assert.equal(allOf([], p), true);
    assert.deepEqual(kept(items, p), items.filter(p));
  }
  const f = (x: number | undefined, i: number): string => `${i}:${String(x)}`;
  assert.deepEqual(mapped(items, f), items.map(f));
  assert.deepEqual(mapped([], f), []);
  const seen: string[] = [];
  eachOf(items, (x, i) => { seen.push(f(x, i)); });
  assert.deepEqual(seen, items.map(f));
});

test('withoutFinalNewline and spaceSeparated are replace(/\\n$/) and split(" ")', () => {
  for (const s of [...SAMPLES, 'x\n\n', '\n', ' ', '  ', 'a  b', ' a b ', 'R 1 2 3']) {
    assert.equal(withoutFinalNewline(s), s.replace(/\n$/, ''), JSON.stringify(s));
    assert.deepEqual(spaceSeparated(s), s.split(' '), JSON.stringify(s));
  }
});

test('container ids: validateId accepts exactly what /^[\\w+.-]+$/ accepts (but . and ..)', () => {
  for (const s of SAMPLES) {
    const accepted = ((): boolean => { try { validateId(s); return true; } catch { return false; } })();
    assert.equal(accepted, /^[\w+.-]+$/.test(s) && s !== '.' && s !== '..', JSON.stringify(s));
  }
});

test('kill: a signal given by number is digits only, as before', () => {
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal('09'), 9);
  for (const s of ['٩', '１', '9 ', '-9', '+9', '0x9']) assert.throws(() => parseSignal(s), /unknown signal/, JSON.stringify(s));
});

// Runs every fixture under spec-fixtures/ through parseConfig + validateSpec and compares the
// problem and warning lines exactly (see spec-fixtures/README.md for the layout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, parseConfig } from '../../src/config/load';
import { validateSpec, type ValidateOptions } from '../../src/config/validate';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'spec-fixtures');

function readLines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

function fixtureNames(kind: 'valid' | 'invalid'): string[] {
  return fs.readdirSync(path.join(FIXTURES, kind))
    .filter((f) => f.endsWith('.json') && !f.endsWith('.options.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

function run(kind: 'valid' | 'invalid', name: string): { problems: string[]; warnings: string[] } {
  const base = path.join(FIXTURES, kind, name);
  const optionsFile = `${base}.options.json`;
  const options: ValidateOptions = fs.existsSync(optionsFile) ? JSON.parse(fs.readFileSync(optionsFile, 'utf8')) : {};
  let doc: unknown;
  try {
    doc = parseConfig(fs.readFileSync(`${base}.json`, 'utf8'));
  } catch (e) {
    if (e instanceof ConfigError) return { problems: e.problems, warnings: [] };
    throw e;
  }
  return validateSpec(doc, options);
}

test('there are at least 60 fixtures, both kinds present', () => {
  const valid = fixtureNames('valid');
  const invalid = fixtureNames('invalid');
  assert.ok(valid.length >= 10, `valid: ${valid.length}`);
  assert.ok(invalid.length >= 40, `invalid: ${invalid.length}`);
  assert.ok(valid.length + invalid.length >= 60);
});

for (const name of fixtureNames('valid')) {
  test(`valid/${name}`, () => {
    const base = path.join(FIXTURES, 'valid', name);
    const { problems, warnings } = run('valid', name);
    assert.deepEqual(problems, [], 'a valid fixture must have no problems');
    assert.deepEqual(warnings, readLines(`${base}.warnings.txt`));
  });
}

for (const name of fixtureNames('invalid')) {
  test(`invalid/${name}`, () => {
    const base = path.join(FIXTURES, 'invalid', name);
    const expected = readLines(`${base}.expected.txt`);
    assert.ok(expected.length > 0, `invalid/${name}.expected.txt is missing or empty`);
    const { problems, warnings } = run('invalid', name);
    assert.deepEqual(problems, expected);
    assert.deepEqual(warnings, readLines(`${base}.warnings.txt`));
  });
}

test('every expectation file belongs to a fixture', () => {
  for (const kind of ['valid', 'invalid'] as const) {
    const names = new Set(fixtureNames(kind));
    for (const f of fs.readdirSync(path.join(FIXTURES, kind))) {
      const m = /^(.*)\.(expected|warnings)\.txt$|^(.*)\.options\.json$/.exec(f);
      if (m) assert.ok(names.has(m[1] ?? m[3]), `${kind}/${f} has no fixture`);
    }
  }
});

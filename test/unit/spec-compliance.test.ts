// Keeps docs/spec-compliance.md honest: every row has a test or says why it has none, every test it
// names exists under exactly that name, no row is left PENDING, and the summary at the top counts
// what the rows say. Test names are read from the test files with the TypeScript parser: the first
// argument of test()/it()/describe() (the second of forEachRuntime(), whose cases run as
// "NAME [runc]" and "NAME [tsrunc]"), the first argument of a file's own wrapper whose first
// parameter is `name`, and `name:` properties of table-driven cases. A template literal stands for
// every name it can make (`kill ID ${sig} …` matches "kill ID KILL …"), except one built from a
// wrapper's parameter, which could make any name. No container is started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const TOP = path.resolve(__dirname, '..', '..', '..');
const DOC = path.join(TOP, 'docs', 'spec-compliance.md');

const FILES: Record<string, string> = { R: 'runtime.md', C: 'config.md', L: 'config-linux.md', F: 'features.md', FL: 'features-linux.md' };
const LEVELS = ['MUST', 'MUST NOT', 'SHOULD', 'SHOULD NOT', 'MAY', 'must', 'should', 'implied'];
/** What a test cell without a test reference starts with, and the status it gives the row. */
const REASONS: [string, string][] = [
  ['untested:', 'untested'], ['deviates:', 'deviates'], ['not implemented yet', 'not implemented'],
  ['not testable here:', 'not testable here'], ['not Linux', 'not Linux'], ['n/a:', 'n/a'], ['PENDING(', 'pending'],
];
const STATUSES = ['tested', ...REASONS.map(([, s]) => s)];

// ---- the document ------------------------------------------------------------------------------

/** A table line's cells: `|` splits them except inside code spans or escaped as `\|`. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let i = line.indexOf('|') + 1;
  while (i < line.length) {
    const c = line[i];
    if (c === '\\' && line[i + 1] === '|') { cur += '|'; i += 2; continue; }
    if (c === '`') {
      const run = /^`+/.exec(line.slice(i))?.[0] ?? '`';
      const end = line.indexOf(run, i + run.length);
      if (end >= 0) { cur += line.slice(i, end + run.length).replace(/\\\|/g, '|'); i = end + run.length; continue; }
    }
    if (c === '|') { out.push(cur.trim()); cur = ''; i++; continue; }
    cur += c;
    i++;
  }
  return out;
}

/** The contents of a cell's code spans (CommonMark: one space each side is padding). */
function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/(`+)([\s\S]+?)\1/g)].map((m) => (/^ .* $/.test(m[2]) && m[2].trim() !== '' ? m[2].slice(1, -1) : m[2]));
}

interface TestRef { file: string; name: string }
interface Row { id: string; file: string; line: number; section: string; requirement: string; level: string; source: string; cell: string; refs: TestRef[]; status: string | undefined }

function parseDoc(text: string): { rows: Row[]; lines: string[] } {
  const lines = text.split('\n');
  const rows: Row[] = [];
  let heading = '';
  lines.forEach((line, i) => {
    const h = /^## (\S+)\s*$/.exec(line);
    if (h) heading = h[1];
    const c = cells(line);
    if (!line.startsWith('|') || !/^[A-Z]+-\d+$/.test(c[0] ?? '')) return;
    const [id, section = '', requirement = '', level = '', source = '', cell = ''] = c;
    const refs = codeSpans(cell).flatMap((s) => {
      const m = /^(test\/\S+\.ts) › (.+)$/.exec(s);
      return m ? [{ file: m[1], name: m[2] }] : [];
    });
    const status = cell.includes('PENDING(') ? 'pending'
      : refs.length > 0 ? 'tested'
        : REASONS.find(([prefix]) => cell.startsWith(prefix))?.[1];
    rows.push({ id, file: heading, line: i + 1, section, requirement, level, source, cell, refs, status });
  });
  return { rows, lines };
}

// ---- the test files ----------------------------------------------------------------------------

interface Declared {
  exact: Set<string>;
  /** Template literals: a pattern over the names they make, and their source text. */
  templates: { re: RegExp; raw: string }[];
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Names a test file declares (see the header). */
function declaredNames(source: string, fileName = 'x.ts'): Declared {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const firstParamIsName = (f: ts.SignatureDeclarationBase): boolean => {
    const p = f.parameters[0];
    return p !== undefined && ts.isIdentifier(p.name) && p.name.text === 'name';
  };
  const wrappers = new Set<string>();
  const findWrappers = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) && n.name && firstParamIsName(n)) wrappers.add(n.name.text);
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer
      && (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer)) && firstParamIsName(n.initializer)) wrappers.add(n.name.text);
    ts.forEachChild(n, findWrappers);
  };
  findWrappers(sf);

  const out: Declared = { exact: new Set(), templates: [] };
  /** Whether `id` names a parameter of a function around `n`. */
  const isParameter = (n: ts.Node, id: string): boolean => {
    for (let p: ts.Node | undefined = n.parent; p; p = p.parent) {
      if (ts.isFunctionLike(p) && p.parameters.some((q) => ts.isIdentifier(q.name) && q.name.text === id)) return true;
    }
    return false;
  };
  const take = (e: ts.Expression | undefined): void => {
    if (!e) return;
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) out.exact.add(e.text);
    if (ts.isTemplateExpression(e)) {
      if (e.templateSpans.some((s) => ts.isIdentifier(s.expression) && isParameter(e, s.expression.text))) return;
      const re = `^${escapeRe(e.head.text)}${e.templateSpans.map((s) => `(.+)${escapeRe(s.literal.text)}`).join('')}$`;
      out.templates.push({ re: new RegExp(re), raw: e.getText().slice(1, -1) });
    }
  };
  const calleeName = (c: ts.Expression): string | undefined => {
    if (ts.isIdentifier(c)) return c.text;
    // test.skip(...), describe.only(...), t.test(...)
    if (ts.isPropertyAccessExpression(c)) {
      if (['test', 'it', 'describe'].includes(c.name.text)) return c.name.text;
      if (ts.isIdentifier(c.expression)) return c.expression.text;
    }
    return undefined;
  };
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = calleeName(n.expression);
      if (callee && (['test', 'it', 'describe', 'suite'].includes(callee) || wrappers.has(callee))) take(n.arguments[0]);
      if (callee === 'forEachRuntime') take(n.arguments[1]);
    }
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === 'name') take(n.initializer);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Names made from a fixture's name must name a fixture that exists. */
const WILDCARD_CHECKS: Record<string, (parts: string[], name: string) => boolean> = {
  'test/unit/config-fixtures.test.ts': (_parts, name) => {
    const m = /^(valid|invalid)\/(.+)$/.exec(name);
    return m !== null && fs.existsSync(path.join(TOP, 'spec-fixtures', m[1], `${m[2]}.json`));
  },
};

function isDeclared(d: Declared, file: string, name: string): boolean {
  const tries = [name, name.replace(/ \[(tsrunc|runc)\]$/, '')];
  for (const n of tries) {
    if (d.exact.has(n)) return true;
    for (const t of d.templates) {
      if (t.raw === n) return true;
      const m = t.re.exec(n);
      if (m && (WILDCARD_CHECKS[file]?.(m.slice(1), n) ?? true)) return true;
    }
  }
  return false;
}

const declaredCache = new Map<string, Declared | undefined>();
function declaredIn(file: string): Declared | undefined {
  if (!declaredCache.has(file)) {
    const full = path.join(TOP, file);
    declaredCache.set(file, fs.existsSync(full) ? declaredNames(fs.readFileSync(full, 'utf8'), full) : undefined);
  }
  return declaredCache.get(file);
}

// ---- the checks --------------------------------------------------------------------------------

const { rows, lines } = parseDoc(fs.readFileSync(DOC, 'utf8'));
const at = (r: Row): string => `docs/spec-compliance.md:${r.line} ${r.id}`;

test('every row is well formed and has a test or a reason', () => {
  assert.ok(rows.length > 100, `only ${rows.length} rows found: is the table still there?`);
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const r of rows) {
    if (seen.has(r.id)) problems.push(`${at(r)}: the id is also used on line ${seen.get(r.id)}`);
    seen.set(r.id, r.line);
    const prefix = r.id.replace(/-\d+$/, '');
    if (FILES[prefix] !== r.file) problems.push(`${at(r)}: an ${prefix}- row under "## ${r.file}" (${prefix}- rows are ${FILES[prefix] ?? 'no file'}'s)`);
    if (!r.section.startsWith(`${r.file} §`)) problems.push(`${at(r)}: the section should start with "${r.file} §"`);
    if (!LEVELS.includes(r.level)) problems.push(`${at(r)}: level "${r.level}" is not one of ${LEVELS.join(', ')}`);
    if (r.requirement === '' || r.source === '') problems.push(`${at(r)}: the requirement and where tsrunc does it must be filled in`);
    if (!r.status) problems.push(`${at(r)}: neither a test (\`test/FILE › name\`) nor a reason starting with ${REASONS.map(([p]) => `"${p}"`).join(', ')}`);
  }
  assert.deepEqual(problems, []);
});

test('no row is left PENDING', () => {
  const pending = rows.filter((r) => r.status === 'pending').map((r) => `${at(r)}: ${/PENDING\([^)]*\)/.exec(r.cell)?.[0]} (${r.requirement})`);
  assert.deepEqual(pending, [], 'fill in the test (or the reason) of each row before merging');
});

test('every test a row names exists under exactly that name', () => {
  const missing: string[] = [];
  for (const r of rows) {
    for (const ref of r.refs) {
      const d = declaredIn(ref.file);
      if (!d) missing.push(`${at(r)}: ${ref.file} does not exist`);
      else if (!isDeclared(d, ref.file, ref.name)) missing.push(`${at(r)}: ${ref.file} declares no test named "${ref.name}"`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the summary counts what the rows say', () => {
  const files = Object.values(FILES);
  const count = (key: (r: Row) => string, cols: string[]): string[][] => [...files, 'all'].map((f) => {
    const mine = rows.filter((r) => f === 'all' || r.file === f);
    const n = cols.map((c) => mine.filter((r) => key(r) === c).length);
    return [f, ...n.map(String), String(mine.length)];
  });
  const expected = { levels: count((r) => r.level, LEVELS), statuses: count((r) => r.status ?? '', STATUSES) };
  /** The body rows of the table whose header is `File | cols… | total`. */
  const tableAfter = (cols: string[]): string[][] => {
    const start = lines.findIndex((l) => l.startsWith('|') && cells(l).join('|') === ['File', ...cols, 'total'].join('|'));
    if (start < 0) return [];
    const body: string[][] = [];
    for (let i = start + 2; i < lines.length && lines[i].startsWith('|'); i++) body.push(cells(lines[i]));
    return body;
  };
  const show = (cols: string[], body: string[][]): string => [
    `| File | ${cols.join(' | ')} | total |`, `|${'---|'.repeat(cols.length + 2)}`, ...body.map((b) => `| ${b.join(' | ')} |`),
  ].join('\n');
  assert.deepEqual(tableAfter(LEVELS), expected.levels, `the level summary should read:\n${show(LEVELS, expected.levels)}`);
  assert.deepEqual(tableAfter(STATUSES), expected.statuses, `the status summary should read:\n${show(STATUSES, expected.statuses)}`);
});

test('the name index is not vacuous: it finds what files declare and nothing else', () => {
  const d = declaredNames([
    "test('plain name', () => {});",
    "describe('a group', () => {});",
    "forEachRuntime(pair, 'a case for each runtime', async () => {});",
    "function both(name: string) { test(`${name} [tsrunc]`, () => {}); }",
    "both('through a wrapper');",
    "for (const sig of ['KILL']) test(`kill ${sig} works`, () => {});",
    "const cases = [{ name: 'from a table' }];",
    "assert.ok(x, 'an assertion message');",
  ].join('\n'));
  for (const n of ['plain name', 'a group', 'a case for each runtime', 'a case for each runtime [tsrunc]', 'through a wrapper', 'kill KILL works', 'kill ${sig} works', 'from a table']) {
    assert.ok(isDeclared(d, 'x.ts', n), `should be found: ${n}`);
  }
  for (const n of ['an assertion message', 'anything [tsrunc]', 'plain nam', 'kill  works']) {
    assert.ok(!isDeclared(d, 'x.ts', n), `should not be found: ${n}`);
  }
  const fixtures = declaredIn('test/unit/config-fixtures.test.ts');
  assert.ok(fixtures, 'test/unit/config-fixtures.test.ts is readable');
  assert.ok(isDeclared(fixtures, 'test/unit/config-fixtures.test.ts', 'invalid/namespace-duplicate'));
  assert.ok(!isDeclared(fixtures, 'test/unit/config-fixtures.test.ts', 'invalid/no-such-fixture'), 'a fixture name must name a fixture');
  assert.deepEqual(cells('| a | `x \\| y` | b \\| c |'), ['a', '`x | y`', 'b | c']);
});

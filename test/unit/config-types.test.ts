// The TypeScript types (src/config/types.ts) and the JSON schema describe the same document: this
// parses types.ts with the TypeScript compiler and compares, for every schema definition that is an
// object, the interface of the same name — property names, optionality and the kind of each value
// (string, number, boolean, array of X, map of X, reference to interface X, enum values).
// It also checks the schema's enumerations against the runtime's own tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { CAPABILITIES, CAPABILITY_NAMES } from '../../src/linux/capabilities';
import { MOUNT_ATTR, MS } from '../../src/linux/mount-options';
import { NAMESPACE_TYPES } from '../../src/linux/namespaces';
import { RLIMITS } from '../../src/linux/rlimits';
import { HOOK_NAMES } from '../../src/linux/runtime-support';
import { SECCOMP_ACTION_NAMES, SECCOMP_ARCHS, SECCOMP_FLAG_NAMES, SECCOMP_OPERATORS } from '../../src/linux/seccomp-names';

const TOP = path.resolve(__dirname, '..', '..', '..');

interface Node {
  $ref?: string; type?: string; enum?: string[]; properties?: Record<string, Node>; required?: string[];
  items?: Node; additionalProperties?: Node | boolean;
}
const schema = JSON.parse(fs.readFileSync(path.join(TOP, 'src/config/schema/config.schema.json'), 'utf8')) as { definitions: Record<string, Node> };
const defs = schema.definitions;

const deref = (n: Node): Node => (n.$ref ? deref(defs[n.$ref.replace('#/definitions/', '')]) : n);
const isObjectDef = (n: Node): boolean => n.type === 'object' && n.properties !== undefined;

/** A comparable description of what a schema node holds. */
function schemaKind(n: Node): string {
  if (n.$ref) {
    const name = n.$ref.replace('#/definitions/', '');
    return isObjectDef(defs[name]) ? `ref(${name})` : schemaKind(defs[name]);
  }
  if (n.enum) return `enum(${[...n.enum].sort().join('|')})`;
  switch (n.type) {
    case 'string': return 'string';
    case 'integer': case 'number': return 'number';
    case 'boolean': return 'boolean';
    case 'array': return `array(${n.items ? schemaKind(n.items) : '?'})`;
    case 'object': return typeof n.additionalProperties === 'object' ? `map(${schemaKind(n.additionalProperties)})` : 'object';
    default: return `?${JSON.stringify(n)}`;
  }
}

// --- types.ts, as the compiler sees it
const source = ts.createSourceFile('types.ts', fs.readFileSync(path.join(TOP, 'src/config/types.ts'), 'utf8'), ts.ScriptTarget.ES2022, true);
const interfaces = new Map<string, ts.InterfaceDeclaration>();
const aliases = new Map<string, ts.TypeAliasDeclaration>();
source.forEachChild((n) => {
  if (ts.isInterfaceDeclaration(n)) interfaces.set(n.name.text, n);
  if (ts.isTypeAliasDeclaration(n)) aliases.set(n.name.text, n);
});

function tsKind(t: ts.TypeNode): string {
  if (t.kind === ts.SyntaxKind.StringKeyword) return 'string';
  if (t.kind === ts.SyntaxKind.NumberKeyword) return 'number';
  if (t.kind === ts.SyntaxKind.BooleanKeyword) return 'boolean';
  if (ts.isArrayTypeNode(t)) return `array(${tsKind(t.elementType)})`;
  if (ts.isUnionTypeNode(t) && t.types.every((u) => ts.isLiteralTypeNode(u) && ts.isStringLiteral(u.literal))) {
    return `enum(${t.types.map((u) => ((u as ts.LiteralTypeNode).literal as ts.StringLiteral).text).sort().join('|')})`;
  }
  if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName)) {
    const name = t.typeName.text;
    if (name === 'Record' && t.typeArguments?.length === 2) return `map(${tsKind(t.typeArguments[1])})`;
    if (interfaces.has(name)) return `ref(${name})`;
    const alias = aliases.get(name);
    if (alias) return tsKind(alias.type);
  }
  return `?${t.getText(source)}`;
}

function members(decl: ts.InterfaceDeclaration): Map<string, { optional: boolean; kind: string }> {
  const out = new Map<string, { optional: boolean; kind: string }>();
  for (const m of decl.members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    out.set(m.name.getText(source), { optional: m.questionToken !== undefined, kind: tsKind(m.type) });
  }
  return out;
}

/** Where the schema keeps names open (a bare string) the type may stay a string, and vice versa for enums. */
function compatible(schemaK: string, typeK: string): boolean {
  if (schemaK === typeK) return true;
  const loosen = (k: string): string => k.replace(/enum\([^)]*\)/g, 'string');
  return loosen(schemaK) === loosen(typeK) && !/enum/.test(typeK);
}

const objectDefs = Object.entries(defs).filter(([, d]) => isObjectDef(d));

test('every object definition of the schema has an interface of the same name', () => {
  const missing = objectDefs.map(([name]) => name).filter((name) => !interfaces.has(name));
  assert.deepEqual(missing, []);
});

test('every interface in types.ts has a schema definition', () => {
  const extra = [...interfaces.keys()].filter((name) => !isObjectDef(defs[name] ?? {}));
  assert.deepEqual(extra, []);
});

for (const [name, def] of objectDefs) {
  test(`interface ${name} matches the schema definition`, () => {
    const decl = interfaces.get(name);
    assert.ok(decl, `no interface ${name}`);
    const props = members(decl);
    assert.deepEqual([...props.keys()].sort(), Object.keys(def.properties ?? {}).sort(), 'property names');
    const required = new Set(def.required ?? []);
    for (const [prop, node] of Object.entries(def.properties ?? {})) {
      const m = props.get(prop);
      assert.ok(m);
      assert.equal(!m.optional, required.has(prop), `${name}.${prop}: optional in one, required in the other`);
      const sk = schemaKind(node);
      assert.ok(compatible(sk, m.kind), `${name}.${prop}: schema says ${sk}, type says ${m.kind}`);
    }
  });
}

test('the check above catches a mismatch (it is not vacuous)', () => {
  assert.equal(compatible('array(string)', 'string'), false);
  assert.equal(compatible('ref(Process)', 'ref(Root)'), false);
  assert.equal(compatible('enum(a|b)', 'enum(a|c)'), false);
  assert.ok(objectDefs.length >= 30);
});

// --- the schema's enumerations and the runtime's tables

const sorted = (l: readonly string[]): string[] => [...l].sort();

test('namespace types: schema enum = NAMESPACE_TYPES = NamespaceType', () => {
  assert.deepEqual(sorted(defs.Namespace.properties!.type.enum!), sorted(NAMESPACE_TYPES));
});

test('seccomp names: schema enums = seccomp-names tables', () => {
  const s = defs.Seccomp.properties!;
  assert.deepEqual(sorted(defs.SeccompAction.enum!), sorted(SECCOMP_ACTION_NAMES));
  assert.deepEqual(sorted(s.architectures.items!.enum!), sorted(SECCOMP_ARCHS));
  assert.deepEqual(sorted(s.flags.items!.enum!), sorted(SECCOMP_FLAG_NAMES));
  assert.deepEqual(sorted(defs.SeccompArg.properties!.op.enum!), sorted(SECCOMP_OPERATORS));
});

test('hook names: schema Hooks = HOOK_NAMES', () => {
  assert.deepEqual(Object.keys(defs.Hooks.properties!), [...HOOK_NAMES]);
});

test('capabilities are numbered 0..40 without gaps, as in linux/capability.h', (t) => {
  assert.equal(CAPABILITIES.length, 41);
  CAPABILITIES.forEach((c, i) => assert.equal(c.number, i));
  assert.equal(CAPABILITY_NAMES[0], 'CAP_CHOWN');
  assert.equal(CAPABILITY_NAMES[21], 'CAP_SYS_ADMIN');
  assert.equal(CAPABILITY_NAMES[40], 'CAP_CHECKPOINT_RESTORE');
  const header = '/usr/include/linux/capability.h';
  if (!fs.existsSync(header)) return t.skip(`${header} is missing (install linux-libc-dev): the numbers are not checked against the kernel's`);
  const defined = new Map<string, number>();
  for (const m of fs.readFileSync(header, 'utf8').matchAll(/^#define\s+(CAP_[A-Z_]+)\s+(\d+)\b/gm)) defined.set(m[1], Number(m[2]));
  let compared = 0;
  for (const c of CAPABILITIES) {
    if (!defined.has(c.name)) continue;
    assert.equal(defined.get(c.name), c.number, c.name);
    compared++;
  }
  assert.ok(compared >= 30, `only ${compared} capabilities found in ${header}`);
});

test('rlimit numbers match asm-generic/resource.h', (t) => {
  assert.equal(RLIMITS.length, 16);
  const header = '/usr/include/asm-generic/resource.h';
  if (!fs.existsSync(header)) return t.skip(`${header} is missing (install linux-libc-dev): the numbers are not checked against the kernel's`);
  const text = fs.readFileSync(header, 'utf8');
  let compared = 0;
  for (const r of RLIMITS) {
    const m = new RegExp(`#\\s*define\\s+${r.name}\\s+(\\d+)`).exec(text);
    if (!m) continue;
    assert.equal(Number(m[1]), r.number, r.name);
    compared++;
  }
  assert.equal(compared, RLIMITS.length);
});

/**
 * `#define NAME value` lines of a C header → numbers, for values written as decimal, hex or (1<<n)
 * (how linux/mount.h writes them). Other forms are left out, so a missing name fails the caller.
 */
function headerConstants(text: string, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^#define\\s+(${prefix}\\w+)\\s+(\\S+)`, 'gm'))) {
    const v = m[2];
    const shift = /^\(1<<(\d+)\)$/.exec(v);
    if (shift) out.set(m[1], 2 ** Number(shift[1]));
    else if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) out.set(m[1], Number(v));
  }
  return out;
}

// The mount options `tsrunc features` advertises are turned into these numbers: a wrong one would
// make an advertised option do something else, and the features test (same table) cannot see that.
test('mount flags and mount_setattr attributes match linux/mount.h', (t) => {
  const header = '/usr/include/linux/mount.h';
  if (!fs.existsSync(header)) return t.skip(`${header} is missing (install linux-libc-dev): the mount flags are not checked against the kernel's`);
  const text = fs.readFileSync(header, 'utf8');
  const ms = headerConstants(text, 'MS_');
  for (const [name, value] of Object.entries(MS)) assert.equal(value, ms.get(`MS_${name}`), `MS_${name}`);
  const attr = headerConstants(text, 'MOUNT_ATTR_');
  for (const [name, value] of Object.entries(MOUNT_ATTR)) {
    // The kernel calls the atime field mask MOUNT_ATTR__ATIME.
    const kernelName = name === 'ATIME_MASK' ? 'MOUNT_ATTR__ATIME' : `MOUNT_ATTR_${name}`;
    assert.equal(value, attr.get(kernelName), kernelName);
  }
});

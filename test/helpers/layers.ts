// Reads every import of src/ (type-only and dynamic ones too: a type import is still a dependency
// a reader must follow, and a cycle through types is still a cycle) and checks it against the
// layer order written in docs/architecture.md. Used by test/unit/layers.test.ts and by
// `node dist/test/helpers/layers.js` to print the numbers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Top first. A module may import any module of its own layer or of a layer below it (relaxed
 * layering), never one above. Names are folders of src/ or top-level files without `.ts`.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['executable'],
  ['cli', 'argv', 'help', 'cli-table'],
  ['commands'],
  ['container'],
  ['hooks', 'cgroups', 'state'],
  ['plan'],
  ['config'],
  ['linux'],
  ['dbus'],
  ['native'],
  ['contract'],
  ['context', 'log', 'timings', 'jit-policy', 'errors', 'sys', 'text'],
];

/** Pairs of one layer that must not import each other (siblings, not a stack). */
export const SIBLINGS: readonly string[] = ['hooks', 'cgroups', 'state'];

/** commands/ reaches what a container is made of only through container/. */
export const COMMANDS_MAY_NOT_IMPORT: readonly string[] = ['hooks', 'cgroups', 'state', 'plan', 'linux', 'native', 'contract'];

/**
 * Inside cgroups/: which files belong to a driver; every other file is the common part. The
 * systemd driver (cgroups/systemd/) wraps the v2 one: it may import v2, never the other way.
 */
export function cgroupsPart(file: string): 'v1' | 'v2' | 'systemd' | 'manager' | 'common' {
  const base = path.basename(file, '.ts');
  if (file.split(/[\\/]/).includes('systemd')) return 'systemd';
  if (base === 'manager') return 'manager';
  if (/^(v1|v1-.*|stats-v1)$/.test(base)) return 'v1';
  if (/^(v2|v2-.*|stats-v2|device-program)$/.test(base)) return 'v2';
  return 'common';
}

export interface Edge { from: string; to: string; spec: string; typeOnly: boolean }

export function findRoot(start = __dirname): string {
  for (let d = start; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'src'))) return d;
    if (path.dirname(d) === d) throw new Error('repository root not found');
  }
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.ts$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

function resolveImport(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined; // node: and packages are outside src/
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [`${base}.ts`, `${base}.d.ts`, `${base}.js`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return `${base}.ts`;
}

/** Every import edge between files of src/ (paths relative to src/). */
export function importEdges(root = findRoot()): Edge[] {
  const src = path.join(root, 'src');
  const edges: Edge[] = [];
  for (const file of sourceFiles(src)) {
    const text = fs.readFileSync(file, 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      let spec: string | undefined;
      let typeOnly = false;
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        spec = node.moduleSpecifier.text;
        typeOnly = node.importClause?.isTypeOnly ?? false;
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        spec = node.moduleSpecifier.text;
        typeOnly = node.isTypeOnly;
      } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteralLike(node.arguments[0])
        && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
        spec = node.arguments[0].text;
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        spec = node.argument.literal.text;
        typeOnly = true;
      }
      if (spec !== undefined) {
        const target = resolveImport(file, spec);
        if (target && target.startsWith(src + path.sep)) {
          edges.push({ from: path.relative(src, file), to: path.relative(src, target), spec, typeOnly });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return edges;
}

/** The layer name of a file of src/: its top folder, or its own name at the top. */
export function unitOf(file: string): string {
  const parts = file.split(path.sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.(d\.)?ts$/, '');
}

export function levelOf(unit: string): number {
  return LAYERS.findIndex((l) => l.includes(unit));
}

/** Every edge against the rules, with the rule it breaks. */
export function violations(edges: readonly Edge[]): Array<Edge & { why: string }> {
  const out: Array<Edge & { why: string }> = [];
  for (const e of edges) {
    const a = unitOf(e.from);
    const b = unitOf(e.to);
    const la = levelOf(a);
    const lb = levelOf(b);
    if (la < 0) { out.push({ ...e, why: `${a} is in no layer` }); continue; }
    if (lb < 0) { out.push({ ...e, why: `${b} is in no layer` }); continue; }
    if (a !== b) {
      if (lb < la) out.push({ ...e, why: `${a} (layer ${la}) imports ${b} (layer ${lb}, above it)` });
      else if (la === lb && SIBLINGS.includes(a) && SIBLINGS.includes(b)) out.push({ ...e, why: `${a} and ${b} are siblings` });
      else if (a === 'commands' && COMMANDS_MAY_NOT_IMPORT.includes(b)) out.push({ ...e, why: `commands reaches ${b} past container` });
    } else if (a === 'cgroups') {
      const pa = cgroupsPart(e.from);
      const pb = cgroupsPart(e.to);
      const driverArrow = (pa === 'v1' && pb === 'v2') || (pa === 'v2' && pb === 'v1') || (pa === 'systemd' && pb === 'v1')
        || ((pa === 'v1' || pa === 'v2') && pb === 'systemd');
      if (driverArrow) out.push({ ...e, why: `the ${pa} driver imports the ${pb} driver` });
      else if (pa === 'common' && pb !== 'common') out.push({ ...e, why: `the common part of cgroups imports ${pb}` });
      else if (pa !== 'manager' && pb === 'manager') out.push({ ...e, why: 'a driver imports the manager that picks it' });
    }
  }
  return out;
}

/** Strongly connected components of more than one file (or a file importing itself). */
export function cycles(edges: readonly Edge[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, new Set());
    if (!graph.has(e.to)) graph.set(e.to, new Set());
    graph.get(e.from)!.add(e.to);
  }
  // Tarjan's algorithm.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v)!) {
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || graph.get(v)!.has(v)) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  return out;
}

/** How many levels the folders stack into: the longest chain of folder-to-folder imports. */
export function folderLevels(edges: readonly Edge[]): number {
  const deps = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = unitOf(e.from);
    const b = unitOf(e.to);
    if (!deps.has(a)) deps.set(a, new Set());
    if (!deps.has(b)) deps.set(b, new Set());
    if (a !== b) deps.get(a)!.add(b);
  }
  const memo = new Map<string, number>();
  const depth = (u: string, seen: Set<string>): number => {
    if (memo.has(u)) return memo.get(u)!;
    if (seen.has(u)) return 0; // a cycle between folders: counted once
    seen.add(u);
    let d = 1;
    for (const v of deps.get(u)!) d = Math.max(d, 1 + depth(v, seen));
    seen.delete(u);
    memo.set(u, d);
    return d;
  };
  return Math.max(...[...deps.keys()].map((u) => depth(u, new Set())));
}

if (require.main === module) {
  const edges = importEdges();
  const bad = violations(edges);
  const circles = cycles(edges);
  console.log(`files importing: ${new Set(edges.map((e) => e.from)).size}, imports: ${edges.length} (${edges.filter((e) => e.typeOnly).length} type-only)`);
  console.log(`folder levels: ${folderLevels(edges)}`);
  console.log(`imports against the order: ${bad.length}`);
  for (const v of bad) console.log(`  src/${v.from} -> src/${v.to}: ${v.why}`);
  console.log(`cycles between files: ${circles.length}`);
  for (const c of circles) console.log(`  ${c.join(' <-> ')}`);
  const folderCircles = cycles(edges.map((e) => ({ ...e, from: unitOf(e.from), to: unitOf(e.to) })).filter((e) => e.from !== e.to));
  console.log(`cycles between folders: ${folderCircles.length}`);
  for (const c of folderCircles) console.log(`  ${c.join(' <-> ')}`);
}

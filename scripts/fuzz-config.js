#!/usr/bin/env node
// Fuzzes config.json: structure-aware mutations of valid configs (runc's default spec with a busybox
// rootfs, grafted with parts of the configs in spec-fixtures/valid/) — a field deleted, replaced by
// a value of another type, nudged to a boundary, an array emptied or grown, a namespace added or
// dropped — and checks that `tsrunc validate` and `tsrunc create` agree:
//   validate refuses  =>  create refuses, before making anything (no state, cgroup, mount, process);
//   validate accepts  =>  create succeeds (then delete --force must remove everything), or fails
//                         with the launcher's or the kernel's words ("step: op path: reason") and
//                         leaves nothing;
// and that neither ever crashes, hangs or shows an engine's words.
//
//   node scripts/fuzz-config.js [--runs 40] [--seed S] [--seconds T] [--verbose]
//
// Needs `npm run build` (the executable and dist/test/helpers). test/integration/safety/
// fuzz-config.test.ts runs it in CI with a fixed seed; by hand, no --seed draws one (printed first).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fc = require('fast-check');
const common = require('./fuzz-common');

const { makeBundle, TEST_CGROUP_PARENT } = require(path.join(common.TOP, 'dist', 'test', 'helpers', 'rootfs.js'));

const MARKER = `fzcfg${process.pid}`;
const FIXTURES = path.join(common.TOP, 'spec-fixtures', 'valid');
const DONORS = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json') && !f.endsWith('.options.json')).sort()
  .map((f) => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')));

// Parts of the config never mutated, so that no case can touch the host: hooks run host programs;
// sysctls and a namespace joined by path act on the host's kernel state if a namespace is missing;
// root.path and cgroupsPath say where the container is made (always the bundle's rootfs and a
// cgroup of the case's own); a terminal needs --console-socket, a flag validate does not see.
const FROZEN = ['hooks', 'linux/sysctl', 'linux/namespaces', 'root/path', 'linux/cgroupsPath', 'process/terminal'];
const frozen = (p) => FROZEN.some((f) => p === f || p.startsWith(`${f}/`));

/** Every path (array indices included) of a JSON value, as 'a/b/0'. */
function pathsOf(value, prefix = '') {
  if (value === null || typeof value !== 'object') return [];
  const out = [];
  for (const k of Object.keys(value)) {
    const p = prefix ? `${prefix}/${k}` : k;
    if (frozen(p)) continue;
    out.push(p, ...pathsOf(value[k], p));
  }
  return out;
}

function parentOf(root, p) {
  const keys = p.split('/');
  let v = root;
  for (const k of keys.slice(0, -1)) v = v[k];
  return [v, keys[keys.length - 1]];
}

// Values of every JSON type, the special ones first. Nesting is kept shallow on purpose: a
// document nested thousands deep is refused by the depth limit (issue 32, another change), not here.
const SPECIAL = fc.constantFrom(null, true, false, 0, -1, 1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 63), 1e300, '', ' ', '/', '..',
  '../../etc', '/proc/self', '0', '-1', 'x'.repeat(4097), 'ünïcödé', 'a\nb', 'a\u0000b', [], {}, [''], [null], { '': '' });
const VALUE = fc.oneof({ weight: 3, arbitrary: SPECIAL }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });

/** A value near `old`, of its own type: the edges a parser or the kernel may mishandle. */
function nudge(old, pick) {
  const choose = (xs) => xs[pick % xs.length];
  if (typeof old === 'number') return choose([old + 1, old - 1, -old, old * 1024, 0, -1, 0.5, 2 ** 32, 2 ** 63, Number.MAX_SAFE_INTEGER + 2]);
  if (typeof old === 'string') return choose(['', `${old}x`, old.toUpperCase(), ` ${old}`, `${old}/..`, `/${old}`, old.repeat(50), old.slice(1)]);
  if (typeof old === 'boolean') return !old;
  if (Array.isArray(old)) return choose([[], [...old, ...old], old.slice(1), [...old].reverse(), [old[0]]]);
  if (old && typeof old === 'object') return choose([{}, { ...old, unknownField: 1 }, Object.fromEntries(Object.entries(old).slice(1))]);
  return choose([0, '', {}]);
}

const OP = fc.record({
  kind: fc.constantFrom('delete', 'replace', 'nudge', 'nudge', 'graft', 'graft', 'namespace'),
  at: fc.nat(), pick: fc.nat(), value: VALUE,
});
const CASE = fc.record({ ops: fc.array(OP, { minLength: 1, maxLength: 3 }) });

const NAMESPACE_CHANGES = [
  (ns) => ns.push({ type: 'user' }), (ns) => ns.push({ type: 'cgroup' }), (ns) => ns.push({ type: 'time' }),
  (ns) => ns.push({ type: 'pid' }), (ns) => ns.push({ type: 'nope' }), (ns) => ns.push({ type: 'user', path: '/nonexistent-tsrunc-fuzz/missing' }),
  (ns) => ns.splice(ns.findIndex((n) => n.type === 'uts'), 1), (ns) => ns.splice(ns.findIndex((n) => n.type === 'network'), 1),
  (ns) => ns.splice(ns.findIndex((n) => n.type === 'ipc'), 1), (ns) => ns.splice(ns.findIndex((n) => n.type === 'pid'), 1),
];

/** Applies one operation to `spec` (in place); returns what it did, for the report. */
function apply(spec, op) {
  if (op.kind === 'namespace') {
    NAMESPACE_CHANGES[op.pick % NAMESPACE_CHANGES.length](spec.linux.namespaces);
    return `namespaces: ${spec.linux.namespaces.map((n) => n.type).join(',')}`;
  }
  if (op.kind === 'graft') {
    const donor = DONORS[op.pick % DONORS.length];
    const paths = pathsOf(donor).filter((p) => p !== 'ociVersion');
    if (paths.length === 0) return 'graft: nothing';
    const p = paths[op.at % paths.length];
    const keys = p.split('/');
    let v = spec;
    for (const k of keys.slice(0, -1)) {
      if (v[k] === null || typeof v[k] !== 'object') v[k] = /^\d+$/.test(k) ? [] : {};
      v = v[k];
    }
    const [from, key] = parentOf(donor, p);
    v[keys[keys.length - 1]] = structuredClone(from[key]);
    return `graft ${p}`;
  }
  const paths = pathsOf(spec);
  if (paths.length === 0) return 'nothing';
  const p = paths[op.at % paths.length];
  const [parent, key] = parentOf(spec, p);
  if (op.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
    return `delete ${p}`;
  }
  parent[key] = op.kind === 'replace' ? structuredClone(op.value) : nudge(parent[key], op.pick);
  return `${op.kind} ${p}`;
}

/**
 * Keeps the mutated config away from the host: a bind mount's source (from a donor or mutated)
 * becomes a directory of the bundle's own, the rest of FROZEN is put back as the base had it.
 */
function confine(spec, base, bundleDir) {
  for (const k of ['hooks']) delete spec[k];
  if (spec.linux && typeof spec.linux === 'object') {
    delete spec.linux.sysctl;
    spec.linux.namespaces = spec.linux.namespaces ?? base.linux.namespaces;
    spec.linux.cgroupsPath = base.linux.cgroupsPath;
  }
  if (spec.root && typeof spec.root === 'object') spec.root.path = 'rootfs';
  if (spec.process && typeof spec.process === 'object') spec.process.terminal = false;
  if (Array.isArray(spec.mounts)) {
    for (const m of spec.mounts) {
      if (m && typeof m === 'object' && typeof m.source === 'string' && m.source.startsWith('/')) m.source = path.join(bundleDir, 'volume');
    }
  }
}

// What create may fail with once validate accepted: the launcher's or the kernel's words, "step: op
// path: reason" or a sentence of the launcher's. A problem with the config (its JSON path first,
// as validate words them) means validate missed something create checks.
const CONFIG_PROBLEM = /^(config\.json: |\/?(ociVersion|process|root|mounts|hostname|domainname|linux|annotations|hooks)(\.|\/|\[|: ))/;
const NAMES_AN_OPERATION = /\S: \S/;

function lastError(stderr) {
  const lines = stderr.split('\n').map((l) => /level=error msg="((?:[^"\\]|\\.)*)"/.exec(l)).filter(Boolean).map((m) => JSON.parse(`"${m[1]}"`));
  return lines.length ? lines[lines.length - 1].replace(/^tsrunc create failed: /, '') : '';
}

let counter = 0;
let verbose = false;

async function check(input) {
  counter += 1;
  const id = `${MARKER}-${counter}`;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `tsrunc-${MARKER}-`));
  const root = path.join(base, 'root');
  fs.mkdirSync(root, { mode: 0o700 });
  const bundle = makeBundle({ parent: base, args: ['true'] });
  const cgroup = `${TEST_CGROUP_PARENT}/${id}`;
  const problems = [];
  let done = [];
  let spec;
  let created = false;
  try {
    bundle.spec.linux.cgroupsPath = cgroup;
    fs.mkdirSync(path.join(bundle.dir, 'volume'));
    const pristine = structuredClone(bundle.spec);
    spec = structuredClone(bundle.spec);
    done = input.ops.map((op) => apply(spec, op));
    confine(spec, pristine, bundle.dir);
    fs.writeFileSync(bundle.configPath, `${JSON.stringify(spec, null, 2)}\n`);

    const v = await common.runTsrunc(['--root', root, 'validate', '--bundle', bundle.dir], { cwd: base });
    problems.push(...common.outputProblems(v).map((p) => `validate: ${p}`));
    const c = await common.runTsrunc(['--root', root, 'create', '--bundle', bundle.dir, id], { cwd: base, timeoutMs: 60_000 });
    created = c.code === 0;
    problems.push(...common.outputProblems(c).map((p) => `create: ${p}`));
    const why = lastError(c.stderr);
    if (verbose) console.log(`${v.code}/${c.code} ${done.join('; ')}: ${lastError(v.stderr).slice(0, 150)} | ${why.slice(0, 150)}`);
    if (v.code !== 0 && created) problems.push('validate refused the config but create accepted it');
    if (v.code === 0 && c.code === 1 && (CONFIG_PROBLEM.test(why) || !NAMES_AN_OPERATION.test(why))) {
      problems.push(`validate accepted the config but create refused it without a launcher or kernel error: ${why}`);
    }
    if (v.code !== 0 || c.code !== 0) problems.push(...common.containerLeftovers(root, id, cgroup, bundle.dir).map((l) => `after a refused create: ${l}`));
    if (created) {
      const d = await common.runTsrunc(['--root', root, 'delete', '--force', id], { cwd: base, timeoutMs: 60_000 });
      created = d.code !== 0;
      problems.push(...common.outputProblems(d, { codes: [0] }).map((p) => `delete --force: ${p}`));
      problems.push(...(await common.settled(() => common.containerLeftovers(root, id, cgroup, bundle.dir), 5_000)).map((l) => `after delete --force: ${l}`));
    }
    if (problems.length) {
      throw new Error(`${problems.join('\n')}\nmutations: ${done.join('; ')}\nconfig: ${JSON.stringify(spec).slice(0, 6000)}\n`
        + `validate: ${v.code} ${v.stderr.slice(0, 2000)}\ncreate: ${c.code} ${c.stderr.slice(0, 2000)}`);
    }
  } finally {
    if (created || fs.existsSync(path.join(root, id))) await common.runTsrunc(['--root', root, 'delete', '--force', id], { cwd: base });
    common.removeCgroupDirs(cgroup);
    bundle.cleanup();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

async function main() {
  const args = common.parseArgs(process.argv.slice(2), { runs: 40 });
  verbose = args.verbose;
  return common.assertProperty('fuzz-config', 'scripts/fuzz-config.js', fc, fc.asyncProperty(CASE, check), args);
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 2; });

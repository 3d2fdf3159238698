// Driving a runtime binary (tsrunc or runc) the way a container engine does: as separate
// processes, each with its own --root, checking exit codes and stderr.
//
// Output is always captured through regular files, never pipes: `create` and `run --detach`
// hand their stdio to the container, so a pipe would stay open (and 'close' never fire) for as
// long as the container lives. Files let every call resolve on process exit, and what the
// container writes later can still be read from the same file.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeTree } from './rootfs';

export type RuntimeKind = 'tsrunc' | 'runc';

/** Repository root, found from here whether running from test/helpers or dist/test/helpers. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tsrunc') return dir;
      } catch {
        // an unrelated or half-written package.json: keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the tsrunc repository above ${__dirname}`);
    dir = up;
  }
}

export interface RuntimeCommand {
  argv: string[];
  /** Human-readable, e.g. "tsrunc (node /work/main/bin/tsrunc)". */
  label: string;
}

/**
 * The command line for a runtime. "runc" is always the installed runc. "tsrunc" is the executable
 * users install, as built in `<repo>/dist/bin/tsrunc`, unless TSRUNC_BIN overrides it: TSRUNC_BIN=runc runs the whole
 * suite against runc (to prove the tests themselves), any other value is split on whitespace
 * and used as the command (e.g. "node /elsewhere/bin/tsrunc").
 */
export function runtimeCommand(kind: RuntimeKind): RuntimeCommand {
  if (kind === 'runc') return { argv: [process.env.RUNC_BIN ?? 'runc'], label: 'runc' };
  const override = process.env.TSRUNC_BIN?.trim();
  if (override) {
    const argv = override.split(/\s+/);
    return { argv, label: `tsrunc (TSRUNC_BIN=${override})` };
  }
  const bin = path.join(repoRoot(), 'dist', 'bin', 'tsrunc');
  return { argv: [bin], label: `tsrunc (${bin})` };
}

/** True when the runtime under test is really runc, i.e. differential checks compare runc with itself. */
export function tsruncIsRunc(): boolean {
  return path.basename(runtimeCommand('tsrunc').argv[0]) === 'runc';
}

export function hasRunc(): boolean {
  const r = spawnSync(runtimeCommand('runc').argv[0], ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

let idCounter = 0;
/** Container ids unique across parallel test files and across the two runtimes (runc names cgroups after them). */
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${process.pid}-${idCounter}-${Math.random().toString(36).slice(2, 6)}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ExecOptions {
  /** Written to the runtime's stdin (then closed); /dev/null otherwise. */
  stdin?: string;
  timeoutMs?: number;
  cwd?: string;
  /** Capture stdout/stderr in these files (kept) instead of private temp files (removed). */
  stdoutPath?: string;
  stderrPath?: string;
  /** Extra global flags placed before the command, e.g. ['--log', f, '--log-format', 'json']. */
  globalArgs?: string[];
  /** The runtime's environment, instead of the test's. */
  env?: NodeJS.ProcessEnv;
}

export interface ExecResult {
  argv: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** One line summary of a result for assertion messages. */
export function describeResult(r: ExecResult): string {
  return `$ ${r.argv.join(' ')}\n  exit=${r.code ?? r.signal}\n  stdout=${JSON.stringify(r.stdout)}\n  stderr=${JSON.stringify(r.stderr)}`;
}

/** True for the runtime's own non-error log lines (text format), as opposed to container output. */
export function isRuntimeLogLine(line: string): boolean {
  return /^time="[^"]*" level=(warning|info|debug) /.test(line);
}

/**
 * The container's stderr without the runtime's warnings: they share one fd, and a warning
 * about the config is not something the container wrote.
 */
export function withoutRuntimeLog(stderr: string): string {
  return stderr.split(/(?<=\n)/).filter((l) => !isRuntimeLogLine(l)).join('');
}

export interface ContainerState {
  ociVersion: string;
  id: string;
  status: string;
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface RunResult {
  id: string;
  code: number | null;
  stdout: string;
  stderr: string;
  result: ExecResult;
}

export class Runtime {
  readonly kind: RuntimeKind;
  readonly argv: string[];
  readonly label: string;
  /** Private scratch dir; holds the state root, captured output files, and anything a bad id like "../x" could reach. */
  readonly base: string;
  readonly root: string;
  readonly ioDir: string;
  private readonly live = new Set<ChildProcess>();
  private ioCounter = 0;

  /** `wrapper` runs before the runtime's command, e.g. nsenter into another network namespace. */
  constructor(kind: RuntimeKind, opts: { wrapper?: string[] } = {}) {
    this.kind = kind;
    const cmd = runtimeCommand(kind);
    this.argv = [...(opts.wrapper ?? []), ...cmd.argv];
    this.label = cmd.label;
    this.base = fs.mkdtempSync(path.join(os.tmpdir(), `tsrunc-rt-${kind}-`));
    // One level down so that "../x"-style ids resolve inside base, where the tests look.
    this.root = path.join(this.base, 'state');
    this.ioDir = path.join(this.base, 'io');
    // Made up front so that "the runtime created nothing new" checks are not confused by
    // the root appearing on the first create.
    fs.mkdirSync(this.root, { mode: 0o700 });
    fs.mkdirSync(this.ioDir);
  }

  /** A fresh file path in this runtime's scratch dir, for capturing a container's output. */
  ioPath(tag: string): string {
    this.ioCounter += 1;
    return path.join(this.ioDir, `${this.ioCounter}-${tag}`);
  }

  exec(args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const argv = [...this.argv, '--root', this.root, ...(opts.globalArgs ?? []), ...args];
    const outPath = opts.stdoutPath ?? this.ioPath('stdout');
    const errPath = opts.stderrPath ?? this.ioPath('stderr');
    const outFd = fs.openSync(outPath, 'w');
    const errFd = fs.openSync(errPath, 'w');
    const started = process.hrtime.bigint();
    const timeoutMs = opts.timeoutMs ?? 30_000;

    return new Promise<ExecResult>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(argv[0], argv.slice(1), {
          cwd: opts.cwd,
          env: opts.env,
          stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', outFd, errFd],
        });
      } finally {
        // The child has its own copies; ours would only keep the files open.
        fs.closeSync(outFd);
        fs.closeSync(errFd);
      }
      this.live.add(child);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);

      if (opts.stdin !== undefined && child.stdin) {
        child.stdin.on('error', () => { /* the runtime may exit without reading stdin */ });
        child.stdin.end(opts.stdin);
      }
      const collect = (keep: string | undefined, p: string): string => {
        const s = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
        if (keep === undefined) fs.rmSync(p, { force: true });
        return s;
      };
      child.on('error', (err) => {
        clearTimeout(timer);
        this.live.delete(child);
        collect(opts.stdoutPath, outPath);
        collect(opts.stderrPath, errPath);
        reject(new Error(`cannot run ${argv.join(' ')}: ${err.message}`));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        this.live.delete(child);
        const result: ExecResult = {
          argv,
          code,
          signal,
          stdout: collect(opts.stdoutPath, outPath),
          stderr: collect(opts.stderrPath, errPath),
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        };
        if (timedOut) {
          reject(new Error(`timed out after ${timeoutMs} ms:\n${describeResult(result)}`));
        } else {
          resolve(result);
        }
      });
    });
  }

  /** Like exec, but fails with the full command and output if the exit code is not 0. */
  async ok(args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(args, opts);
    if (r.code !== 0) throw new Error(`${this.label}: command failed\n${describeResult(r)}`);
    return r;
  }

  async state(id: string): Promise<ContainerState> {
    const r = await this.exec(['state', id]);
    if (r.code !== 0) throw new Error(`${this.label}: state ${id} failed\n${describeResult(r)}`);
    try {
      return JSON.parse(r.stdout) as ContainerState;
    } catch (e) {
      throw new Error(`${this.label}: state ${id} printed invalid JSON (${(e as Error).message})\n${describeResult(r)}`);
    }
  }

  async waitForStatus(id: string, status: string, timeoutMs = 10_000): Promise<ContainerState> {
    const deadline = Date.now() + timeoutMs;
    let last: ContainerState | undefined;
    for (;;) {
      last = await this.state(id);
      if (last.status === status) return last;
      if (Date.now() > deadline) {
        throw new Error(`${this.label}: ${id} did not become ${status} within ${timeoutMs} ms; last state ${JSON.stringify(last)}`);
      }
      await sleep(25);
    }
  }

  deleteForce(id: string): Promise<ExecResult> {
    return this.exec(['delete', '--force', id]);
  }

  /** `run ID` in the foreground: the container's stdout/stderr and exit code. Always deleted afterwards. */
  async runToCompletion(bundleDir: string, id: string, opts: { timeoutMs?: number; stdin?: string } = {}): Promise<RunResult> {
    try {
      const result = await this.exec(['run', '--bundle', bundleDir, id], opts);
      return { id, code: result.code, stdout: result.stdout, stderr: result.stderr, result };
    } finally {
      // `run` deletes on its own; this only matters when it failed half-way or timed out.
      await this.deleteForce(id);
    }
  }

  /**
   * create → start → wait for the init to exit → delete, as containerd drives a task.
   * Output is the container's stdout/stderr; the exit code is not observable this way.
   */
  async createStartWait(bundleDir: string, id: string, timeoutMs = 20_000): Promise<{
    create: ExecResult; start?: ExecResult; stdout: string; stderr: string; pid?: number;
  }> {
    const outPath = this.ioPath(`${id}.out`);
    const errPath = this.ioPath(`${id}.err`);
    try {
      const create = await this.exec(['create', '--bundle', bundleDir, id], { stdoutPath: outPath, stderrPath: errPath });
      if (create.code !== 0) return { create, stdout: create.stdout, stderr: create.stderr };
      const { pid } = await this.state(id);
      const start = await this.exec(['start', id]);
      if (start.code === 0) await this.waitForStatus(id, 'stopped', timeoutMs);
      return { create, start, pid, stdout: fs.readFileSync(outPath, 'utf8'), stderr: fs.readFileSync(errPath, 'utf8') };
    } finally {
      await this.deleteForce(id);
      fs.rmSync(outPath, { force: true });
      fs.rmSync(errPath, { force: true });
    }
  }

  /** Ids that have a state directory under --root. */
  /** The container directories in the root; tsrunc's `.cache` (compiled seccomp programs, kept
   * across containers and bounded) is not one. */
  listedIds(): string[] {
    if (!fs.existsSync(this.root)) return [];
    return fs.readdirSync(this.root, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== '.cache').map((d) => d.name);
  }

  /**
   * Leaves nothing behind: kills runtime processes still running (e.g. a foreground `run` of a
   * failed test), force-deletes every container in the root, kills any init that survived its
   * delete, and removes the scratch dir. Returns the ids that still had to be deleted.
   */
  async cleanupAll(): Promise<string[]> {
    for (const child of this.live) child.kill('SIGKILL');
    const ids = this.listedIds();
    for (const id of ids) {
      let pid = 0;
      let start: string | undefined;
      const st = await this.exec(['state', id]).catch(() => undefined);
      if (st?.code === 0) {
        try {
          pid = (JSON.parse(st.stdout) as ContainerState).pid;
          start = pid > 0 ? procStartTime(pid) : undefined;
        } catch { /* unreadable state: delete --force is all we can do */ }
      }
      await this.deleteForce(id).catch(() => undefined);
      if (pid > 0 && start !== undefined && procStartTime(pid) === start) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    const leaked = removeTree(this.base);
    if (leaked.length > 0) throw new Error(`${this.label}: mounts were left under ${this.base}: ${leaked.join(', ')}`);
    return ids;
  }
}

// ---------------------------------------------------------------------------------------------
// /proc helpers

function readProc(pid: number, file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

function statFields(pid: number): string[] | undefined {
  const stat = readProc(pid, 'stat');
  if (!stat) return undefined;
  // comm may contain spaces and parentheses; everything after the last ')' is well-formed.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Start time in clock ticks since boot: tells a pid apart from a later reuse of the same number. */
export function procStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** The process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  const f = statFields(pid);
  return f !== undefined && f[0] !== 'Z' && f[0] !== 'X';
}

export function parentPid(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[1]) : undefined;
}

export function cmdline(pid: number): string {
  return (readProc(pid, 'cmdline') ?? '').replace(/\0+$/, '').replace(/\0/g, ' ');
}

export async function waitForExit(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

export interface RelatedProcess {
  pid: number;
  cmdline: string;
  why: string;
}

/**
 * Processes that belong to a test's container or runtime invocation, found by what they carry:
 * a marker (container id, root or bundle path) in their command line, a cgroup named after
 * the container id, or a private mount namespace whose mounts come from the bundle. Matching
 * on markers rather than on "new processes" keeps other people's concurrent work out of it.
 */
export function relatedProcesses(m: { ids?: string[]; paths?: string[]; excludePids?: number[] }): RelatedProcess[] {
  const ids = m.ids ?? [];
  const paths = m.paths ?? [];
  const exclude = new Set([process.pid, ...(m.excludePids ?? [])]);
  const ownMnt = safeReadlink('/proc/self/ns/mnt');
  const found: RelatedProcess[] = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    const pid = Number(ent);
    if (exclude.has(pid)) continue;
    const cmd = cmdline(pid);
    const marker = [...ids, ...paths].find((s) => s !== '' && cmd.includes(s));
    if (marker) {
      found.push({ pid, cmdline: cmd, why: `command line contains ${marker}` });
      continue;
    }
    const cg = readProc(pid, 'cgroup') ?? '';
    const cgId = ids.find((id) => id !== '' && cg.split('\n').some((l) => l.endsWith(`/${id}`) || l.includes(`/${id}/`)));
    if (cgId) {
      found.push({ pid, cmdline: cmd, why: `in cgroup named ${cgId}` });
      continue;
    }
    const mnt = safeReadlink(`/proc/${pid}/ns/mnt`);
    if (mnt && mnt !== ownMnt && paths.length > 0) {
      const mi = readProc(pid, 'mountinfo') ?? '';
      const p = paths.find((s) => s !== '' && mi.includes(s));
      if (p) found.push({ pid, cmdline: cmd, why: `mount namespace has mounts from ${p}` });
    }
  }
  return found;
}

/** Polls relatedProcesses until empty (processes may need a moment to be reaped). */
export async function waitNoRelatedProcesses(
  m: { ids?: string[]; paths?: string[]; excludePids?: number[] }, timeoutMs = 3_000,
): Promise<RelatedProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = relatedProcesses(m).filter((p) => processAlive(p.pid));
    if (found.length === 0 || Date.now() > deadline) return found;
    await sleep(50);
  }
}

function safeReadlink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** Mountinfo lines of this (host) mount namespace that mention any of the given paths. */
export function hostMountsMentioning(paths: string[]): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => l !== '' && paths.some((p) => l.includes(p)));
}

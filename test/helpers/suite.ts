// What every real-container suite starts with: the runtime under test, runc as the reference when
// installed, cleanup of both after the file, and a way to declare one case for each runtime.
import { after, test, type TestContext } from 'node:test';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addon } from '../../src/native/addon';
import assert from 'node:assert/strict';
import { makeBundle, removeTree, type Bundle, type BundleOptions } from './rootfs';
import { describeResult, hasRunc, Runtime, sleep, uniqueId, type ExecResult } from './runtime';

export const TEST_TIMEOUT = { timeout: 60_000 };

export interface RuntimePair {
  sut: Runtime;
  ref?: Runtime;
}

export function runtimesForSuite(): RuntimePair {
  const sut = new Runtime('tsrunc');
  const ref = hasRunc() ? new Runtime('runc') : undefined;
  after(async () => {
    await sut.cleanupAll();
    await ref?.cleanupAll();
  });
  return { sut, ref };
}

/**
 * Declares the case once per runtime, runc first, so runc vouches for the expectations. `skipFor`
 * may return a reason to skip a runtime (a feature the installed runc lacks, say).
 */
export function forEachRuntime(
  pair: RuntimePair,
  name: string,
  fn: (t: TestContext, rt: Runtime) => Promise<void>,
  skipFor?: (rt: Runtime) => string | undefined,
): void {
  for (const rt of pair.ref ? [pair.ref, pair.sut] : [pair.sut]) {
    test(`${name} [${rt.kind}]`, TEST_TIMEOUT, async (t) => {
      const reason = skipFor?.(rt);
      if (reason) return t.skip(reason);
      await fn(t, rt);
    });
  }
}

/** Waits until `file` matches `re` (a container writes it asynchronously); returns its content. */
export async function waitForFileContent(file: string, re: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (re.test(s)) return s;
    if (Date.now() > deadline) assert.fail(`${file} never matched ${re}; content: ${JSON.stringify(s)}`);
    await sleep(20);
  }
}

/** Runs `fn` with a fresh bundle and a unique id, always force-deleting the container and the bundle. */
export async function withContainer(
  rt: Runtime, prefix: string, opts: BundleOptions, fn: (b: Bundle, id: string) => Promise<void>,
): Promise<void> {
  const b = makeBundle(opts);
  const id = uniqueId(prefix);
  try {
    await fn(b, id);
  } finally {
    await rt.deleteForce(id);
    b.cleanup();
  }
}

export function expectOk(r: ExecResult, what: string): void {
  assert.equal(r.code, 0, `${what} should succeed\n${describeResult(r)}`);
}

export interface SpawnResult { code: number | null; signal: NodeJS.Signals | null; stderr: string }

/**
 * Runs the runtime with extra inherited fds (3, 4, ...) and a custom environment, which
 * Runtime.exec cannot do. With `listenPid`, a shell sets LISTEN_PID to its own pid and execs the
 * runtime, so the runtime sees LISTEN_PID equal to its pid as systemd would hand it over.
 */
export function spawnRuntime(rt: Runtime, args: string[], o: {
  stdout: string; stderr: string; extraFds?: number[]; env?: Record<string, string>; listenPid?: boolean;
}): Promise<SpawnResult> {
  const argv = [...rt.argv, '--root', rt.root, ...args];
  const cmd = o.listenPid ? ['sh', '-c', 'LISTEN_PID=$$ exec "$@"', 'sh', ...argv] : argv;
  const outFd = fs.openSync(o.stdout, 'w');
  const errFd = fs.openSync(o.stderr, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), {
      stdio: ['ignore', outFd, errFd, ...(o.extraFds ?? [])],
      env: { ...process.env, ...o.env },
    });
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr: fs.readFileSync(o.stderr, 'utf8') });
    });
  });
}

/** "key value" lines → map; containers in the tests print their observations this way. */
export function keyed(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

/** A fresh exec.fifo in a temporary directory, for tests that drive the launcher directly. */
export async function withExecFifo(fn: (fifo: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-fifo-'));
  try {
    const fifo = path.join(dir, 'exec.fifo');
    addon().mkfifo(fifo, 0o622);
    await fn(fifo);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Scratch directories for a test file that builds bundles by hand: `make()` creates
 * `<tmpdir>/<prefix><pid>-XXXXXX`, and after the file every one is removed without crossing into a
 * mount (as bundles are). The hook then fails if a directory with this file's prefix is still there,
 * so a directory created some other way is noticed rather than left behind.
 */
export function scratchDirsForFile(prefix: string): () => string {
  const fileScope = `${prefix}${process.pid}-`;
  const made: string[] = [];
  after(() => {
    const leaked = made.flatMap((dir) => removeTree(dir));
    const left = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(fileScope));
    assert.deepEqual({ leaked, left }, { leaked: [], left: [] }, `scratch directories ${path.join(os.tmpdir(), fileScope)}* left behind, or mounts inside them`);
  });
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), fileScope));
    made.push(dir);
    return dir;
  };
}

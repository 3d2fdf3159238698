// Running the engines' client commands (ctr, podman) from the tests: output captured through
// files (a detached container's helpers, such as conmon, may inherit the client's stdio and would
// keep a pipe open long after the command exited), a timeout, an explicit environment, and a
// pseudo-terminal on request for the `-t` cases, which the clients refuse without one.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecResult } from '../runtime';

/** The same record the runtime helper returns, so its describeResult works on both. */
export type CommandResult = ExecResult;

export interface CommandOptions {
  env: NodeJS.ProcessEnv;
  /** Where the capture files go (they are removed once read). */
  ioDir: string;
  timeoutMs?: number;
  cwd?: string;
  /** Run under a pseudo-terminal (util-linux `script`): stdout and stderr then arrive together. */
  tty?: boolean;
  /** The command's stdin (from a file, then end of input); /dev/null otherwise. Not with `tty`. */
  stdin?: string;
}

let ioCounter = 0;

export function describeCommand(r: CommandResult): string {
  return `$ ${r.argv.join(' ')}\n  exit=${r.code ?? r.signal} (${Math.round(r.ms)} ms)\n  stdout=${JSON.stringify(r.stdout)}\n  stderr=${JSON.stringify(r.stderr)}`;
}

/** Single-quoted for sh, so any argument survives a trip through a shell command line. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function hasScript(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts a command; `done` resolves when it exits, `pid` lets a test signal it meanwhile. */
export function startCommand(argv: string[], opts: CommandOptions): { done: Promise<CommandResult>; pid: number | undefined } {
  // `script -e` returns the command's own exit status; -q drops its banner; the typescript goes
  // nowhere. Its stdin is /dev/null, so the terminal sees end-of-input, not a hang.
  const real = opts.tty ? ['script', '-qec', argv.map(shellQuote).join(' '), '/dev/null'] : argv;
  ioCounter += 1;
  const outPath = path.join(opts.ioDir, `cmd-${process.pid}-${ioCounter}.out`);
  const errPath = path.join(opts.ioDir, `cmd-${process.pid}-${ioCounter}.err`);
  const outFd = fs.openSync(outPath, 'w');
  const errFd = fs.openSync(errPath, 'w');
  let inFd: number | 'ignore' = 'ignore';
  if (opts.stdin !== undefined) {
    const inPath = path.join(opts.ioDir, `cmd-${process.pid}-${ioCounter}.in`);
    fs.writeFileSync(inPath, opts.stdin);
    inFd = fs.openSync(inPath, 'r');
    fs.rmSync(inPath);
  }
  const started = process.hrtime.bigint();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const child = spawn(real[0], real.slice(1), { env: opts.env, cwd: opts.cwd ?? '/', stdio: [inFd, outFd, errFd] });
  fs.closeSync(outFd);
  fs.closeSync(errFd);
  if (inFd !== 'ignore') fs.closeSync(inFd);
  const done = new Promise<CommandResult>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const collect = (p: string): string => {
      const s = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
      fs.rmSync(p, { force: true });
      return s;
    };
    child.on('error', (err) => {
      clearTimeout(timer);
      collect(outPath);
      collect(errPath);
      reject(new Error(`cannot run ${argv.join(' ')}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const r: CommandResult = {
        argv, code, signal, stdout: collect(outPath), stderr: collect(errPath),
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      };
      if (timedOut) reject(new Error(`timed out after ${timeoutMs} ms:\n${describeCommand(r)}`));
      else resolve(r);
    });
  });
  return { done, pid: child.pid };
}

export function runCommand(argv: string[], opts: CommandOptions): Promise<CommandResult> {
  return startCommand(argv, opts).done;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** PATH as a service manager gives it (systemd's default): the clients' children see no more. */
export const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The absolute path of a command found on SERVICE_PATH (or as given, when it has a slash). */
export function which(cmd: string): string | undefined {
  if (cmd.includes('/')) return fs.existsSync(cmd) ? path.resolve(cmd) : undefined;
  for (const dir of `${process.env.PATH ?? ''}:${SERVICE_PATH}`.split(':')) {
    if (dir === '') continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch { /* not here */ }
  }
  return undefined;
}

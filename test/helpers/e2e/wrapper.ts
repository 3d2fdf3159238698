// Engines run their OCI runtime as one executable path (containerd's BinaryName, podman's
// runtime path). The tests make such a path for whatever test/helpers/runtime.ts says the
// runtime command is (`node <repo>/bin/tsrunc` today, an executable later, runc with
// TSRUNC_BIN=runc): a two-line sh script. It passes the engine's environment through untouched
// (containerd's shim gives a short PATH and no HOME: tsrunc must cope, the wrapper must not
// paper over it) and names every program by absolute path, so nothing depends on that PATH.
// Each call is also appended to a log, which lets a test check what the engine asked for.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { runtimeCommand, type RuntimeKind } from '../runtime';
import { shellQuote, which } from './command';

export interface RuntimeWrapper {
  /** Absolute path of the executable script. */
  path: string;
  /** Every invocation's arguments, one line each. */
  callLog: string;
  /** The command the script execs, for messages. */
  label: string;
  kind: RuntimeKind;
}

export function writeRuntimeWrapper(dir: string, kind: RuntimeKind, name = kind): RuntimeWrapper {
  const cmd = runtimeCommand(kind);
  const exe = which(cmd.argv[0]);
  if (exe === undefined) throw new Error(`${cmd.label}: ${cmd.argv[0]} not found`);
  const argv = [exe, ...cmd.argv.slice(1).map((a) => (a.includes('/') ? path.resolve(a) : a))];
  const file = path.join(dir, name);
  const callLog = path.join(dir, `${name}.calls`);
  fs.writeFileSync(file, [
    '#!/bin/sh',
    `printf '%s\\n' "$*" >> ${shellQuote(callLog)}`,
    `exec ${argv.map(shellQuote).join(' ')} "$@"`,
    '',
  ].join('\n'), { mode: 0o755 });
  fs.writeFileSync(callLog, '');
  return { path: file, callLog, label: cmd.label, kind };
}

/** Every call the engine made so far, oldest first. */
export function loggedCalls(w: RuntimeWrapper): string[] {
  return fs.readFileSync(w.callLog, 'utf8').split('\n').filter((l) => l !== '');
}

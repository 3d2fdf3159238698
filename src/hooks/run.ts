// Running OCI hooks (runtime-spec 1.3 config.md#posix-platform-hooks): each in order, with exactly
// its path, args (args[0] is the name it sees), env (exactly the list given) and timeout (killed
// when it expires, which is a failure), and the container's state JSON on its stdin. Its stdout
// never reaches the runtime's; its stderr goes to the log under the hook's name.
import type { Hook, Spec } from '../config/types';
import { errnoText, TsruncError } from '../errors';
import type { Logger } from '../log';

export type HookPhase = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

/** The OCI state a hook reads on stdin. */
export interface HookState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'stopped';
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export class HookError extends TsruncError {}

/** The state a hook of a container reads, from its state.json and the status of the moment. */
export function hookState(
  s: { ociVersion: string; id: string; bundle: string; annotations?: Record<string, string> },
  status: HookState['status'], pid?: number,
): HookState {
  return {
    ociVersion: s.ociVersion, id: s.id, status,
    ...(pid && pid > 0 ? { pid } : {}),
    bundle: s.bundle,
    ...(s.annotations && Object.keys(s.annotations).length ? { annotations: s.annotations } : {}),
  };
}

function envObject(list: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of list ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

function runOne(phase: HookPhase, index: number, hook: Hook, input: string, log: Logger): void {
  const args = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
  // Loaded only when a hook runs: delete of a container without poststop hooks never needs it.
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(hook.path, args.slice(1), {
    argv0: args[0],
    input,
    env: envObject(hook.env),
    cwd: '/',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: hook.timeout && hook.timeout > 0 ? hook.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  const name = `${phase} hook #${index} (${hook.path})`;
  const stderr = r.stderr?.toString().trim() ?? '';
  for (const line of stderr.split('\n')) if (line) log.info(`${name}: ${line}`);
  // A hook that exits without reading its stdin is fine (EPIPE on our side of the pipe).
  const err = (r.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' ? undefined : r.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ETIMEDOUT') throw new HookError(`error running ${name}: timeout after ${hook.timeout}s`);
  if (err) throw new HookError(`error running ${name}: ${errnoText(err)}`);
  if (r.signal) throw new HookError(`error running ${name}: signal: ${r.signal}${stderr ? `, stderr: ${stderr}` : ''}`);
  if (r.status !== 0) throw new HookError(`error running ${name}: exit status ${r.status}${stderr ? `, stderr: ${stderr}` : ''}`);
}

/** Runs the hooks of one phase in order; the first failure stops them and is thrown. */
export function runHooks(spec: Spec, phase: HookPhase, state: HookState, log: Logger): void {
  const hooks = spec.hooks?.[phase] ?? [];
  if (hooks.length === 0) return;
  const input = JSON.stringify(state);
  hooks.forEach((hook, i) => runOne(phase, i, hook, input, log));
}

/** poststop: every hook runs; a failure is a warning (runtime-spec 1.3). */
export function runPoststopHooks(spec: Spec, state: HookState, log: Logger): void {
  const hooks = spec.hooks?.poststop ?? [];
  if (hooks.length === 0) return;
  const input = JSON.stringify(state);
  hooks.forEach((hook, i) => {
    try { runOne('poststop', i, hook, input, log); } catch (e) { log.warn((e as Error).message); }
  });
}

export function hasHooks(spec: Spec, ...phases: HookPhase[]): boolean {
  return phases.some((p) => (spec.hooks?.[p]?.length ?? 0) > 0);
}

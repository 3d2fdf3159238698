// Drives the launcher over its socket: sends the plan, relays its debug lines, and turns its
// {step, op, path, errno} failures into errors. Synchronous on purpose: create is a straight line,
// and nothing else runs in this process meanwhile.
import { describeNativeFailure, TsruncError, type NativeFailure } from '../errors';
import type { Logger } from '../log';
import { Timings } from '../timings';
import type { CliToLauncherMessage, ErrorMessage, LaunchPlan, LauncherToCliMessage } from '../contract/generated/contract';
import { addon, launcherPath } from './addon';
import * as files from '../sys/files';

/** The launcher failed: `failure` is what it reported (the root cause). */
export class LaunchError extends TsruncError {
  constructor(readonly failure: NativeFailure) {
    super(describeNativeFailure(failure));
  }
}

class LineSocket {
  private buffered = '';
  constructor(readonly fd: number) {}

  send(msg: LaunchPlan | CliToLauncherMessage): void {
    files.write(this.fd, JSON.stringify(msg) + '\n');
  }

  /** Next message, or undefined at EOF. Its shape is the launcher's (generated from the same
   * contract); only its type is checked, by the caller's switch. */
  receive(): LauncherToCliMessage | undefined {
    for (;;) {
      const nl = this.buffered.indexOf('\n');
      if (nl >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        return JSON.parse(line) as LauncherToCliMessage;
      }
      let chunk: string;
      try {
        chunk = files.readChunk(this.fd, 65536);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
      if (chunk === '') return undefined;
      this.buffered += chunk;
    }
  }
}

/** A container init that is set up and waiting; commit() lets it outlive this process. */
export interface Launched {
  initPid: number;
  /** Call once state.json and the pid file are written. */
  commit(): void;
  /** Kills the init (if any) and reaps the launcher. */
  abort(): void;
}

/** Called when the launcher stops for hooks (`hook` → `hook-done`); throwing aborts the launch. */
export type HookRequest = (phase: string, pid: number) => void;

/** Called with the launcher's pid before it gets the plan (the systemd driver puts it into the
 * container's scope then, and the init is born there); throwing aborts the launch. */
export type SpawnedHook = (launcherPid: number) => void;

/** With plan.cgroup.afterPlan: makes the cgroups once the plan is sent, while the launcher starts
 * (it waits for cgroups-ready before placing the init); throwing aborts the launch. */
export type CgroupsHook = () => void;

export function launch(plan: LaunchPlan, log: Logger, onHook?: HookRequest, onSpawned?: SpawnedHook, makeCgroups?: CgroupsHook): Launched {
  const native = addon();
  // stdio and the preserved fds become the container's; Node has marked its stdio close-on-exec.
  const inherit: number[] = [];
  for (let i = 0; i < 3 + plan.preserveFds; i++) inherit.push(i); // a loop: src/text.ts says why
  const { pid: launcherPid, fd } = native.spawnLauncher(launcherPath(), inherit);
  const sock = new LineSocket(fd);
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    files.close(fd);
    native.waitPid(launcherPid);
  };

  const fail = (e: Error): never => {
    finish();
    throw e;
  };
  /** Reads up to the next message of type `want`, handling logs and hook requests on the way.
   * No default case: a message added to the contract's LauncherToCli and not handled here fails
   * the type check. */
  const next = <T extends 'created' | 'done'>(want: T): Extract<LauncherToCliMessage, { type: T }> => {
    for (;;) {
      const msg = sock.receive();
      if (!msg) return fail(new TsruncError('the launcher exited without a report'));
      switch (msg.type) {
        case 'log':
          // The launcher's steps, each placed by when it was said: the gaps between them are
          // where create's time goes (`--debug`).
          if (msg.level === 'info') log.info(String(msg.msg)); else log.debugFields(`launcher: ${String(msg.msg)}`, { at_ms: Timings.sinceStart(msg.usec) });
          continue;
        case 'hook':
          if (!onHook) return fail(new TsruncError('launcher protocol: a hook request, and no hooks to run'));
          try {
            onHook(String(msg.phase), Number(msg.pid));
          } catch (e) {
            return fail(e as Error);
          }
          sock.send({ type: 'hook-done' });
          continue;
        case 'error':
          return fail(new LaunchError(nativeFailure(msg)));
        case 'created':
        case 'done':
          if (msg.type !== want) break;
          return msg as Extract<LauncherToCliMessage, { type: T }>;
        default:
          return unexpected(msg);
      }
      return fail(new TsruncError(`launcher protocol: expected "${want}", got "${msg.type}"`));
    }
  };
  const unexpected = (msg: never): never => fail(new TsruncError(`launcher protocol: unexpected message ${JSON.stringify((msg as { type?: unknown }).type)}`));

  try {
    onSpawned?.(launcherPid);
    sock.send(plan);
    if (plan.cgroup?.afterPlan) {
      // The launcher would place the init in directories nobody made.
      if (!makeCgroups) return fail(new TsruncError('launch plan: cgroup.afterPlan, and no cgroups to make'));
      makeCgroups();
      try {
        sock.send({ type: 'cgroups-ready' });
      } catch (e) {
        // The launcher stopped before it waited (its report of why is read next).
        if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
      }
    }
    const created = next('created');
    return {
      initPid: Number(created.pid),
      commit() {
        sock.send({ type: 'commit' });
        next('done');
        finish();
      },
      abort() {
        // Closing our end makes the launcher kill the init and exit.
        finish();
      },
    };
  } catch (e) {
    finish();
    throw e;
  }
}

/** What the launcher's libseccomp knows (tsrunc-launcher --features). */

function nativeFailure(msg: ErrorMessage): NativeFailure {
  return { op: msg.op ?? '', path: msg.path, errno: msg.errno, error: msg.error, step: msg.step, message: msg.message };
}

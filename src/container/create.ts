// create: config -> plan -> launcher -> a waiting init, recorded in state.json. On any failure the
// launcher has already killed what it started; here the state directory is removed, so a failed
// create leaves nothing behind.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cgroupsForNewContainer, type CgroupManager } from '../cgroups/manager';
import { loadBundleConfig } from '../config/load';
import { hasHooks, hookState, runHooks, runPoststopHooks } from '../hooks/run';
import type { Hook, Spec } from '../config/types';
import { unimplementedParts } from '../config/unimplemented';
import type { CommandContext } from '../context';
import { SPEC_VERSION } from '../context';
import { TsruncError } from '../errors';
import { addon } from '../native/addon';
import { detachHostMounts } from './host-mounts';
import { ForegroundTerminal } from './foreground-terminal';
import { launch, LaunchError } from '../native/launcher';
import { refuseIntelRdt } from '../linux/intel-rdt';
import { namespaceKind } from '../linux/namespaces';
import { PidfdSocket } from './pidfd-socket';
import { buildLaunchPlan, planConsole, resolveRootfs } from '../plan/build';
import type { LaunchPlan } from '../plan/types';
import { readProcStat } from '../state/status';
import {
  checkPidFileDir, createContainerDir, EXEC_FIFO, removeContainerDir, validateId, writeCgroupIntent, writeConfigCopy, writePidFile, writeState, type ContainerState,
} from '../state/store';

export interface CreateOptions {
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  /** --pidfd-socket: sent a pidfd of the init before create returns. */
  pidfdSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  /** For a foreground `run`: where the console goes when the config asks for a terminal and no
   * --console-socket was given (tsrunc's own listener); called only then. */
  ownConsole?: () => string;
}

function ownerName(): string {
  try { return os.userInfo().username; } catch { return String(process.getuid?.() ?? ''); }
}

/** state.json for an init that is set up and waiting. */
function recordedState(
  spec: Spec, plan: LaunchPlan, pid: number,
  where: { id: string; bundle: string; rootfs: string; noPivot: boolean; cgroups?: CgroupManager },
): ContainerState {
  const stat = readProcStat(pid);
  if (!stat) throw new TsruncError(`container init ${pid} vanished during create`);
  const namespacePaths: Record<string, string> = {};
  for (const ns of plan.namespaces) {
    namespacePaths[ns.type] = ns.path ?? `/proc/${pid}/ns/${namespaceKind(ns.type)?.procName ?? ns.type}`;
  }
  return {
    ociVersion: SPEC_VERSION,
    id: where.id,
    status: 'created',
    pid,
    bundle: where.bundle,
    rootfs: where.rootfs,
    created: new Date().toISOString(),
    owner: ownerName(),
    ...(spec.annotations && Object.keys(spec.annotations).length ? { annotations: spec.annotations } : {}),
    tsrunc: {
      format: 1,
      initStartTime: stat.startTime,
      namespacePaths,
      ...(where.cgroups ? { cgroup: where.cgroups.record } : {}),
      noPivot: where.noPivot,
      ...(plan.noNewKeyring ? { noNewKeyring: true } : {}),
      configOciVersion: spec.ociVersion,
    },
  };
}

export function createContainer(opts: CreateOptions, ctx: CommandContext): ContainerState {
  const id = validateId(opts.id);
  // Known before the container exists, rather than from undoing it.
  if (opts.pidFile) checkPidFileDir(opts.pidFile);
  const bundle = path.resolve(opts.bundle ?? process.cwd());
  const { spec, warnings } = loadBundleConfig(bundle, { forCreate: true, systemdCgroup: ctx.opts.systemdCgroup });
  for (const w of warnings) ctx.log.warn(w);
  refuseIntelRdt(spec);
  // Accepted but not enforced yet: said out loud, never silently dropped.
  for (const w of unimplementedParts(spec)) ctx.log.warn(w);
  let consoleSocket = opts.consoleSocket;
  if (spec.process?.terminal && !consoleSocket) {
    if (!opts.ownConsole) throw new TsruncError('cannot allocate tty if tsrunc will detach without setting console socket');
    consoleSocket = opts.ownConsole();
  }
  if (!spec.process?.terminal && consoleSocket) throw new TsruncError('cannot use console socket if tsrunc will not detach or allocate tty');
  const rootfs = resolveRootfs(spec, bundle);
  const listenFds = Number.parseInt(process.env.LISTEN_FDS ?? '', 10);
  const cgroups = cgroupsForNewContainer(spec, { id, systemdCgroup: ctx.opts.systemdCgroup });
  // Last of the checks: a connection is something the listener sees, made only once the rest passed.
  const pidfdSocket = opts.pidfdSocket ? PidfdSocket.connect(opts.pidfdSocket) : undefined;

  let lock;
  try {
    lock = createContainerDir(ctx.opts.root, id);
  } catch (e) {
    pidfdSocket?.close();
    throw e;
  }
  let committed = false;
  let cgroupsMade = false;
  let hookFailed = false;
  let launchStarted = false;
  try {
    const execFifo = path.join(lock.dir, EXEC_FIFO);
    addon().mkfifo(execFifo, 0o622);
    writeConfigCopy(lock.dir, spec);
    const plan = buildLaunchPlan(spec, rootfs, {
      id, bundle, execFifo,
      noPivot: opts.noPivot, noNewKeyring: opts.noNewKeyring,
      preserveFds: opts.preserveFds, debug: ctx.opts.debug, stateRoot: path.resolve(ctx.opts.root),
      listenFds: Number.isFinite(listenFds) && listenFds > 0 ? listenFds : 0,
      warn: (msg) => ctx.log.warn(msg),
    });
    // tsrunc's own terminal relay: the container starts at the caller's size unless the config says.
    const relay = consoleSocket && consoleSocket !== opts.consoleSocket ? { callerSize: ForegroundTerminal.callerSize() } : undefined;
    const consolePlan = planConsole(spec.process, consoleSocket ? path.resolve(consoleSocket) : undefined, relay);
    if (consolePlan) plan.console = consolePlan;
    if (cgroups) {
      // Recorded before anything exists, so a delete after a crash here still finds them.
      writeCgroupIntent(lock.dir, cgroups.record);
      cgroupsMade = true;
      cgroups.create(spec.linux?.resources, spec.linux?.devices);
      plan.cgroup = cgroups.placement();
    }
    ctx.log.debug(`launch plan: ${JSON.stringify(plan)}`);

    if (hasHooks(spec, 'prestart', 'createRuntime')) plan.hooksBeforePivot = true;
    if (hasHooks(spec, 'createContainer', 'startContainer')) {
      const planHooks = (list: Hook[] | undefined) => (list ?? []).map((h) => ({ path: h.path, args: h.args?.length ? h.args : [h.path], env: h.env ?? [], timeout: h.timeout ?? 0 }));
      plan.containerHooks = {
        createContainer: planHooks(spec.hooks?.createContainer),
        startContainer: planHooks(spec.hooks?.startContainer),
        state: { ...hookState({ ociVersion: SPEC_VERSION, id, bundle, annotations: spec.annotations }, 'creating') },
      };
    }
    launchStarted = true;
    const launched = launch(plan, ctx.log, (_phase, pid) => {
      // The environment exists, pivot_root has not happened; both phases run in the runtime's
      // namespaces, prestart first (runtime-spec 1.3 config.md; 1.0.2 had prestart in `start`).
      const state = hookState({ ociVersion: SPEC_VERSION, id, bundle, annotations: spec.annotations }, 'creating', pid);
      try {
        runHooks(spec, 'prestart', state, ctx.log);
        runHooks(spec, 'createRuntime', state, ctx.log);
      } catch (e) {
        hookFailed = true;
        throw e;
      }
    });
    let pidFileWritten = false;
    try {
      // Before commit (and, as runc, before the pid file): until then the init is the launcher's
      // unreaped child, so the number still names it.
      pidfdSocket?.send(launched.initPid, 'standard');
      const state = recordedState(spec, plan, launched.initPid, { id, bundle, rootfs, noPivot: opts.noPivot, cgroups });
      writeState(lock.dir, state);
      if (opts.pidFile) { writePidFile(opts.pidFile, launched.initPid); pidFileWritten = true; }
      launched.commit();
      committed = true;
      return state;
    } finally {
      if (!committed) {
        launched.abort();
        if (pidFileWritten) fs.rmSync(path.resolve(opts.pidFile as string), { force: true });
      }
    }
  } catch (e) {
    // A failed createContainer hook, like the others, stops the container: poststop runs.
    if (e instanceof LaunchError && e.failure.step?.endsWith(' hooks')) hookFailed = true;
    if (e instanceof LaunchError) throw new TsruncError(`unable to start container process: ${e.message}`);
    throw e;
  } finally {
    if (!committed) {
      // The launcher has killed and reaped the init by now, so the cgroups are empty.
      if (cgroupsMade && cgroups) {
        try { for (const note of cgroups.destroy(false)) ctx.log.warn(note); } catch (e) { ctx.log.warn(`removing the cgroups of ${id}: ${(e as Error).message}`); }
      }
      // Without a mount namespace the init's mounts are in the runtime's table and outlive it.
      if (launchStarted && !spec.linux?.namespaces?.some((n) => n.type === 'mount')) detachHostMounts(rootfs, ctx.log);
      // A failed hook stops the container and the lifecycle goes on at delete: poststop runs.
      if (hookFailed) runPoststopHooks(spec, hookState({ ociVersion: SPEC_VERSION, id, bundle, annotations: spec.annotations }, 'stopped'), ctx.log);
      removeContainerDir(lock.dir);
    }
    pidfdSocket?.close();
    lock.release();
  }
}

// create: config -> plan -> launcher -> a waiting init, recorded in state.json. On any failure the
// launcher has already killed what it started; the steps done here are undone from an undo stack
// (undo.ts), so a failed create leaves nothing behind, and a crashed one nothing `delete --force`
// does not remove.
import * as files from '../sys/files';
import { path } from '../sys/path';
import { launcherWritesProcs, warmUpCgroupAttach } from '../cgroups/attach-warmup';
import { thisCgroupHost } from '../cgroups/host';
import { cgroupsForNewContainer, type CgroupManager } from '../cgroups/manager';
import { loadBundleConfig } from '../config/load';
import { hookState, runHooks, runPoststopHooks } from '../hooks/run';
import type { Spec } from '../config/types';
import { unimplementedParts } from '../config/unimplemented';
import type { CommandContext } from '../context';
import { SPEC_VERSION } from '../context';
import { TsruncError } from '../errors';
import { addon } from '../native/addon';
import { detachHostMounts } from './host-mounts';
import { launch, LaunchError } from '../native/launcher';
import { refuseIntelRdt } from '../linux/intel-rdt';
import { namespaceKind } from '../linux/namespaces';
import { PidfdSocket } from './pidfd-socket';
import { buildLaunchPlan, resolveRootfs } from '../plan/build';
import type { LaunchPlan } from '../plan/types';
import { readProcStat } from '../state/status';
import { ownerNamer } from '../linux/users';
import { Timings } from '../timings';
import {
  checkPidFilePath, createContainerDir, EXEC_FIFO, removeContainerDir, validateId, writeCgroupIntent, writeConfigCopy, writeHostMountsIntent, writePidFile, writeState,
  type ContainerState,
} from '../state/store';
import { chooseConsole, foregroundTerminal, listenFds } from './process-io';
import { crashPoint, UndoStack } from './undo';
import { runningRootless } from '../linux/rootless';
import { rootlessCgroups } from './rootless-cgroups';
import { anyOf } from '../text';

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
  return ownerNamer()(process.getuid?.() ?? 0);
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
  const timings = new Timings(ctx.log, 'create');
  timings.phase('start-up');
  const id = validateId(opts.id);
  // Known before the container exists, rather than from undoing it.
  if (opts.pidFile) checkPidFilePath(opts.pidFile);
  const bundle = path.resolve(opts.bundle ?? process.cwd());
  const { spec, warnings } = loadBundleConfig(bundle, { forCreate: true, systemdCgroup: ctx.opts.systemdCgroup });
  for (const w of warnings) ctx.log.warn(w);
  timings.phase('config');
  refuseIntelRdt(spec);
  // Accepted but not enforced yet: said out loud, never silently dropped.
  for (const w of unimplementedParts(spec)) ctx.log.warn(w);
  const consoleTo = chooseConsole(spec.process?.terminal === true, opts.consoleSocket, opts.ownConsole);
  const rootfs = resolveRootfs(spec, bundle);
  const rootless = runningRootless(ctx.opts.rootless);
  const cgroupHost = thisCgroupHost();
  const cgroups = rootlessCgroups(cgroupsForNewContainer(spec, { id, systemdCgroup: ctx.opts.systemdCgroup, host: cgroupHost }), spec, rootless, (m) => ctx.log.debug(m));
  // Last of the checks: a connection is something the listener sees, made only once the rest passed.
  const pidfdSocket = opts.pidfdSocket ? PidfdSocket.connect(opts.pidfdSocket) : undefined;
  const forHooks = { ociVersion: SPEC_VERSION, id, bundle, annotations: spec.annotations };
  timings.phase('checks');

  let lock;
  try {
    lock = createContainerDir(ctx.opts.root, id);
  } catch (e) {
    pidfdSocket?.close();
    throw e;
  }
  const dir = lock.dir;
  const undo = new UndoStack(ctx.log);
  let hookFailed = false;
  try {
    undo.push('the state directory', () => removeContainerDir(dir));
    // A failed hook (any of them) stops the container, and the lifecycle goes on as at delete:
    // poststop runs once the rest is undone.
    undo.push('poststop hooks after a failed hook', () => {
      if (hookFailed) runPoststopHooks(spec, hookState(forHooks, 'stopped'), ctx.log);
    });
    const execFifo = path.join(dir, EXEC_FIFO);
    addon().mkfifo(execFifo, 0o622);
    writeConfigCopy(dir, spec);
    timings.phase('state directory');
    const plan = buildLaunchPlan(spec, rootfs, {
      id, bundle, execFifo,
      noPivot: opts.noPivot, noNewKeyring: opts.noNewKeyring,
      preserveFds: opts.preserveFds, debug: ctx.opts.debug, stateRoot: path.resolve(ctx.opts.root),
      listenFds: listenFds(),
      warn: (msg) => ctx.log.warn(msg),
      consoleSocket: consoleTo?.socketPath,
      // tsrunc's own terminal relay: the container starts at the caller's size unless the config says.
      consoleRelay: consoleTo?.ownRelay ? { callerSize: foregroundTerminal().callerSize() } : undefined,
      // Made after the plan is sent, while the launcher starts (systemd's once it exists, below).
      cgroup: cgroups ? { ...cgroups.placement(), ...(cgroups.createsWithPid ? {} : { afterPlan: true }) } : undefined,
      hookState: { ...hookState(forHooks, 'creating') },
      rootless,
    });
    timings.phase('plan');
    ctx.log.debug(`launch plan: ${JSON.stringify(plan)}`);
    // Recorded before anything exists, so a delete after a crash still finds them.
    if (cgroups) writeCgroupIntent(dir, cgroups.record);
    // The cgroups are made once the launcher has the plan (it waits for them before placing the
    // init), so that its start and their mkdirs run side by side; and after the plan, because the
    // warm-up the CLI began holds the cgroup mutex that mkdir needs while its grace period lasts.
    // A failing create() removes what it made itself. systemd makes a scope only around a
    // process: that driver's create() runs once the launcher exists (launch's onSpawned, below).
    const makeCgroups = (): void => {
      if (!cgroups || cgroups.createsWithPid) return;
      timings.phase('launcher spawn');
      cgroups.create(spec.linux?.resources, spec.linux?.devices);
      // The launcher has killed and reaped the init by the time this runs: the cgroups are empty.
      undo.push('the cgroups', () => { for (const note of cgroups.destroy(false)) ctx.log.warn(note); });
      timings.phase('cgroups');
      // Warmed again once the directories exist: a write while the first one's grace period still
      // counts keeps it counting until the launcher's writes.
      const userns = anyOf(spec.linux?.namespaces ?? [], (n) => n.type === 'user');
      if (launcherWritesProcs(cgroups.placement(), userns)) warmUpCgroupAttach(cgroupHost);
    };
    if (!anyOf(spec.linux?.namespaces ?? [], (n) => n.type === 'mount')) {
      // Without a mount namespace the init's mounts are in the runtime's table and outlive it.
      writeHostMountsIntent(dir, rootfs);
      undo.push('the mounts in the runtime\'s table', () => detachHostMounts(rootfs, ctx.log));
    }
    const launched = launch(plan, ctx.log, (_phase, pid) => {
      // The environment exists, pivot_root has not happened; both phases run in the runtime's
      // namespaces, prestart first (runtime-spec 1.3 config.md; 1.0.2 had prestart in `start`).
      const state = hookState(forHooks, 'creating', pid);
      timings.phase('launcher until the hooks');
      try {
        runHooks(spec, 'prestart', state, ctx.log);
        runHooks(spec, 'createRuntime', state, ctx.log);
      } catch (e) {
        hookFailed = true;
        throw e;
      }
      timings.phase('prestart and createRuntime hooks');
    }, cgroups?.createsWithPid ? (launcherPid) => {
      timings.phase('launcher spawn');
      cgroups.create(spec.linux?.resources, spec.linux?.devices, launcherPid);
      timings.phase('cgroups (systemd)');
    } : undefined, makeCgroups);
    timings.phase('launcher until the init is ready');
    // Closing the launcher's socket makes it kill the init and exit (so does a crash of tsrunc).
    undo.push('the launcher', () => launched.abort());
    cgroups?.afterInit?.();
    // Before commit (and, as runc, before the pid file): until then the init is the launcher's
    // unreaped child, so the number still names it.
    pidfdSocket?.send(launched.initPid, 'standard');
    const state = recordedState(spec, plan, launched.initPid, { id, bundle, rootfs, noPivot: opts.noPivot, cgroups });
    writeState(dir, state);
    crashPoint('state.json');
    if (opts.pidFile) {
      const pidFile = path.resolve(opts.pidFile);
      writePidFile(pidFile, launched.initPid);
      undo.push('the pid file', () => files.remove(pidFile));
    }
    timings.phase('state');
    launched.commit();
    timings.phase('commit');
    undo.discard();
    return state;
  } catch (e) {
    // A failed createContainer hook, like the others, stops the container: poststop runs.
    if (e instanceof LaunchError && e.failure.step?.endsWith(' hooks')) hookFailed = true;
    undo.unwind();
    if (e instanceof LaunchError) throw new TsruncError(`unable to start container process: ${e.message}`);
    throw e;
  } finally {
    pidfdSocket?.close();
    lock.release();
  }
}

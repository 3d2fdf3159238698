// exec: another process in a created or running container. Its description comes from a whole
// OCI process file (--process, what containerd and podman send) or from the container's own
// process with the command and flags laid over it, as runc builds it. The launcher joins the
// init's namespaces and cgroup and applies the same limits; without --detach, tsrunc waits for the
// process as its subreaper and exits with its status.
import { path } from '../sys/path';
import { cgroupRecord } from './cgroup-record';
import { openCgroups } from '../cgroups/manager';
import { jsonSyntaxText } from '../config/json-error';
import type { Process, Spec } from '../config/types';
import { JsonDepthError, parseBoundedJson } from '../config/json-depth';
import { validateSpec } from '../config/validate';
import type { CommandContext } from '../context';
import { errnoText, TsruncError } from '../errors';
import { launch, LaunchError } from '../native/launcher';
import { buildExecPlan } from '../plan/exec';
import { requireLsmSupport } from '../plan/lsm';
import { detectLsm } from '../linux/lsm';
import { checkPidFilePath, readConfigCopy, writePidFile } from '../state/store';
import { openContainer, type OpenContainer } from './lookup';
import { becomeSubreaper, SignalForwarder, waitForeground } from './foreground';
import type { ForegroundTerminal } from './foreground-terminal';
import { Timings } from '../timings';
import { PidfdSocket } from './pidfd-socket';
import { chooseConsole, foregroundTerminal } from './process-io';
import { readText } from '../sys/files';
import { keepSigpipeHarmless } from './signals';

export interface ExecOptions {
  id: string;
  /** The command and its arguments (after the container id). */
  command: string[];
  processFile?: string;
  tty: boolean;
  consoleSocket?: string;
  /** --pidfd-socket: sent a pidfd of the new process before exec returns. */
  pidfdSocket?: string;
  detach: boolean;
  pidFile?: string;
  cwd?: string;
  env: string[];
  user?: string;
  additionalGids: string[];
  cap: string[];
  noNewPrivs: boolean;
  apparmor?: string;
  processLabel?: string;
  preserveFds: number;
  cgroup: string[];
  ignorePaused: boolean;
}

function readProcessFile(file: string): Process {
  let text: string;
  try {
    text = readText(file);
  } catch (e) {
    throw new TsruncError(`open ${file}: ${errnoText(e)}`);
  }
  try {
    return parseBoundedJson(text) as Process;
  } catch (e) {
    throw new TsruncError(`${file}: not valid JSON: ${e instanceof JsonDepthError ? e.message : jsonSyntaxText(text)}`);
  }
}

/** runc's exec without --process: the container's process with the command and flags laid over it. */
function processFromFlags(base: Process | undefined, o: ExecOptions): Process {
  if (o.command.length === 0) throw new TsruncError('exec args cannot be empty');
  if (!base) throw new TsruncError('the container\'s config has no process to base this one on: give a whole process with --process');
  const p: Process = structuredClone(base);
  p.args = [...o.command];
  if (o.cwd) p.cwd = o.cwd;
  if (o.apparmor) p.apparmorProfile = o.apparmor;
  if (o.processLabel) p.selinuxLabel = o.processLabel;
  if (o.cap.length > 0) {
    const caps = p.capabilities ?? {};
    caps.bounding = [...(caps.bounding ?? []), ...o.cap];
    caps.effective = [...(caps.effective ?? []), ...o.cap];
    caps.permitted = [...(caps.permitted ?? []), ...o.cap];
    // Ambient ones cannot be raised without inheritable ones; as runc, only when some are set.
    if (caps.inheritable) caps.ambient = [...(caps.ambient ?? []), ...o.cap];
    p.capabilities = caps;
  }
  p.env = [...(p.env ?? []), ...o.env];
  p.terminal = o.tty;
  if (o.noNewPrivs) p.noNewPrivileges = true;
  if (o.user) {
    const [uid, gid] = o.user.split(':', 2);
    if (!/^\d+$/.test(uid)) throw new TsruncError(`bad uid: strconv.Atoi: parsing "${uid}": invalid syntax`);
    p.user = { ...p.user, uid: Number(uid) };
    if (gid !== undefined) {
      if (!/^\d+$/.test(gid)) throw new TsruncError(`bad gid: strconv.Atoi: parsing "${gid}": invalid syntax`);
      p.user.gid = Number(gid);
    }
  }
  for (const g of o.additionalGids) {
    if (!/^-?\d+$/.test(g)) throw new TsruncError(`invalid value "${g}" for flag -additional-gids: parse error`);
    if (Number(g) < 0) throw new TsruncError(`additional-gids must be a positive number ${g}`);
    p.user = { ...p.user, additionalGids: [...(p.user.additionalGids ?? []), Number(g)] };
  }
  return p;
}

/** --cgroup: PATH (cgroup v2) or CONTROLLER[,CONTROLLER]:PATH (v1), as runc parses them. */
export function parseSubCgroups(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const colon = a.indexOf(':');
    if (colon < 0) {
      if (args.length !== 1) throw new TsruncError(`invalid --cgroup argument: ${a} (missing <controller>: prefix)`);
      out[''] = a;
      continue;
    }
    for (const ctrl of a.slice(0, colon).split(',')) {
      if (!ctrl) throw new TsruncError(`invalid --cgroup argument: ${a} (empty <controller> prefix)`);
      if (ctrl in out) throw new TsruncError(`invalid --cgroup argument(s): controller ${ctrl} specified multiple times`);
      out[ctrl] = a.slice(colon + 1);
    }
  }
  return out;
}

function checkStatus(c: OpenContainer, ignorePaused: boolean): void {
  if (c.status === 'stopped') throw new TsruncError('cannot exec in a stopped container');
  if (c.status === 'paused' && !ignorePaused) throw new TsruncError('cannot exec in a paused container (use --ignore-paused to override)');
}

export async function execInContainer(o: ExecOptions, ctx: CommandContext): Promise<number> {
  const timings = new Timings(ctx.log, 'exec');
  timings.phase('start-up');
  const c = openContainer(ctx.opts.root, o.id);
  if (o.pidFile) {
    try { checkPidFilePath(o.pidFile); } catch (e) { c.lock.release(); throw e; }
  }
  let pid: number | undefined;
  let terminal: ForegroundTerminal | undefined;
  let pidfdSocket: PidfdSocket | undefined;
  const forwarder = new SignalForwarder();
  const stopForwarding = () => forwarder.stop();
  keepSigpipeHarmless();
  if (!o.detach) forwarder.start();
  try {
    checkStatus(c, o.ignorePaused);
    const stored = readConfigCopy(c.lock.dir) as Spec | undefined;
    if (!stored) throw new TsruncError(`container ${o.id} was created by a tsrunc without exec support: its config copy is missing`);
    // A process file is taken whole, its own "terminal" included: --tty only shapes the process
    // built from flags (runc ignores it with --process too).
    const process = o.processFile ? readProcessFile(o.processFile) : processFromFlags(stored.process, o);
    const { problems, warnings } = validateSpec({ ...stored, process }, { requireProcess: true });
    // What is said about this process names where it came from; the rest of the config was
    // checked at create.
    const where = o.processFile ?? 'the exec process';
    const fromConfig = 'config.json: /process';
    const aboutProcess = (lines: string[]): string[] => lines.filter((l) => l.includes('/process'))
      .map((l) => (l.startsWith(fromConfig) ? `${where}: ${l.slice(fromConfig.length)}` : l));
    for (const w of aboutProcess(warnings)) ctx.log.warn(w);
    if (problems.length > 0) throw new TsruncError(aboutProcess(problems).join('\n') || problems.join('\n'));
    // A label the host cannot apply is refused before anything runs, as at create.
    if (process.apparmorProfile || process.selinuxLabel) requireLsmSupport({ ...stored, process }, detectLsm());
    timings.phase('process and checks');
    const consoleTo = chooseConsole(process.terminal === true, o.consoleSocket, o.detach ? undefined : () => (terminal = foregroundTerminal().listen()).socketPath);

    const cgroups = openCgroups(cgroupRecord(c.state.tsrunc.cgroup));
    const sub = parseSubCgroups(o.cgroup);
    if (!cgroups && Object.keys(sub).length > 0) throw new TsruncError('--cgroup: the container has no cgroup');
    // After every check, before the process exists (a connection is something the listener sees).
    if (o.pidfdSocket) pidfdSocket = PidfdSocket.connect(o.pidfdSocket);
    const plan = buildExecPlan(stored, c.state, process, {
      preserveFds: o.preserveFds,
      debug: ctx.opts.debug,
      stateRoot: path.resolve(ctx.opts.root),
      consoleSocket: consoleTo?.socketPath,
      consoleRelay: consoleTo?.ownRelay ? { callerSize: foregroundTerminal().callerSize() } : undefined,
      cgroup: cgroups?.placement(sub),
      warn: (m) => ctx.log.warn(m),
    });
    timings.phase('plan');
    ctx.log.debug(`exec plan: ${JSON.stringify(plan)}`);
    if (!o.detach) becomeSubreaper();
    // In a paused container (--ignore-paused) the process freezes as it joins the cgroup, so the
    // launch returns only after `resume`, which needs the lock meanwhile.
    if (c.status === 'paused') c.lock.release();
    let launched;
    try {
      launched = launch(plan, ctx.log);
    } catch (e) {
      if (e instanceof LaunchError) throw new TsruncError(`unable to start container process: ${e.message}`);
      throw e;
    }
    pid = launched.initPid;
    timings.phase('launcher until the process is ready');
    try {
      // Before commit (and, as runc, before the pid file): until then the process is the
      // launcher's unreaped child, so the number still names it.
      pidfdSocket?.send(pid, 'setns');
      if (o.pidFile) writePidFile(o.pidFile, pid);
      launched.commit();
      timings.phase('commit');
    } catch (e) {
      launched.abort();
      throw e;
    }
  } catch (e) {
    stopForwarding();
    terminal?.close();
    throw e;
  } finally {
    pidfdSocket?.close();
    c.lock.release();
  }
  if (o.detach) return 0;

  const execPid = pid as number;
  forwarder.deliverTo((signal) => globalThis.process.kill(execPid, signal));
  try {
    return await waitForeground(execPid, terminal);
  } finally {
    stopForwarding();
    terminal?.close();
  }
}

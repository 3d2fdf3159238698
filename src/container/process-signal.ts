// Signalling the init through a pidfd, so a signal can never reach a process that reused its PID.
import { TsruncError } from '../errors';
import { addon, POLLIN } from '../native/addon';
import { initAlive } from '../state/status';
import type { ContainerState } from '../state/store';
import { close, readdirNames, readlink } from '../sys/files';

export function openInit(state: ContainerState): number | undefined {
  let fd: number;
  try {
    fd = addon().pidfdOpen(state.pid);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw e;
  }
  // The pidfd is taken first, then the start time checked: if it still matches, the fd is ours.
  if (!initAlive(state)) { close(fd); return undefined; }
  return fd;
}

export function signalInit(state: ContainerState, signal: number): void {
  const fd = openInit(state);
  if (fd === undefined) throw new TsruncError('container not running');
  try {
    addon().pidfdSendSignal(fd, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new TsruncError('no such process');
    throw e;
  } finally {
    close(fd);
  }
}

/** The container made a pid namespace of its own (rather than sharing or joining one). */
export const hasOwnPidNamespace = (state: ContainerState): boolean => state.tsrunc.namespacePaths.pid === `/proc/${state.pid}/ns/pid`;

/** Processes in the container: the init and everything in its pid namespace (when it has one). */
export function pidNamespaceMembers(state: ContainerState): number[] {
  if (!hasOwnPidNamespace(state)) return [state.pid];
  let nsLink: string;
  try { nsLink = readlink(`/proc/${state.pid}/ns/pid`); } catch { return []; }
  const pids: number[] = [];
  for (const entry of readdirNames('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlink(`/proc/${entry}/ns/pid`) === nsLink) pids.push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

/** SIGKILLs the init (taking its pid namespace with it) and waits until it is gone. */
export function killAndWait(state: ContainerState, afterSignal?: () => void, timeoutMs = 10_000): void {
  const fd = openInit(state);
  if (fd === undefined) return;
  try {
    try { addon().pidfdSendSignal(fd, 9); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e; }
    afterSignal?.();
    const revents = addon().poll([fd], timeoutMs);
    if (!(revents[0] & POLLIN)) throw new TsruncError(`container init ${state.pid} did not exit within ${timeoutMs} ms of SIGKILL`);
  } finally {
    close(fd);
  }
}

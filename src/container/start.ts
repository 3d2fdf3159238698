// start: open exec.fifo for reading, which releases the waiting init. The init execs the process
// (closing its end of the fifo with nothing written) or writes why it could not.
import { path } from '../sys/path';
import { describeNativeFailure, TsruncError, type NativeFailure } from '../errors';
import { addon, POLLHUP, POLLIN } from '../native/addon';
import type { Spec } from '../config/types';
import type { Logger } from '../log';
import { EXEC_FIFO, readConfigCopyNaming, writeState } from '../state/store';
import { close, open, readChunk, remove } from '../sys/files';
import type { OpenContainer } from './lookup';
import { Timings } from '../timings';
import { openInit } from './process-signal';

/**
 * A failing startContainer or poststart hook fails `start`, stops the container and
 * continues the lifecycle at delete (runtime-spec 1.3 runtime.md): the container is destroyed,
 * poststop hooks run, and nothing is left. Returns the error to throw.
 */
async function failedByHook(c: OpenContainer, log: Logger, e: unknown): Promise<unknown> {
  try {
    const { destroyContainer } = await import('./destroy');
    destroyContainer({ ...c, status: 'running' }, true, log);
  } catch (cleanup) {
    log.warn(`deleting ${c.state.id} after its hook failed: ${(cleanup as Error).message}`);
  }
  return e;
}

// The hook runner and the destroy path (the cgroup drivers) load only when a container has such
// hooks or one failed: `start` is one of the commands engines call for every container.
async function runPoststartHooks(spec: Spec, c: OpenContainer, log: Logger): Promise<void> {
  if (!spec.hooks?.poststart?.length) return;
  const { runHooks, hookState } = await import('../hooks/run');
  try {
    runHooks(spec, 'poststart', hookState(c.state, 'running', c.state.pid), log);
  } catch (e) {
    throw await failedByHook(c, log, e);
  }
}

export async function startContainer(c: OpenContainer, log: Logger): Promise<void> {
  if (c.status === 'stopped') throw new TsruncError('cannot start a container that has stopped');
  if (c.status !== 'created') throw new TsruncError('cannot start an already running container');
  const timings = new Timings(log, 'start');
  timings.phase('open the container');


  const fifoPath = path.join(c.lock.dir, EXEC_FIFO);
  // The pidfd is taken before the fifo is opened: opening it releases the init, and a short-lived
  // process may be gone a moment later.
  const initFd = openInit(c.state);
  if (initFd === undefined) throw new TsruncError('cannot start a container that has stopped');
  let fifo = -1;
  let report = '';
  try {
    fifo = open(fifoPath, 'r-nonblocking');
    for (;;) {
      const [fifoEvents, initEvents] = addon().poll([fifo, initFd], -1);
      if (fifoEvents & POLLIN) {
        let chunk: string;
        try { chunk = readChunk(fifo, 4096); } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
          throw e;
        }
        if (chunk) { report += chunk; continue; }
        break;
      }
      if (fifoEvents & POLLHUP) break;
      if (initEvents & POLLIN) throw new TsruncError('container init exited before it could be started');
    }
  } finally {
    if (fifo >= 0) close(fifo);
    close(initFd);
  }
  timings.phase('release the init');
  remove(fifoPath);
  writeState(c.lock.dir, { ...c.state, status: 'running' });
  timings.phase('state');
  if (report.trim()) {
    let text = report.trim();
    let byHook = false;
    try {
      const failure = JSON.parse(text.split('\n')[0]) as NativeFailure;
      byHook = failure.step?.endsWith(' hooks') ?? false;
      text = describeNativeFailure(failure);
    } catch { /* keep raw text */ }
    if (byHook) throw await failedByHook(c, log, new TsruncError(text));
    throw new TsruncError(text);
  }
  // poststart: after the process has started, before start returns (runc 1.1 runs them at create).
  // A failure fails start and stops the container (runtime-spec 1.3); poststop runs at delete.
  const spec = readConfigCopyNaming(c.lock.dir, 'poststart') as Spec | undefined;
  if (spec) await runPoststartHooks(spec, c, log);
  timings.phase('poststart hooks');
}

// Waiting for a freezer to settle. Freezing is asynchronous on both kinds of host: v1 reports
// FREEZING until every task has stopped (and can stay there while a task is in an uninterruptible
// sleep, so the request is written again), v2 reports `frozen 1` in cgroup.events when done.
import { TsruncError } from '../errors';
import { sleepMs } from './files';

export interface FreezerFiles {
  /** Asks for the state again (v1 needs the write repeated to make progress). */
  request(frozen: boolean): void;
  /** True once the cgroup has reached the requested state. */
  settled(frozen: boolean): boolean;
}

export function waitForFreezer(dir: string, f: FreezerFiles, frozen: boolean, timeoutMs = 10_000): void {
  f.request(frozen);
  const deadline = Date.now() + timeoutMs;
  // A container of a few processes settles within tens of microseconds: the first waits are
  // that short (a first wait of 1 ms made `pause` a millisecond slower than runc's busy poll).
  for (let i = 0, delay = 0.05; !f.settled(frozen); i++, delay = Math.min(delay * 2, 20)) {
    if (Date.now() > deadline) {
      if (frozen) f.request(false);
      throw new TsruncError(`cgroup ${dir} did not become ${frozen ? 'frozen' : 'thawed'} within ${timeoutMs} ms`);
    }
    sleepMs(delay);
    if (i % 10 === 9) f.request(frozen);
  }
}

/** What signalling every process of a cgroup needs from a driver. */
export interface SignalTarget {
  canFreeze(): boolean;
  freezerState(): 'thawed' | 'freezing' | 'frozen';
  freeze(): void;
  thaw(): void;
  pids(): number[];
}

/** Signals every process of the cgroup, frozen meanwhile so nothing forks past the list, and
 * thawed after it, a paused container too, as runc does: the signal takes effect now. */
export function signalEveryProcess(c: SignalTarget, signal: number): void {
  const freezeHere = c.canFreeze();
  if (freezeHere) c.freeze();
  try {
    for (const pid of c.pids()) {
      try { process.kill(pid, signal); } catch { /* exited meanwhile */ }
    }
  } finally {
    if (freezeHere) c.thaw();
  }
}

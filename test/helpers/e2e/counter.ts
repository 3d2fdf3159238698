// A container that counts: its loop writes an increasing number to /tmp/count, which the test
// reads from the host through the init's root (/proc/PID/root), even while the container is
// frozen and no exec is possible. It shows pause and resume from the outside. Each number is
// written to a new file renamed over /tmp/count: `echo > /tmp/count` truncates first, and a reader
// (an exec'd `cat`, or the host) landing between the truncation and the write saw an empty file.

import * as fs from 'node:fs';
import assert from 'node:assert/strict';
import { sleep } from '../runtime';

/** sh as PID 1 has no SIGTERM handler, so the kernel drops SIGTERM: stopping it needs SIGKILL. */
export const COUNTER = ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done'];

export function readCounter(pid: number): number {
  return Number(fs.readFileSync(`/proc/${pid}/root/tmp/count`, 'utf8').trim());
}

/** Waits (5 s at most: a loaded machine is slow to run a thawed loop) for the counter to reach `atLeast`. */
export async function waitForCounter(pid: number, atLeast = 1): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    let n = 0;
    try { n = readCounter(pid); } catch { /* not written yet */ }
    if (n >= atLeast) return n;
    if (Date.now() > deadline) assert.fail(`the counter of ${pid} never reached ${atLeast} (last ${n})`);
    await sleep(20);
  }
}

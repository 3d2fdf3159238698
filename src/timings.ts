// Where a command's time goes, for `--debug`: each phase's duration and when it ended, counted
// from the process's own start (so Bun's start-up and the parsing before a command are in the
// first phase). Nothing is measured or printed without --debug.
import type { Logger } from './log';

const round = (ms: number): number => Math.round(ms * 100) / 100;

// Where the previous phase ended, whichever command's it was: `run`'s start phases follow its
// create phases.
let lastEnd = 0;

export class Timings {
  constructor(private readonly log: Logger, private readonly command: string) {}

  /** Ends the phase `name` (begun where the previous one ended) and logs its duration. */
  phase(name: string): void {
    if (!this.log.debugEnabled) return;
    const now = performance.now();
    this.log.debugFields(`${this.command}: ${name}`, { phase: name, ms: round(now - lastEnd), at_ms: round(now) });
    lastEnd = now;
  }

  /** When something happened, counted from this process's start: now, or a wall-clock time in
   * microseconds (the launcher's lines carry the time they were said). */
  static sinceStart(realtimeUsec?: number): number {
    return round(realtimeUsec ? realtimeUsec / 1000 - performance.timeOrigin : performance.now());
  }
}

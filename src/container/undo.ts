// Undoing a half-done create. Every step that makes something pushes how to take it away; a
// failure anywhere unwinds the stack from the top, so the undoing is always creation in reverse
// and no step needs a flag of its own. What the steps make that outlives a crash of tsrunc is
// recorded on disk before it exists (cgroup.json, host-mounts in the state directory), so what a
// kill -9 leaves is what `delete --force` removes (container/destroy.ts, deleteContainer).
import type { Logger } from '../log';

export class UndoStack {
  private readonly steps: Array<{ what: string; undo: () => void }> = [];

  constructor(private readonly log: Logger) {}

  /** `what` names the step (in warnings, and for TSRUNC_TEST_CRASH_AT). */
  push(what: string, undo: () => void): void {
    this.steps.push({ what, undo });
    crashPoint(what);
  }

  /** Runs every undo, last pushed first; one that fails is a warning and the rest still run. */
  unwind(): void {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        step.undo();
      } catch (e) {
        this.log.warn(`undoing ${step.what}: ${(e as Error).message}`);
      }
    }
  }

  /** The create succeeded: nothing is to be undone. */
  discard(): void {
    this.steps.length = 0;
  }
}

/**
 * A test seam: with TSRUNC_TEST_CRASH_AT=<step>, this process kills itself (SIGKILL, nothing runs
 * after it) right after that step, so a test sees exactly what a crash there leaves behind.
 */
export function crashPoint(step: string): void {
  if (process.env.TSRUNC_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

// A container process in the foreground of `run` or `exec` (without --detach): tsrunc becomes the
// subreaper that inherits it from the launcher, forwards the signals it receives to it, waits for
// it, and exits with its status (128+N when a signal N ended it), as runc does.
import { useUsualJitPolicy } from '../jit-policy';
import { addon } from '../native/addon';
import { signalNumbers } from '../sys/files';
import type { ForegroundTerminal } from './foreground-terminal';

/** The signals passed on to the foreground process (runc's list). Not SIGWINCH: with a terminal the
 * relay resizes the pty (and the kernel signals the process); without one runc passes nothing. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGALRM', 'SIGPIPE'];

/** The process is the launcher's child; once the launcher exits it comes to us to be waited for
 * (and its exit status would be lost to PID 1 otherwise). */
export function becomeSubreaper(): void {
  addon().setChildSubreaper();
}

/**
 * Catches FORWARDED_SIGNALS from start() to stop(). Installed before the process exists, since it
 * may run (and be signalled through us) before the launch returns: a signal that early waits, and
 * is delivered once deliverTo() names the target.
 */
export class SignalForwarder {
  private deliver?: (signal: number) => void;
  private readonly pending: NodeJS.Signals[] = [];
  private readonly handler = (sig: NodeJS.Signals): void => {
    if (!this.deliver) { this.pending.push(sig); return; }
    try { this.deliver(signalNumbers()[sig]); } catch { /* already exiting */ }
  };

  start(): void {
    for (const sig of FORWARDED_SIGNALS) process.on(sig, this.handler);
  }

  deliverTo(deliver: (signal: number) => void): void {
    this.deliver = deliver;
    for (const sig of this.pending.splice(0)) this.handler(sig);
  }

  stop(): void {
    for (const sig of FORWARDED_SIGNALS) process.off(sig, this.handler);
  }
}

/** Waits for pid (relaying its terminal, if tsrunc holds one, to the end of its output) and
 * returns the status to exit with. */
export async function waitForeground(pid: number, terminal?: ForegroundTerminal): Promise<number> {
  // Relaying a terminal is work for as long as the process runs.
  if (terminal) useUsualJitPolicy();
  const attached = terminal?.attach();
  const status = await addon().waitPidAsync(pid);
  await attached?.drained();
  return status.signal ? 128 + status.signal : status.exitCode ?? 0;
}

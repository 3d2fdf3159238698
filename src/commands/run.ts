// run = create + start, then (unless --detach) wait for the init as its subreaper, forwarding
// signals, and exit with its status (128+N for a signal), deleting the container unless --keep.
import type { CommandContext } from '../context';
import { createContainer } from '../container/create';
import { destroyContainer } from '../container/destroy';
import { openContainer, withContainer } from '../container/lookup';
import { signalInit } from '../container/process-signal';
import { keepSigpipeHarmless } from '../container/signals';
import { startContainer } from '../container/start';
import { becomeSubreaper, SignalForwarder, waitForeground } from '../container/foreground';
import type { ForegroundTerminal } from '../container/foreground-terminal';
import { foregroundTerminal } from '../container/process-io';
import type { CreateArgs } from './create';
import { Timings } from '../timings';

interface RunArgs extends CreateArgs { detach: boolean; keep: boolean; noSubreaper: boolean }

function removeQuietly(ctx: CommandContext, id: string): void {
  try {
    const c = openContainer(ctx.opts.root, id);
    try { destroyContainer(c, true, ctx.log); } finally { c.lock.release(); }
  } catch (e) {
    ctx.log.warn(`cleaning up container ${id}: ${(e as Error).message}`);
  }
}

export default async function run(args: RunArgs, ctx: CommandContext): Promise<number> {
  // The init is reparented to us when the launcher exits, so we can wait for it. (With
  // --no-subreaper it would go to PID 1 and its exit status would be lost, so it is always set.)
  if (!args.detach) becomeSubreaper();
  // A terminal without --console-socket in the foreground: tsrunc receives the pty and relays it.
  let terminal: ForegroundTerminal | undefined;
  const ownConsole = args.detach ? undefined : () => (terminal = foregroundTerminal().listen()).socketPath;
  let state;
  try {
    state = createContainer({ ...args, ownConsole }, ctx);
  } catch (e) {
    terminal?.close();
    throw e;
  }
  const initState = state;
  const forwarder = new SignalForwarder();
  forwarder.deliverTo((signal) => signalInit(initState, signal));
  // Before start: a signal that arrives while the process starts is forwarded, not fatal to us.
  keepSigpipeHarmless();
  if (!args.detach) forwarder.start();
  try {
    await withContainer(ctx.opts.root, args.id, (c) => startContainer(c, ctx.log));
  } catch (e) {
    forwarder.stop();
    terminal?.close();
    if (!args.keep) removeQuietly(ctx, args.id);
    throw e;
  }
  if (args.detach) return 0;

  // After create's and start's phases: how long the process ran, and the delete.
  const timings = new Timings(ctx.log, 'run');
  let status;
  try {
    status = await waitForeground(state.pid, terminal);
  } finally {
    forwarder.stop();
    terminal?.close();
  }
  timings.phase('the process');

  if (!args.keep) removeQuietly(ctx, args.id);
  timings.phase('delete');
  return status;
}

// Signal names and numbers as runc's kill accepts them: KILL, SIGKILL or 9.
import { TsruncError } from '../errors';
import { signalNumbers } from '../sys/files';
import { isDigits } from '../text';

export function parseSignal(text: string | undefined): number {
  if (text === undefined || text === '') return signalNumbers().SIGTERM;
  if (isDigits(text)) {
    const n = Number(text);
    if (n > 0 && n <= 64) return n;
    throw new TsruncError(`unknown signal "${text}"`);
  }
  const name = (text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`) ;
  const n = Object.prototype.hasOwnProperty.call(signalNumbers(), name) ? signalNumbers()[name] : undefined;
  if (n === undefined) throw new TsruncError(`unknown signal "${text}"`);
  return n;
}

const ignore = (): void => {};

/**
 * Node starts with SIGPIPE ignored, but removing the last listener of a signal puts its default
 * action back (terminate). Once run or exec stop forwarding signals, a poststop hook that exits
 * before reading its state would then kill tsrunc at the write instead of failing it with EPIPE.
 * A listener that stays keeps it harmless (and children still start with the default action).
 */
export function keepSigpipeHarmless(): void {
  if (!process.listeners('SIGPIPE').includes(ignore)) process.on('SIGPIPE', ignore);
}

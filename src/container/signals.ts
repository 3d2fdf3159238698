// Signal names and numbers as runc's kill accepts them: KILL, SIGKILL or 9.
import * as os from 'node:os';
import { TsruncError } from '../errors';

export function parseSignal(text: string | undefined): number {
  if (text === undefined || text === '') return os.constants.signals.SIGTERM;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 0 && n <= 64) return n;
    throw new TsruncError(`unknown signal "${text}"`);
  }
  const name = (text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`) as keyof typeof os.constants.signals;
  const n = os.constants.signals[name];
  if (n === undefined) throw new TsruncError(`unknown signal "${text}"`);
  return n;
}

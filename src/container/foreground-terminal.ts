// STUB until the console module lands.
import { TsruncError } from '../errors';
export class ForegroundTerminal {
  private constructor(readonly socketPath: string) {}
  static listen(): ForegroundTerminal { throw new TsruncError('a terminal without --console-socket is not supported yet'); }
  attach(): { drained(): Promise<void> } { return { drained: async () => {} }; }
  close(): void {}
}

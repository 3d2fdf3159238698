// `tsrunc features`: the runtime-spec features document, indented like runc's.
import type { CommandContext } from '../context';
import { hostFeatures } from '../config/features';

export default async function features(_args: unknown, _ctx: CommandContext): Promise<number> {
  process.stdout.write(JSON.stringify(hostFeatures(), null, 4) + '\n');
  return 0;
}

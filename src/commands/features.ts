// `tsrunc features`: the runtime-spec features document, indented like runc's.
import type { CommandContext } from '../context';
import { buildFeatures } from '../config/features';
import { launcherFeatures } from '../native/launcher';

export default async function features(_args: unknown, _ctx: CommandContext): Promise<number> {
  process.stdout.write(JSON.stringify(buildFeatures(undefined, launcherFeatures()), null, 4) + '\n');
  return 0;
}

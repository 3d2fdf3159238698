// `tsrunc validate [--bundle DIR]`: the checks `create` makes on a bundle, without creating anything.
// Every problem and warning is logged on its own line (so --log-format json gives one object per
// problem); the exit code says whether `create` would accept the bundle.
import * as path from 'node:path';
import type { CommandContext } from '../context';
import { ConfigError, parseConfig, readConfig } from '../config/load';
import type { Spec } from '../config/types';
import { unimplementedParts } from '../config/unimplemented';
import { validateSpec } from '../config/validate';
import { TsruncError } from '../errors';
import { checkCreateWouldAccept } from '../container/create-checks';

interface ValidateArgs { bundle?: string }

export default async function validate(args: ValidateArgs, ctx: CommandContext): Promise<number> {
  const bundle = path.resolve(args.bundle ?? process.cwd());
  const configPath = path.join(bundle, 'config.json');
  let spec: unknown;
  try {
    spec = parseConfig(readConfig(configPath));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.problems) ctx.log.error(line);
    return 1;
  }
  const { problems, warnings } = validateSpec(spec, { bundle, systemdCgroup: ctx.opts.systemdCgroup, requireProcess: false });
  for (const line of problems) ctx.log.error(line);
  for (const line of warnings) ctx.log.warn(line);
  if (problems.length > 0) return 1;
  if ((spec as { process?: unknown }).process === undefined) {
    ctx.log.warn('config.json: /process: not set; the container can be created but not started');
  }
  for (const line of unimplementedParts(spec as Spec)) ctx.log.warn(line);
  try {
    checkCreateWouldAccept(spec as Spec, bundle, (msg) => ctx.log.warn(msg));
  } catch (e) {
    if (!(e instanceof TsruncError)) throw e;
    ctx.log.error(e.message);
    return 1;
  }
  process.stdout.write(`${configPath}: valid\n`);
  return 0;
}

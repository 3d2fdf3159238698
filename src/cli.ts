// Command-line front end. Parses argv with yargs and hands each command to its module, loaded only
// when that command runs: every invocation pays Node's start-up, so nothing else loads eagerly.
import yargs from 'yargs/yargs';
import type { Argv } from 'yargs';
import { Logger } from './log';
import { TsruncError } from './errors';
import { DEFAULT_ROOT, SPEC_VERSION, VERSION, type CommandContext, type GlobalOptions } from './context';

type Loader = () => Promise<{ default: (args: any, ctx: CommandContext) => unknown }>;

interface CommandDef {
  name: string;
  usage: string;
  describe: string;
  /** Exact number of positional arguments (runc's checkArgs), or [min, max]. */
  positional: [number, number];
  /** runc prefixes the errors of create and run with "runc create failed: " and so on. */
  errorPrefix?: boolean;
  options?: (y: Argv) => Argv;
  load: Loader;
}

const bundleOption = (y: Argv) =>
  y.option('bundle', { alias: 'b', type: 'string', describe: 'path to the root of the bundle directory, defaults to the current directory' });

const createOptions = (y: Argv) =>
  bundleOption(y)
    .option('console-socket', { type: 'string', describe: 'path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console\'s pseudoterminal' })
    .option('pid-file', { type: 'string', describe: 'specify the file to write the process id to' })
    .option('no-pivot', { type: 'boolean', default: false, describe: 'do not use pivot root to jail process inside rootfs' })
    .option('no-new-keyring', { type: 'boolean', default: false, describe: 'do not create a new session keyring for the container' })
    .option('preserve-fds', { type: 'number', default: 0, describe: 'Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)' });

const COMMANDS: CommandDef[] = [
  { name: 'create', usage: 'create [options] <container-id>', describe: 'create a container', positional: [1, 1], errorPrefix: true, options: createOptions, load: () => import('./commands/create') },
  { name: 'start', usage: 'start <container-id>', describe: 'executes the user defined process in a created container', positional: [1, 1], load: () => import('./commands/start') },
  {
    name: 'run', usage: 'run [options] <container-id>', describe: 'create and run a container', positional: [1, 1], errorPrefix: true,
    options: (y) => createOptions(y)
      .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'detach from the container\'s process' })
      .option('keep', { type: 'boolean', default: false, describe: 'do not delete the container after it exits' })
      .option('no-subreaper', { type: 'boolean', default: false, describe: 'disable the use of the subreaper used to reap reparented processes' }),
    load: () => import('./commands/run'),
  },
  { name: 'state', usage: 'state <container-id>', describe: 'output the state of a container', positional: [1, 1], load: () => import('./commands/state') },
  {
    name: 'kill', usage: 'kill [options] <container-id> [signal]', describe: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process', positional: [1, 2],
    options: (y) => y.option('all', { alias: 'a', type: 'boolean', default: false, describe: 'send the specified signal to all processes inside the container' }),
    load: () => import('./commands/kill'),
  },
  {
    name: 'delete', usage: 'delete [options] <container-id>', describe: 'delete any resources held by the container often used with detached container', positional: [1, 1],
    options: (y) => y.option('force', { alias: 'f', type: 'boolean', default: false, describe: 'Forcibly deletes the container if it is still running (uses SIGKILL)' }),
    load: () => import('./commands/delete'),
  },
  {
    name: 'list', usage: 'list [options]', describe: 'lists containers started by tsrunc with the given root', positional: [0, 0],
    options: (y) => y
      .option('format', { alias: 'f', type: 'string', default: 'table', choices: ['table', 'json'], describe: 'select one of: table or json' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'display only container IDs' }),
    load: () => import('./commands/list'),
  },
  { name: 'validate', usage: 'validate [options]', describe: 'check a bundle\'s config.json and root filesystem without creating anything', positional: [0, 0], options: bundleOption, load: () => import('./commands/validate') },
  {
    name: 'spec', usage: 'spec [options]', describe: 'create a new specification file', positional: [0, 0],
    options: (y) => bundleOption(y).option('rootless', { type: 'string', describe: 'generate a configuration for a rootless container' }),
    load: () => import('./commands/spec'),
  },
  { name: 'features', usage: 'features', describe: 'show the enabled features', positional: [0, 0], load: () => import('./commands/features') },
];

function versionText(): string {
  return `tsrunc version ${VERSION}\nspec: ${SPEC_VERSION}\nnode: ${process.version}\n`;
}

export async function main(argv: string[]): Promise<number> {
  // Errors found before the logger exists (bad flags) still need runc's shape, so a provisional
  // logger to stderr is used until the global flags are known.
  let log = new Logger(undefined, 'text', false);
  let exitCode = 0;
  let pending: Promise<unknown> | undefined;
  let errorPrefix = '';

  if (argv.length > 0 && (argv[0] === '--version' || argv[0] === '-v')) {
    process.stdout.write(versionText());
    return 0;
  }

  const parser = yargs(argv)
    .scriptName('tsrunc')
    .usage('tsrunc: an OCI container runtime compatible with runc\n\nUsage: tsrunc [global options] <command> [command options] <container-id>')
    .parserConfiguration({ 'boolean-negation': false, 'camel-case-expansion': true, 'strip-dashed': true })
    .version(false)
    .option('root', { type: 'string', default: DEFAULT_ROOT, describe: 'root directory for storage of container state (this should be located in tmpfs)' })
    .option('log', { type: 'string', describe: 'set the log file to write tsrunc logs to (default is \'/dev/stderr\')' })
    .option('log-format', { type: 'string', default: 'text', choices: ['text', 'json'], describe: 'set the log format' })
    .option('debug', { type: 'boolean', default: false, describe: 'enable debug logging' })
    .option('systemd-cgroup', { type: 'boolean', default: false, describe: 'enable systemd cgroup support' })
    // No yargs default: it would turn `spec --rootless` (a bare switch) into a value. 'auto' is applied below.
    .option('rootless', { type: 'string', describe: 'ignore cgroup permission errors (\'true\', \'false\', or \'auto\') (default: "auto")' })
    .option('version', { alias: 'v', type: 'boolean', describe: 'print the version' })
    .demandCommand(1, 'a command is required')
    .help('help').alias('help', 'h')
    .wrap(null)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new TsruncError(msg);
    });

  for (const def of COMMANDS) {
    // Positionals are counted by hand (runc's wording); yargs only checks the options.
    parser.command(def.name, def.describe, (y) => (def.options ? def.options(y) : y).usage(`tsrunc ${def.usage}\n\n${def.describe}`).strictOptions(), (raw: any) => {
      const opts: GlobalOptions = {
        root: raw.root,
        log: raw.log,
        logFormat: raw.logFormat === 'json' ? 'json' : 'text',
        debug: Boolean(raw.debug),
        systemdCgroup: Boolean(raw.systemdCgroup),
        rootless: raw.rootless === undefined ? 'auto' : String(raw.rootless),
      };
      log = new Logger(opts.log, opts.logFormat, opts.debug);
      const positional = (raw._ as (string | number)[]).slice(1).map(String);
      const [min, max] = def.positional;
      if (positional.length < min || positional.length > max) {
        const want = min === max ? `exactly ${min}` : `between ${min} and ${max}`;
        throw new TsruncError(`tsrunc: "${def.name}" requires ${want} argument(s)`);
      }
      if (def.errorPrefix) errorPrefix = `tsrunc ${def.name} failed: `;
      const args = { ...raw, id: positional[0], positional };
      pending = def.load().then((mod) => mod.default(args, { opts, log }));
    });
  }

  parser.command('*', false, (y) => y, (raw: any) => {
    const name = (raw._ as unknown[])[0];
    throw new TsruncError(name === undefined ? 'a command is required (see tsrunc --help)' : `No help topic for '${String(name)}'`);
  });

  try {
    await parser.parseAsync();
    if (pending) exitCode = ((await pending) as number | undefined) ?? 0;
  } catch (e) {
    exitCode = reportError(log, e, errorPrefix);
  }
  return exitCode;
}

// One error line per problem (a config can have several); the root cause stays in the last line,
// which is the one containerd shows.
function reportError(log: Logger, e: unknown, prefix: string): number {
  const err = e as Error;
  const message = err?.message ?? String(e);
  for (const line of message.split('\n')) if (line.trim()) log.error(prefix + line);
  if (e instanceof TsruncError) return e.exitCode;
  if (process.env.TSRUNC_DEBUG && err?.stack) process.stderr.write(err.stack + '\n');
  return 1;
}

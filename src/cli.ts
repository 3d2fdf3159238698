// Command-line front end. Ordinary invocations are parsed by argv.ts; anything else (errors,
// unusual syntax) by yargs, configured from the same table (cli-table.ts), and help by src/help/.
// Each command's module, yargs and the help text load only when needed: every invocation pays
// Node's start-up, so nothing else loads.
import type { Argv } from 'yargs';
import { checkedValue, forYargs, fastParse, flagProblem, helpRequest } from './argv';
import { camelCase, COMMANDS, GLOBAL_OPTIONS, type CommandSpec, type OptionTable } from './cli-table';
import { SPEC_VERSION, VERSION, type CommandContext, type GlobalOptions } from './context';
import { plainMessage, TsruncError, withoutNodeCodes } from './errors';
import { Logger } from './log';
import { defaultStateRoot } from './linux/rootless';
import { indexOfFirst } from './text';

type Handler = (args: any, ctx: CommandContext) => unknown;

// Literal import() calls so the bundler can see (and lazily initialise) each command module.
const LOADERS: Record<string, () => Promise<{ default: Handler }>> = {
  create: () => import('./commands/create'),
  start: () => import('./commands/start'),
  run: () => import('./commands/run'),
  state: () => import('./commands/state'),
  kill: () => import('./commands/kill'),
  delete: () => import('./commands/delete'),
  list: () => import('./commands/list'),
  validate: () => import('./commands/validate'),
  spec: () => import('./commands/spec'),
  features: () => import('./commands/features'),
  exec: () => import('./commands/exec'),
  pause: () => import('./commands/pause'),
  resume: () => import('./commands/resume'),
  ps: () => import('./commands/ps'),
  events: () => import('./commands/events'),
  update: () => import('./commands/update'),
};

function versionText(): string {
  // Bun reports a Node version it is compatible with; name the runtime actually running us.
  const engine = process.versions.bun ? `bun: ${process.versions.bun}` : `node: ${process.version}`;
  return `tsrunc version ${VERSION}\nspec: ${SPEC_VERSION}\n${engine}\n`;
}

/** What a command handler receives: its options (camelCase), `id` and all positionals. */
function commandArgs(values: Record<string, unknown>, positional: string[]): Record<string, unknown> {
  return { ...values, id: positional[0], positional };
}

function globalOptions(values: Record<string, unknown>): GlobalOptions {
  return {
    root: defaultStateRoot(String(values.root)),
    log: values.log === undefined ? undefined : String(values.log),
    logFormat: values.logFormat === 'json' ? 'json' : 'text',
    debug: Boolean(values.debug),
    systemdCgroup: Boolean(values.systemdCgroup),
    rootless: values.rootless === undefined ? 'auto' : String(values.rootless),
  };
}

function checkPositionals(command: CommandSpec, positional: string[]): void {
  const [min, max] = command.positional;
  if (positional.length < min || positional.length > max) {
    const want = min === max ? `exactly ${min}` : max === Infinity ? `at least ${min}` : `between ${min} and ${max}`;
    throw new TsruncError(`tsrunc: "${command.name}" requires ${want} argument(s)`);
  }
}

/** Runs a parsed command; yargs and the fast parser both end here. */
export interface CommandRunner {
  run(command: CommandSpec, values: Record<string, unknown>, positional: string[]): Promise<number>;
}

class Invocation implements CommandRunner {
  log = new Logger(undefined, 'text', false);
  errorPrefix = '';

  async run(command: CommandSpec, values: Record<string, unknown>, positional: string[]): Promise<number> {
    const opts = globalOptions(values);
    this.log = new Logger(opts.log, opts.logFormat, opts.debug);
    if (command.errorPrefix) this.errorPrefix = `tsrunc ${command.name} failed: `;
    checkPositionals(command, positional);
    // Required here, not imported: the commands that place no process never load it.
    if (command.placesProcess) {
      (require('./cgroups/attach-warmup') as typeof import('./cgroups/attach-warmup')).warmUpCgroupAttach();
      (require('./native/addon') as typeof import('./native/addon')).prepareLauncher();
    }
    const mod = await LOADERS[command.name]();
    const code = await mod.default(commandArgs(values, positional), { opts, log: this.log });
    return typeof code === 'number' ? code : 0;
  }

  // One error line per problem (a config can have several); the root cause stays in the last line,
  // which is the one containerd shows.
  report(e: unknown): number {
    const message = withoutNodeCodes(plainMessage(e));
    for (const line of message.split('\n')) if (line.trim()) this.log.error(this.errorPrefix + line);
    if (process.env.TSRUNC_DEBUG && (e as Error)?.stack) process.stderr.write((e as Error).stack + '\n');
    return e instanceof TsruncError ? e.exitCode : 1;
  }
}

function addOptions(y: Argv, table: OptionTable): Argv {
  for (const [name, spec] of Object.entries(table)) {
    // Only the keys that are set: yargs reads an explicit `default: undefined` as a default.
    // Values reach checkValues as typed (numbers too, as strings), and choices are checked there,
    // so a bad value is reported in our words, naming the flag, whatever the parser.
    const { alias } = spec;
    y.option(name, {
      type: spec.type === 'number' ? 'string' : spec.type,
      ...(alias !== undefined ? { alias } : {}),
      ...(spec.default !== undefined ? { default: spec.default } : {}),
      // One value per occurrence, collected; never swallowing the positionals after it.
      ...(spec.repeatable ? { array: true, nargs: 1, default: [] } : {}),
    });
  }
  return y;
}

/** The command's and the global options' values by camelCase name, each checked against the table. */
function checkValues(command: CommandSpec, raw: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of [...Object.entries(GLOBAL_OPTIONS), ...Object.entries(command.options)]) {
    // A command's own option wins over a global one of the same name (spec's bare --rootless).
    const key = camelCase(name);
    values[key] = checkedValue(name, command.options[name] ?? spec, raw[key]);
  }
  return values;
}

/** yargs' complaints about the command line, in runc's (Go flag's) words. */
function usageError(msg: string): TsruncError {
  const flag = (n: string): string => (n.length === 1 ? `-${n}` : `--${n}`);
  const unknown = /^Unknown arguments?: (.*)$/.exec(msg);
  if (unknown) return new TsruncError(`flag provided but not defined: ${unknown[1].split(', ').map(flag).join(', ')}`);
  const noValue = /^Not enough arguments following: (.*)$/.exec(msg);
  if (noValue) return new TsruncError(`flag needs an argument: ${flag(noValue[1])}`);
  return new TsruncError(msg);
}

async function showHelp(topic: string | undefined): Promise<number> {
  // Loaded only here: the commands that run never pay for the help text.
  const { helpText } = await import('./help/render');
  const text = helpText(topic);
  if (text === undefined) throw new TsruncError(`No help topic for '${String(topic)}'`);
  process.stdout.write(text);
  return 0;
}

export async function parseWithYargs(argv: string[], inv: CommandRunner): Promise<number> {
  const help = helpRequest(argv);
  if (help) return showHelp(help.topic);
  const problem = flagProblem(argv);
  if (problem) throw new TsruncError(problem);
  const { default: yargs } = await import('yargs/yargs');
  let pending: Promise<number> | undefined;
  const parser = addOptions(yargs(forYargs(argv)), GLOBAL_OPTIONS)
    .scriptName('tsrunc')
    // Last one wins for a flag given twice, as with runc.
    .parserConfiguration({ 'boolean-negation': false, 'camel-case-expansion': true, 'strip-dashed': true, 'duplicate-arguments-array': false })
    .version(false)
    .help(false)
    .demandCommand(1, 'a command is required (see tsrunc --help)')
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? usageError(msg);
    });
  for (const command of COMMANDS) {
    // Positionals are counted by hand (runc's wording); yargs only checks the options.
    parser.command(command.name, false,
      (y) => addOptions(y, command.options).strictOptions(),
      (raw: Record<string, unknown>) => {
        const positional = (raw._ as (string | number)[]).slice(1).map(String);
        // A promise, so that a bad value fails the invocation rather than yargs' handler call.
        pending = Promise.resolve().then(() => inv.run(command, checkValues(command, raw), positional));
      });
  }
  parser.command('*', false, (y) => y, (raw: Record<string, unknown>) => {
    const name = (raw._ as unknown[])[0];
    throw new TsruncError(name === undefined ? 'a command is required (see tsrunc --help)' : `No help topic for '${String(name)}'`);
  });
  await parser.parseAsync();
  return pending ? await pending : 0;
}

/** True when `token` is the value of a global option that takes one (`--root /x`). */
function isGlobalValue(argv: string[], token: string): boolean {
  const i = argv.indexOf(token);
  const prev = i > 0 ? argv[i - 1] : '';
  if (!prev.startsWith('--') || prev.includes('=')) return false;
  const spec = GLOBAL_OPTIONS[prev.slice(2)];
  return spec !== undefined && spec.type !== 'boolean';
}

export async function main(argv: string[]): Promise<number> {
  // Like runc, --version may follow other global options: `tsrunc --root /x --version`.
  const firstCommand = indexOfFirst(argv, (a) => !a.startsWith('-') && !isGlobalValue(argv, a));
  const globals = firstCommand < 0 ? argv : argv.slice(0, firstCommand);
  if (globals.includes('--version') || globals.includes('-v')) {
    // Not process.stdout (making that stream costs Bun more than the rest of --version), nor the
    // addon's write: the version is told even by an install whose addon is missing.
    console.log(versionText().replace(/\n$/, ''));
    return 0;
  }
  const inv = new Invocation();
  try {
    const fast = fastParse(argv);
    return fast ? await inv.run(fast.command, fast.values, fast.positional) : await parseWithYargs(argv, inv);
  } catch (e) {
    return inv.report(e);
  }
}

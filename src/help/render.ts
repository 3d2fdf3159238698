// `tsrunc --help`, `tsrunc help COMMAND` and `tsrunc COMMAND --help`: text for a person at a
// terminal, built from the command table and the topics. A command's own options come first, the
// global ones once after them.
import { COMMANDS, GLOBAL_OPTIONS, type CommandSpec, type OptionTable } from '../cli-table';
import { optionFacts, optionNames, valueName, wrap } from './format';
import { OVERVIEW, TOPICS, type Example } from './topics';

/** Options tsrunc takes before any command besides the global table's. */
export const TOP_LEVEL_SWITCHES: OptionTable = {
  help: { type: 'boolean', alias: 'h', describe: 'show this help, or a command\'s with tsrunc help COMMAND' },
  version: { type: 'boolean', alias: 'v', describe: 'print tsrunc\'s version and the runtime-spec version it implements' },
};

function screenWidth(): number {
  const cols = process.stdout.isTTY ? process.stdout.columns : undefined;
  return Math.max(60, Math.min(cols ?? 80, 110));
}

/** Two columns: the option spellings, then the description wrapped beside them. */
function optionList(table: OptionTable, width: number): string {
  const rows = Object.entries(table).map(([name, spec]) => {
    const names = optionNames(name, spec);
    const left = (spec.alias ? '' : '    ') + names.join(', ') + (valueName(spec) ? ` ${valueName(spec)}` : '');
    const facts = optionFacts(spec);
    return { left, text: facts ? `${spec.describe} ${facts}` : spec.describe };
  });
  const column = Math.min(30, Math.max(...rows.map((r) => r.left.length)) + 4);
  return rows.map(({ left, text }) => {
    const head = `  ${left}`;
    if (head.length + 2 > column) return `${head}\n${wrap(text, width, column)}`;
    return wrap(text, width, column, head.padEnd(column));
  }).join('\n');
}

function exampleList(examples: readonly Example[], width: number): string {
  return examples.map((e) => [...e.lines.map((l) => `  $ ${l}`), wrap(e.explain, width, 6)].join('\n')).join('\n\n');
}

export function overviewHelp(): string {
  const width = screenWidth();
  const nameWidth = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return [
    'tsrunc: runs OCI containers, with the command line of runc',
    '',
    'Usage: tsrunc [global options] COMMAND [options] [arguments]',
    '       tsrunc help COMMAND     (a command\'s options and examples)',
    '',
    wrap(OVERVIEW, width),
    '',
    'Commands:',
    ...COMMANDS.map((c) => wrap(c.describe, width, nameWidth + 2, `  ${c.name.padEnd(nameWidth)}`)),
    '',
    'Global options (before the command):',
    optionList({ ...GLOBAL_OPTIONS, ...TOP_LEVEL_SWITCHES }, width),
    '',
    'Example:',
    exampleList([{ lines: ['tsrunc spec --bundle mybundle', 'tsrunc run --bundle mybundle demo'], explain: 'Write a config.json into mybundle (which holds the root filesystem in rootfs) and run it.' }], width),
    '',
    'Manual pages: tsrunc(8) and tsrunc-COMMAND(8), e.g. man tsrunc-create.',
    '',
  ].join('\n');
}

export function commandHelp(command: CommandSpec): string {
  const width = screenWidth();
  const topic = TOPICS[command.name];
  const own = Object.keys(command.options).length
    ? optionList(command.options, width)
    : '  (none of its own)';
  return [
    wrap(`tsrunc ${command.name}: ${command.describe}`, width, 2, ''),
    '',
    wrap(`Usage: tsrunc [global options] ${command.usage}`, width, 7, ''),
    '',
    ...(topic ? [wrap(topic.details, width), ''] : []),
    'Options:',
    own,
    '',
    ...(topic?.examples.length ? [topic.examples.length > 1 ? 'Examples:' : 'Example:', exampleList(topic.examples, width), ''] : []),
    'Global options (before the command):',
    optionList(GLOBAL_OPTIONS, width),
    '',
    `See also: man tsrunc-${command.name}`,
    '',
  ].join('\n');
}

/** Help for `topic` (a command name) or the overview; undefined for a name that is no command. */
export function helpText(topic: string | undefined): string | undefined {
  if (topic === undefined) return overviewHelp();
  const command = COMMANDS.find((c) => c.name === topic);
  return command ? commandHelp(command) : undefined;
}

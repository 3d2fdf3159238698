// A parser for ordinary invocations, driven by cli-table.ts, so the hot commands (state, start,
// kill, delete: called by engines all day) do not pay for loading yargs. It recognises only what
// it is sure about and returns undefined for anything else (help, version, unknown or malformed
// options, globals after the command), which then goes to yargs for the full treatment.
import { camelCase, COMMANDS, GLOBAL_OPTIONS, type CommandSpec, type OptionTable } from './cli-table';

export interface ParsedArgs {
  command: CommandSpec;
  /** Global and command options by camelCase name, with defaults applied. */
  values: Record<string, unknown>;
  positional: string[];
}

function lookup(table: OptionTable, token: string): [string, string | undefined] | undefined {
  let name: string;
  let inline: string | undefined;
  if (token.startsWith('--')) {
    const eq = token.indexOf('=');
    name = eq < 0 ? token.slice(2) : token.slice(2, eq);
    inline = eq < 0 ? undefined : token.slice(eq + 1);
    if (!Object.prototype.hasOwnProperty.call(table, name)) return undefined;
  } else if (/^-[A-Za-z]$/.test(token)) {
    const found = Object.keys(table).find((k) => table[k].alias === token[1]);
    if (!found) return undefined;
    name = found;
  } else {
    return undefined;
  }
  return [name, inline];
}

/** Consumes options of `table` starting at argv[i]; returns the next index, or -1 if not understood. */
function takeOption(argv: string[], i: number, table: OptionTable, values: Record<string, unknown>): number {
  const found = lookup(table, argv[i]);
  if (!found) return -1;
  const [name, inline] = found;
  const spec = table[name];
  let next = i + 1;
  let value: unknown;
  if (spec.type === 'boolean') {
    if (inline !== undefined) return -1;
    value = true;
  } else {
    const raw = inline ?? argv[next++];
    if (raw === undefined || (inline === undefined && raw.startsWith('-') && raw !== '-')) return -1;
    if (spec.choices && !spec.choices.includes(raw)) return -1;
    if (spec.type === 'number') {
      if (!/^\d+$/.test(raw)) return -1;
      value = Number(raw);
    } else {
      value = raw;
    }
  }
  const key = camelCase(name);
  if (spec.repeatable) {
    values[key] = [...((values[key] as unknown[] | undefined) ?? []), value];
    return next;
  }
  if (key in values && values[key] !== defaultOf(table, name)) return -1; // repeated: let yargs decide
  values[key] = value;
  return next;
}

function defaultOf(table: OptionTable, name: string): unknown {
  return table[name].default;
}

function applyDefaults(table: OptionTable, values: Record<string, unknown>): void {
  for (const [name, spec] of Object.entries(table)) {
    const key = camelCase(name);
    if (spec.repeatable && !(key in values)) values[key] = [];
    if (!(key in values) && spec.default !== undefined) values[key] = spec.default;
  }
}

export function fastParse(argv: string[]): ParsedArgs | undefined {
  const values: Record<string, unknown> = {};
  let i = 0;
  while (i < argv.length && argv[i].startsWith('-')) {
    i = takeOption(argv, i, GLOBAL_OPTIONS, values);
    if (i < 0) return undefined;
  }
  const command = COMMANDS.find((c) => c.name === argv[i]);
  if (!command) return undefined;
  applyDefaults(GLOBAL_OPTIONS, values);
  const positional: string[] = [];
  for (i++; i < argv.length;) {
    const token = argv[i];
    if (command.passThroughAfter !== undefined && positional.length >= command.passThroughAfter) {
      positional.push(...argv.slice(i));
      break;
    }
    if (token === '--' || token === '-') return undefined;
    if (token.startsWith('-') && !/^-\d+$/.test(token)) {
      i = takeOption(argv, i, command.options, values);
      if (i < 0) return undefined;
    } else {
      positional.push(token);
      i++;
    }
  }
  applyDefaults(command.options, values);
  return { command, values, positional };
}

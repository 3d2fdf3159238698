// A parser for ordinary invocations, driven by cli-table.ts, so the hot commands (state, start,
// kill, delete: called by engines all day) do not pay for loading yargs. It recognises only what
// it is sure about and returns undefined for anything else (help, version, unknown or malformed
// options, globals after the command), which then goes to yargs for the full treatment.
import { camelCase, COMMANDS, GLOBAL_OPTIONS, type CommandSpec, type OptionSpec, type OptionTable } from './cli-table';
import { TsruncError } from './errors';
import { findFirst, isAsciiLetter, isDigits } from './text';

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
  } else if (token.length === 2 && token[0] === '-' && isAsciiLetter(token.charCodeAt(1))) {
    const found = findFirst(Object.keys(table), (k) => table[k].alias === token[1]);
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
    if (badValueReason(spec, raw) !== undefined) return -1;
    value = spec.type === 'number' ? Number(raw) : raw;
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
  const command = findFirst(COMMANDS, (c) => c.name === argv[i]);
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
    if (token.startsWith('-') && !isDigits(token.slice(1))) {
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

/** Why `raw` cannot be a value of the option (for the error message), or undefined when it can. */
export function badValueReason(spec: OptionSpec, raw: string): string | undefined {
  if (spec.choices && !spec.choices.includes(raw)) return `it must be one of: ${spec.choices.join(', ')}`;
  if (spec.type === 'number' && !isDigits(raw)) return 'it must be a whole number (0, 1, 2...)';
  return undefined;
}

/** An option's value checked against the table: the number for a number option; throws naming the flag. */
export function checkedValue(name: string, spec: OptionSpec, value: unknown): unknown {
  if (value === undefined || typeof value === 'boolean' || typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((v) => checkedValue(name, spec, v));
  const raw = String(value);
  const reason = badValueReason(spec, raw);
  // runc's (Go flag's) words, which name the flag and the value.
  if (reason !== undefined) throw new TsruncError(`invalid value "${raw}" for flag --${name}: ${reason}`);
  return spec.type === 'number' ? Number(raw) : raw;
}

// Beyond fastParse: a walk over any argv that tells option values apart from the rest, for the
// checks made before yargs sees it (help wanted, a flag missing its value).

function optionSpec(command: CommandSpec | undefined, token: string): OptionSpec | undefined {
  const tables = command ? [command.options, GLOBAL_OPTIONS] : [GLOBAL_OPTIONS];
  for (const table of tables) {
    const found = lookup(table, token);
    if (found) return table[found[0]];
  }
  return undefined;
}

interface Walked {
  /** The command named, if any (undefined also for an unknown one). */
  command?: CommandSpec;
  /** The first word that is neither an option nor its value. */
  word?: string;
  /** Index of that word. */
  wordAt: number;
  /** -h or --help among the options. */
  help: boolean;
  /** A flag that takes a value but was given none. */
  missingValue?: string;
  /** A flag that neither the command nor the global options have. */
  unknown?: string;
  /** A switch given a value that is not a boolean (`--detach=maybe`), as the message says it. */
  badBoolean?: string;
}

// What Go's strconv.ParseBool (and so runc's `--detach=VALUE`) takes; yargs would read all but "true" as false.
const TRUE_WORDS = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const FALSE_WORDS = ['0', 'f', 'F', 'FALSE', 'false', 'False'];
function boolValue(text: string): boolean | undefined {
  return TRUE_WORDS.includes(text) ? true : FALSE_WORDS.includes(text) ? false : undefined;
}

/** `-fq`: switches of the table run together, as yargs reads them. */
function bundledSwitches(table: OptionTable[], token: string): boolean {
  return /^-[A-Za-z]{2,}$/.test(token) && [...token.slice(1)].every((c) =>
    table.some((t) => Object.values(t).some((s) => s.alias === c && s.type === 'boolean')));
}

function walk(argv: string[]): Walked {
  const out: Walked = { help: false, wordAt: -1 };
  let positionals = 0;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') break;
    if (token === '--help' || token === '-h') { out.help = true; continue; }
    if (token.startsWith('-') && token !== '-' && !(out.command && /^-\d+$/.test(token))) {
      const spec = optionSpec(out.command, token);
      if (!spec) {
        const tables = out.command ? [out.command.options, GLOBAL_OPTIONS] : [GLOBAL_OPTIONS];
        if (!bundledSwitches(tables, token)) out.unknown ??= token.replace(/=.*/s, '');
        continue;
      }
      if (spec.type === 'boolean' && token.includes('=')) {
        const value = token.slice(token.indexOf('=') + 1);
        if (boolValue(value) === undefined) out.badBoolean ??= `invalid boolean value "${value}" for flag ${token.slice(0, token.indexOf('='))}: it must be true or false (or 1, 0, t, f)`;
      }
      if (spec.type === 'boolean' || token.includes('=')) continue;
      const next = argv[i + 1];
      // yargs never takes a flag as a value (a negative number it does); spec's --rootless alone is a switch.
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d+$/.test(next))) {
        if (!(out.command?.name === 'spec' && token === '--rootless')) out.missingValue ??= token;
      } else {
        i++;
      }
      continue;
    }
    if (out.word === undefined) {
      out.word = token;
      out.wordAt = i;
      out.command = COMMANDS.find((c) => c.name === token);
      if (!out.command) break;
      continue;
    }
    positionals++;
    // The rest belongs to the container's program (exec ID ls -h) or to ps(1).
    if (out.command?.passThroughAfter !== undefined && positionals >= out.command.passThroughAfter) break;
  }
  return out;
}

/**
 * What help the invocation asks for: `help [COMMAND]`, -h/--help, or nothing at all. `topic` is
 * the command's name (or whatever followed `help`), undefined for the overview.
 */
export function helpRequest(argv: string[]): { topic?: string } | undefined {
  const w = walk(argv);
  if (w.word === 'help') return { topic: argv.slice(w.wordAt + 1).find((a) => !a.startsWith('-')) };
  if (w.help) return { topic: w.command?.name };
  return argv.length === 0 ? {} : undefined;
}

/**
 * The argv as yargs must see it to read it as the fast parser, walk() and runc do (both found by
 * scripts/fuzz-cli.js): `--flag -` becomes `--flag=-` (yargs never takes a lone dash as a value, it
 * makes it a positional; `update --resources -` reads stdin), and a `--` goes before what belongs
 * to the container's program or ps(1) (`exec -dt ID sh -c x`: yargs would read `-c` as a flag), and
 * a switch's value is spelled true or false (`--detach=1`: yargs takes only "true" as true).
 */
export function forYargs(argv: string[]): string[] {
  const out: string[] = [];
  let command: CommandSpec | undefined;
  let word = false;
  let positionals = 0;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') return [...out, ...argv.slice(i)];
    if (token.startsWith('-') && token !== '-' && !(command && /^-\d+$/.test(token))) {
      const tables = command ? [command.options, GLOBAL_OPTIONS] : [GLOBAL_OPTIONS];
      const table = tables.find((t) => lookup(t, token) !== undefined);
      const found = table && lookup(table, token);
      const next = argv[i + 1];
      if (table && found && found[1] !== undefined && table[found[0]].type === 'boolean') {
        out.push(`--${found[0]}=${String(boolValue(found[1]) === true)}`);
        continue;
      }
      if (table && found && found[1] === undefined && table[found[0]].type !== 'boolean' && next !== undefined) {
        if (next === '-') {
          out.push(`--${found[0]}=-`);
          i++;
          continue;
        }
        // Its value, as walk() takes it: not a positional.
        if (!next.startsWith('-') || /^-\d+$/.test(next)) {
          out.push(token, next);
          i++;
          continue;
        }
      }
      out.push(token);
      continue;
    }
    out.push(token);
    if (!word) {
      word = true;
      command = COMMANDS.find((c) => c.name === token);
      if (!command) return [...out, ...argv.slice(i + 1)];
      continue;
    }
    positionals++;
    if (command?.passThroughAfter !== undefined && positionals >= command.passThroughAfter) {
      const rest = argv.slice(i + 1);
      return rest.length === 0 || rest[0] === '--' ? [...out, ...rest] : [...out, '--', ...rest];
    }
  }
  return out;
}

/** What is wrong with the flags before any parser sees them, in runc's (Go flag's) words, or undefined. */
export function flagProblem(argv: string[]): string | undefined {
  const w = walk(argv);
  if (w.unknown) return `flag provided but not defined: ${w.unknown}`;
  if (w.missingValue) return `flag needs an argument: ${w.missingValue}`;
  if (w.badBoolean) return w.badBoolean;
  return undefined;
}

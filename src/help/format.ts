// Facts about options that help, man pages and completion all show the same way, derived from the
// command table so the three cannot drift apart.
import type { OptionSpec } from '../cli-table';

/** `-b, --bundle` or `--root`: the spellings a user can type, short one first. */
export function optionNames(name: string, spec: OptionSpec): string[] {
  return spec.alias ? [`-${spec.alias}`, `--${name}`] : [`--${name}`];
}

/** The placeholder of an option's value (`DIR`), or '' for a switch. */
export function valueName(spec: OptionSpec): string {
  if (spec.type === 'boolean') return '';
  return spec.arg ?? (spec.type === 'number' ? 'N' : 'VALUE');
}

/** What the description leaves out: allowed values and a default worth stating. */
export function optionFacts(spec: OptionSpec): string {
  const facts: string[] = [];
  if (spec.choices) facts.push(`one of: ${spec.choices.join(', ')}`);
  if (spec.repeatable) facts.push('may be repeated');
  const d = spec.default;
  if (d !== undefined && d !== false && d !== '' && !(spec.type === 'number' && d === 0)) facts.push(`default: ${String(d)}`);
  return facts.length ? `(${facts.join('; ')})` : '';
}

/** True when the value names a file or directory, so completion offers file names. */
export function takesPath(spec: OptionSpec): boolean {
  return spec.type !== 'boolean' && /^(FILE|DIR|SOCKET|PATH)$/.test(spec.arg ?? '');
}

/**
 * Greedy word wrap of one paragraph to `width` columns: the first line starts with `lead` (a
 * label, or spaces), the others with `indent` spaces.
 */
export function wrap(text: string, width: number, indent = 0, lead = ' '.repeat(indent)): string {
  const lines: string[] = [];
  let line = lead;
  let empty = true;
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + w.length > width) {
      lines.push(line);
      line = ' '.repeat(indent) + w;
    } else {
      line += (empty || line.endsWith(' ') ? '' : ' ') + w;
    }
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

// Fields of /proc/PID/status ("CapBnd:\t000001ffffffffff"), read with a loop rather than a regular
// expression: create reads one for every container, and compiling a pattern costs a short-lived
// process more than the search (docs/performance.md).
import { isRegExpSpace } from '../text';

const isLineEnd = (c: number): boolean => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
const isLowerHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102);

/** The lower-case hex value of the first line `name: <hex>` (what `/^name:\s*([0-9a-f]+)$/m`
 * captures), or undefined. */
export function hexStatusField(text: string, name: string): string | undefined {
  const label = `${name}:`;
  for (let line = 0; line <= text.length; line++) {
    if (line > 0 && !isLineEnd(text.charCodeAt(line - 1))) continue;
    if (!text.startsWith(label, line)) continue;
    let at = line + label.length;
    while (at < text.length && isRegExpSpace(text.charCodeAt(at))) at++;
    const start = at;
    while (at < text.length && isLowerHex(text.charCodeAt(at))) at++;
    if (at > start && (at === text.length || isLineEnd(text.charCodeAt(at)))) return text.slice(start, at);
  }
  return undefined;
}

// Loops for what every command does at start, in place of a regular expression or one of
// JavaScriptCore's builtins written in JavaScript (Array.prototype.find, findIndex, some,
// forEach, map, filter; String.prototype.split and replace; Object.fromEntries). Those are compiled
// on their first call in a process, 40 to 100 µs each, while tsrunc's own functions come
// compiled from the executable's bytecode cache; a regular expression is compiled on first use too.
// In a command that lives 5 ms that adds up (docs/performance.md); elsewhere the builtins are fine.

/** True for one or more ASCII digits and nothing else ("9", not "", "-9", "1e3" or " 9"). */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A to Z or a to z, by character code. */
export function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** The first item `pred` accepts, or undefined. */
export function findFirst<T>(items: readonly T[], pred: (item: T) => boolean): T | undefined {
  for (const item of items) if (pred(item)) return item;
  return undefined;
}

/** The index of the first item `pred` accepts, or -1. */
export function indexOfFirst<T>(items: readonly T[], pred: (item: T) => boolean): number {
  for (let i = 0; i < items.length; i++) if (pred(items[i])) return i;
  return -1;
}

/** Whether `pred` accepts any item. */
export function anyOf<T>(items: readonly T[], pred: (item: T) => boolean): boolean {
  for (const item of items) if (pred(item)) return true;
  return false;
}

/** Whether `pred` accepts every item. */
export function allOf<T>(items: readonly T[], pred: (item: T) => boolean): boolean {
  for (const item of items) if (!pred(item)) return false;
  return true;
}

/** `items.map(f)`. */
export function mapped<T, U>(items: readonly T[], f: (item: T, index: number) => U): U[] {
  const out = new Array<U>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = f(items[i], i);
  return out;
}

/** `items.forEach(f)`. */
export function eachOf<T>(items: readonly T[], f: (item: T, index: number) => void): void {
  for (let i = 0; i < items.length; i++) f(items[i], i);
}

/** `items.filter(pred)`. */
export function kept<T, S extends T>(items: readonly T[], pred: (item: T) => item is S): S[];
export function kept<T>(items: readonly T[], pred: (item: T) => boolean): T[];
export function kept<T>(items: readonly T[], pred: (item: T) => boolean): T[] {
  const out: T[] = [];
  for (const item of items) if (pred(item)) out.push(item);
  return out;
}

/** The text without one trailing newline, as the kernel ends a value in a control file. */
export function withoutFinalNewline(s: string): string {
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

/** The words of `s` between single spaces (what `s.split(' ')` gives). */
export function spaceSeparated(s: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let at = s.indexOf(' '); at >= 0; at = s.indexOf(' ', from)) {
    out.push(s.slice(from, at));
    from = at + 1;
  }
  out.push(s.slice(from));
  return out;
}

/** The characters JavaScript's `\s` matches (WhiteSpace and LineTerminator), by code. */
export function isRegExpSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a)
    || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** The words of `s` between runs of `\s`, none empty (what `s.split(/\s+/).filter(Boolean)` gives). */
export function words(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= s.length; i++) {
    const space = i === s.length || isRegExpSpace(s.charCodeAt(i));
    if (space && start >= 0) { out.push(s.slice(start, i)); start = -1; }
    if (!space && start < 0) start = i;
  }
  return out;
}

/** `s` without the slashes it ends with (what `s.replace(/\/+$/, '')` gives). */
export function withoutTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 47) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** mountinfo's escapes (`\ooo`, three octal digits, for blanks and backslashes in paths) decoded:
 * what `s.replace(/\\([0-7]{3})/g, ...)` with String.fromCharCode of the octal number gives. */
export function unescapeOctal(s: string): string {
  let at = s.indexOf('\\');
  if (at < 0) return s;
  let out = '';
  let from = 0;
  for (; at >= 0; at = s.indexOf('\\', at)) {
    const d1 = s.charCodeAt(at + 1) - 48, d2 = s.charCodeAt(at + 2) - 48, d3 = s.charCodeAt(at + 3) - 48;
    // NaN (past the end) fails each comparison, as a character that is no octal digit does.
    if (d1 >= 0 && d1 <= 7 && d2 >= 0 && d2 <= 7 && d3 >= 0 && d3 <= 7) {
      out += s.slice(from, at) + String.fromCharCode(d1 * 64 + d2 * 8 + d3);
      at += 4;
      from = at;
    } else {
      at += 1;
    }
  }
  return out + s.slice(from);
}

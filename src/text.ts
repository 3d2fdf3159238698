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

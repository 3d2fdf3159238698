// POSIX path functions: path-browserify, Node's own path code as a package, for the modules the
// lifecycle commands load (node:path costs a Bun executable more at start, docs/architecture.md).
// Taken with require rather than `import * as`: for that the bundler wraps the CommonJS module
// in a namespace object made property by property, which every command paid at start (0.06 ms).
//
// join, normalize, dirname, relative and resolve answer a path that is already clean (no empty,
// `.` or `..` segment, no trailing slash) with the string methods the engine runs natively, and
// hand anything else to path-browserify. A create makes about 300 such calls (cgroup files, the
// addon's and launcher's places, mounts), and path-browserify's character loops run them in
// JavaScriptCore's interpreter: about 4 µs each, 1 ms of a create. The answers are the same
// (test/unit/sys-path.test.ts checks them against node:path).
import type * as PathModule from 'path-browserify';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const posix: typeof PathModule = require('path-browserify');

/** Whether the segment that starts at `at` (a dot) is `.` or `..`. */
function isDotSegment(p: string, at: number): boolean {
  const n = p.length;
  const next = at + 1 < n ? p.charCodeAt(at + 1) : 47;
  if (next === 47 /* / */) return true;
  return next === 46 /* . */ && (at + 2 >= n || p.charCodeAt(at + 2) === 47);
}

/** Whether `p` is its own normal form: not empty, no `//`, no `.` or `..` segment, and no
 * trailing slash unless it is `/`. */
export function isCleanPath(p: string): boolean {
  const n = p.length;
  if (n === 0) return false;
  if (p.charCodeAt(n - 1) === 47) return n === 1;
  if (p.indexOf('//') !== -1) return false;
  if (p.charCodeAt(0) === 46 && isDotSegment(p, 0)) return false;
  for (let slash = p.indexOf('/.'); slash !== -1; slash = p.indexOf('/.', slash + 1)) {
    if (isDotSegment(p, slash + 1)) return false;
  }
  return true;
}

function normalize(p: string): string {
  if (typeof p === 'string') {
    if (isCleanPath(p)) return p;
    // `'/' + destination` for a destination that is absolute already.
    if (p.charCodeAt(1) === 47 && p.charCodeAt(0) === 47 && isCleanPath(p.slice(1))) return p.slice(1);
  }
  return posix.normalize(p);
}

function join(...parts: string[]): string {
  let joined = '';
  for (const part of parts) {
    if (typeof part !== 'string') return posix.join(...parts); // its TypeError
    if (part.length === 0) continue;
    // One slash where the parts meet, so that `join('/', '/proc')` is clean already; normalize
    // would collapse the run of slashes to one just the same.
    if (joined.length === 0) joined = part;
    else if (joined.charCodeAt(joined.length - 1) === 47) joined += part.charCodeAt(0) === 47 ? part.slice(1) : part;
    else joined += part.charCodeAt(0) === 47 ? part : `/${part}`;
  }
  return joined.length === 0 ? '.' : normalize(joined);
}

function dirname(p: string): string {
  if (typeof p !== 'string' || p.length === 0 || p.charCodeAt(p.length - 1) === 47 || p.indexOf('//') !== -1) return posix.dirname(p);
  const slash = p.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : p.slice(0, slash);
}

function resolve(...parts: string[]): string {
  // Resolving stops at the last absolute part, so a clean absolute last part is the answer.
  const last = parts[parts.length - 1];
  if (typeof last === 'string' && isCleanPath(last)) {
    if (last.charCodeAt(0) === 47) return last;
    // A clean relative part (no `..` in it) below a clean absolute one: `resolve(bundle, 'rootfs')`.
    const before = parts.length === 2 ? parts[0] : undefined;
    if (typeof before === 'string' && before.charCodeAt(0) === 47 && isCleanPath(before)) return before.length === 1 ? `/${last}` : `${before}/${last}`;
  }
  return posix.resolve(...parts);
}

function relative(from: string, to: string): string {
  if (typeof from === 'string' && typeof to === 'string' && from.charCodeAt(0) === 47 && to.charCodeAt(0) === 47 && isCleanPath(from) && isCleanPath(to)) {
    if (to === from) return '';
    if (from.length === 1) return to.slice(1);
    if (to.length > from.length && to.charCodeAt(from.length) === 47 && to.startsWith(from)) return to.slice(from.length + 1);
  }
  return posix.relative(from, to);
}

const functions = { ...posix, normalize, join, dirname, resolve, relative };
// Callers that spell out `path.posix.` get the same functions.
functions.posix = functions;
export const path: typeof PathModule = functions;

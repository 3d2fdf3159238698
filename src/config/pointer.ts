// JSON Pointer (RFC 6901) helpers: every config problem is reported at the pointer of the value it
// concerns, and messages quote the offending value briefly.

/** A key as a pointer segment: ~ as ~0, / as ~1. (A loop: create names every key of a config.) */
export function escapeSegment(segment: string | number): string {
  const s = String(segment);
  if (s.indexOf('~') < 0 && s.indexOf('/') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) out += s[i] === '~' ? '~0' : s[i] === '/' ? '~1' : s[i];
  return out;
}

export function join(pointer: string, ...segments: (string | number)[]): string {
  let out = pointer;
  for (const s of segments) out += '/' + escapeSegment(s);
  return out;
}

export function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** The value at pointer, or undefined when any step is missing. */
export function resolvePointer(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const seg of splitPointer(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else {
      if (!hasOwn(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

const MAX_SHOWN = 60;

/** A short rendering of a value for "(got ...)"; never throws, whatever the value is. */
export function show(value: unknown): string {
  switch (typeof value) {
    case 'string': {
      const quoted = JSON.stringify(value);
      return quoted.length <= MAX_SHOWN ? quoted : quoted.slice(0, MAX_SHOWN - 4) + '..."';
    }
    case 'number': return Number.isFinite(value) ? String(value) : 'a non-finite number';
    case 'boolean': return String(value);
    case 'undefined': return 'nothing';
    case 'bigint': return String(value);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return value.length === 0 ? '[]' : 'an array';
      return Object.keys(value).length === 0 ? '{}' : 'an object';
    default: return 'a ' + typeof value;
  }
}

// JSON.parse on Node 20 often reports a syntax error without its position ("Unexpected token '}',
// ... is not valid JSON"). This scanner runs only after JSON.parse has failed, to say where and why
// in words a person can act on.

export interface JsonSyntaxError {
  /** 1-based line and column of the offending character (or of the end of the text). */
  line: number;
  column: number;
  reason: string;
}

type Container = '{' | '[';

export function locateJsonError(text: string): JsonSyntaxError | undefined {
  const fail = (pos: number, reason: string): JsonSyntaxError => ({ ...lineColumn(text, pos), reason });
  const stack: Container[] = [];
  let pos = 0;
  const skipWs = (): void => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t' || text[pos] === '\n' || text[pos] === '\r')) pos++;
  };
  const unexpected = (what: string): JsonSyntaxError => {
    if (pos >= text.length) return fail(pos, `unexpected end of input (${what})`);
    const c = text[pos];
    if (c === '/') return fail(pos, 'comments are not allowed in JSON');
    if (c === "'") return fail(pos, 'strings must use double quotes');
    return fail(pos, `unexpected ${quoteChar(c)} (${what})`);
  };

  let state: 'value' | 'key' | 'after' = 'value';
  for (;;) {
    skipWs();
    if (state === 'value') {
      const c = text[pos];
      if (c === '{' || c === '[') {
        stack.push(c);
        pos++;
        skipWs();
        if (text[pos] === (c === '{' ? '}' : ']')) {
          stack.pop();
          pos++;
          state = 'after';
        } else {
          state = c === '{' ? 'key' : 'value';
        }
        continue;
      }
      if (c === '"') {
        const err = scanString();
        if (err) return err;
      } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
        NUMBER.lastIndex = pos;
        const m = NUMBER.exec(text);
        if (!m) return fail(pos, 'invalid number');
        pos += m[0].length;
      } else if (text.startsWith('true', pos) || text.startsWith('null', pos)) {
        pos += 4;
      } else if (text.startsWith('false', pos)) {
        pos += 5;
      } else if ((c === '}' || c === ']') && text[prevNonWs(text, pos)] === ',') {
        return fail(pos, `trailing comma before ${quoteChar(c)}`);
      } else {
        return unexpected('expected a value');
      }
      state = 'after';
    } else if (state === 'key') {
      if (text[pos] === '}' && text[prevNonWs(text, pos)] === ',') return fail(pos, "trailing comma before '}'");
      if (text[pos] !== '"') return unexpected('expected a property name in double quotes');
      const err = scanString();
      if (err) return err;
      skipWs();
      if (text[pos] !== ':') return unexpected("expected ':' after a property name");
      pos++;
      state = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return pos < text.length ? fail(pos, 'unexpected text after the JSON value') : undefined;
      const c = text[pos];
      if (c === ',') {
        pos++;
        state = top === '{' ? 'key' : 'value';
      } else if (c === (top === '{' ? '}' : ']')) {
        stack.pop();
        pos++;
      } else {
        return unexpected(top === '{' ? "expected ',' or '}' after a property value" : "expected ',' or ']' after an array element");
      }
    }
  }

  function scanString(): JsonSyntaxError | undefined {
    const start = pos;
    pos++;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        pos++;
        return undefined;
      }
      if (c === 0x5c) {
        const e = text[pos + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) return fail(pos, 'invalid \\u escape in string');
          pos += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          pos += 2;
        } else {
          return fail(pos, `invalid escape '\\${e ?? ''}' in string`);
        }
        continue;
      }
      if (c < 0x20) return fail(pos, c === 0x0a ? 'unterminated string (raw line break inside quotes)' : 'control character in string');
      pos++;
    }
    return fail(start, 'unterminated string');
  }
}

/** Single quotes, so that a double quote reads naturally; invisible characters are escaped. */
function quoteChar(c: string): string {
  return c < ' ' || c === '\u007f' ? JSON.stringify(c) : `'${c}'`;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function prevNonWs(text: string, pos: number): number {
  let p = pos - 1;
  while (p >= 0 && /\s/.test(text[p])) p--;
  return p;
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}

/**
 * Where and why `text` (which JSON.parse refused) is not JSON, in our words: the engine's own
 * message differs between V8 and JavaScriptCore and is not for users ("JSON Parse error:
 * Unexpected identifier", found by scripts/fuzz-cli.js in update --resources).
 */
export function jsonSyntaxText(text: string): string {
  const where = locateJsonError(text);
  return where ? `line ${where.line}, column ${where.column}: ${where.reason}` : 'a syntax error';
}

// Every JSON document a caller hands tsrunc (config.json, `exec --process`, `update --resources`)
// is parsed here. JSON.parse and the code that walks its result recurse once per nesting level,
// so a document nested a few tens of thousands deep ends in the engine's own "Maximum call stack
// size exceeded". An OCI document is a handful of levels deep; anything past the limit is refused
// up front, by a linear scan that does not recurse, with runc's words ("exceeded max depth").

/** Deepest nesting of arrays and objects accepted (encoding/json in Go, and so runc, allow 10000). */
export const MAX_JSON_DEPTH = 10000;

/** Where the text first goes deeper than `limit`: 1-based line and column, or undefined. */
export function findExcessiveNesting(text: string, limit = MAX_JSON_DEPTH): { line: number; column: number } | undefined {
  // Going deeper than `limit` takes more than `limit` brackets: a shorter text cannot.
  if (text.length <= limit) return undefined;
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string; a bracket inside it is text. An unterminated one is JSON.parse's to report.
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return { line, column: i - lineStart + 1 };
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    } else if (c === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return undefined;
}

/** Thrown by parseBoundedJson for a document nested too deep; JSON.parse's SyntaxError otherwise. */
export class JsonDepthError extends Error {}

/**
 * JSON.parse after the depth check. The message of a JsonDepthError names the limit and the place,
 * not the file: each caller prefixes the name it shows for the document.
 */
export function parseBoundedJson(text: string, limit = MAX_JSON_DEPTH): unknown {
  const where = findExcessiveNesting(text, limit);
  if (where) throw new JsonDepthError(`exceeded max depth: arrays and objects nested deeper than ${limit} levels at line ${where.line}, column ${where.column}`);
  return JSON.parse(text);
}

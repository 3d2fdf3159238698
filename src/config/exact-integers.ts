// JSON.parse turns every number into a double, so an integer above 2^53 comes back rounded:
// 9223372036854775807 reads as 2^63 and 9007199254740993 as 9007199254740992. config.json holds
// uint64 values where the exact number matters (process.rlimits), so parseConfig also scans the text
// and remembers the literal of each integer a double cannot hold, next to the parsed value it
// belongs to. Readers ask `exactInteger(container, key)`; everything else keeps using the numbers.
const literals = new WeakMap<object, Map<string | number, string>>();

/** The literal digits of `container[key]` when it is an integer beyond 2^53, else undefined. */
export function exactInteger(container: object, key: string | number): string | undefined {
  return literals.get(container)?.get(key);
}

/** `container[key]` as a bigint, exact when the text had more digits than a double holds. */
export function integerValue(container: object, key: string | number): bigint | undefined {
  const text = exactInteger(container, key);
  if (text !== undefined) return BigInt(text);
  const v = (container as Record<string | number, unknown>)[key];
  return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : undefined;
}


/**
 * Whether `doc` holds a number beyond 2^53 - 1 in magnitude: JSON.parse rounds a bigger integer
 * literal to such a number, so without one the text has nothing to record. Walking the parsed values
 * costs less than scanning the text's characters (a config has far fewer values than characters),
 * and it does not recurse, however deep the document.
 */
function holdsBeyondSafe(doc: unknown): boolean {
  const pending: unknown[] = [doc];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'number') {
      if (v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER) return true;
    } else if (v !== null && typeof v === 'object') {
      const values = Array.isArray(v) ? v : Object.values(v);
      for (let i = 0; i < values.length; i++) pending.push(values[i]);
    }
  }
  return false;
}

/**
 * Records the big integer literals of `text` against `doc`, the result of JSON.parse(text). The text
 * is known to be valid JSON. With a duplicated key JSON.parse keeps the last value; so does the scan,
 * and a literal is only kept if it still rounds to the value JSON.parse produced.
 */
export function recordExactIntegers(text: string, doc: unknown): void {
  if (!holdsBeyondSafe(doc)) return;
  const found = new Map<string, { path: (string | number)[]; literal: string }>();
  try {
    new Scanner(text, (path, literal) => found.set(JSON.stringify(path), { path, literal })).document();
  } catch {
    return; // not expected for text JSON.parse accepted; the doubles stay as they are
  }
  for (const { path, literal } of found.values()) {
    let container: unknown = doc;
    for (const step of path.slice(0, -1)) {
      container = container !== null && typeof container === 'object' ? (container as Record<string | number, unknown>)[step] : undefined;
    }
    if (container === null || typeof container !== 'object') continue;
    const key = path[path.length - 1];
    if ((container as Record<string | number, unknown>)[key] !== Number(literal)) continue;
    let byKey = literals.get(container);
    if (!byKey) literals.set(container, (byKey = new Map()));
    byKey.set(key, literal);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\]|\\.)*"/y;

class Scanner {
  private pos = 0;
  private readonly path: (string | number)[] = [];

  constructor(private readonly text: string, private readonly onInteger: (path: (string | number)[], literal: string) => void) {}

  document(): void {
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0xfeff) this.pos++;
    this.value();
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) this.pos++;
  }

  private match(re: RegExp): string {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) throw new Error(`unexpected input at ${this.pos}`);
    this.pos = re.lastIndex;
    return m[0];
  }

  private expect(c: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== c) throw new Error(`expected ${c} at ${this.pos}`);
    this.pos++;
  }

  private value(): void {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') { this.match(STRING); return; }
    if (c === 't' || c === 'f' || c === 'n') { this.match(/true|false|null/y); return; }
    const literal = this.match(NUMBER);
    if (!/[.eE]/.test(literal) && !Number.isSafeInteger(Number(literal))) this.onInteger([...this.path], literal);
  }

  private object(): void {
    this.expect('{');
    this.skipSpace();
    if (this.text[this.pos] === '}') { this.pos++; return; }
    for (;;) {
      this.skipSpace();
      const key = JSON.parse(this.match(STRING)) as string;
      this.expect(':');
      this.path.push(key);
      this.value();
      this.path.pop();
      this.skipSpace();
      if (this.text[this.pos] === ',') { this.pos++; continue; }
      this.expect('}');
      return;
    }
  }

  private array(): void {
    this.expect('[');
    this.skipSpace();
    if (this.text[this.pos] === ']') { this.pos++; return; }
    for (let i = 0; ; i++) {
      this.path.push(i);
      this.value();
      this.path.pop();
      this.skipSpace();
      if (this.text[this.pos] === ',') { this.pos++; continue; }
      this.expect(']');
      return;
    }
  }
}

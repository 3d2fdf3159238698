// Annotations "org.systemd.property.<Name>=<value>" (runc's, with --systemd-cgroup): extra
// properties of the container's unit. The value is GVariant text, of which tsrunc reads what such
// properties take: booleans, numbers (bare ones are int32 and double, as in GVariant; a type
// keyword such as "uint64 5" or "@t 5" picks another), strings in quotes, and arrays of those.
// As with runc, a name ending in a lowercase letter + "Sec" (TimeoutStopSec) is given in seconds
// and sent as the ...USec property in microseconds.
// In config/ because `validate` checks them too; the systemd cgroup driver sends what this returns.
import { TsruncError } from '../errors';
import { Variant, type DBusValue } from '../dbus/marshal';
import { SYSTEMD_PROPERTY_ANNOTATION } from './cgroups-path';

export { SYSTEMD_PROPERTY_ANNOTATION };

/** A unit property as systemd's transient-unit calls take it: (name, variant). */
type UnitProperty = [string, Variant];

const KEYWORDS: Record<string, string> = {
  boolean: 'b', byte: 'y', int16: 'n', uint16: 'q', int32: 'i', uint32: 'u', int64: 'x', uint64: 't', double: 'd',
  string: 's', objectpath: 'o', signature: 'g',
};

class GVariantText {
  private pos = 0;
  constructor(private readonly text: string) {}

  fail(why: string): never {
    throw new Error(`${why} at offset ${this.pos}`);
  }

  private ws(): void {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  atEnd(): boolean {
    this.ws();
    return this.pos >= this.text.length;
  }

  /** A value; `type` (a D-Bus signature) when known from a keyword or the array's first element. */
  value(type?: string): Variant {
    this.ws();
    const rest = this.text.slice(this.pos);
    const annotated = /^(@([a-z]+)|([a-z][a-z0-9]*))\s+/.exec(rest);
    if (annotated && !/^(true|false)\b/.test(rest)) {
      const t = annotated[2] ?? KEYWORDS[annotated[3]];
      if (!t) this.fail(`unknown type ${JSON.stringify(annotated[1])}`);
      this.pos += annotated[0].length;
      return this.value(t);
    }
    const c = this.text[this.pos];
    if (c === '[') return this.array(type);
    if (c === '"' || c === "'") return this.typed(type ?? 's', this.quoted());
    const word = /^[^\s,\]]+/.exec(rest)?.[0];
    if (!word) this.fail('a value was expected');
    this.pos += word.length;
    if (word === 'true' || word === 'false') return this.typed(type ?? 'b', word === 'true');
    if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(word)) this.fail(`${JSON.stringify(word)} is not a GVariant value tsrunc reads`);
    const float = /[.eE]/.test(word);
    return this.typed(type ?? (float ? 'd' : 'i'), float ? Number(word) : BigInt(word));
  }

  private typed(type: string, v: boolean | bigint | number | string): Variant {
    const range: Record<string, [bigint, bigint]> = {
      y: [0n, 255n], n: [-32768n, 32767n], q: [0n, 65535n], i: [-(1n << 31n), (1n << 31n) - 1n], u: [0n, (1n << 32n) - 1n],
      x: [-(1n << 63n), (1n << 63n) - 1n], t: [0n, (1n << 64n) - 1n],
    };
    if (type in range) {
      if (typeof v !== 'bigint') this.fail(`type ${type} needs an integer`);
      const [lo, hi] = range[type];
      if (v < lo || v > hi) this.fail(`${v} is out of range for type ${type}`);
      return new Variant(type, type === 'x' || type === 't' ? v : Number(v));
    }
    if (type === 'd') {
      if (typeof v !== 'bigint' && typeof v !== 'number') this.fail('type d needs a number');
      return new Variant('d', Number(v));
    }
    if (type === 'b') {
      if (typeof v !== 'boolean') this.fail('type b needs true or false');
      return new Variant('b', v);
    }
    if (type === 's' || type === 'o' || type === 'g') {
      if (typeof v !== 'string') this.fail(`type ${type} needs a quoted string`);
      return new Variant(type, v);
    }
    return this.fail(`type ${JSON.stringify(type)} is not one tsrunc reads here`);
  }

  private quoted(): string {
    const q = this.text[this.pos++];
    let out = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined) this.fail('unterminated string');
      if (c === q) return out;
      if (c === '\\') {
        const e = this.text[this.pos++];
        out += ({ n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" } as Record<string, string>)[e] ?? this.fail(`escape \\${e} is not supported`);
      } else out += c;
    }
  }

  private array(type?: string): Variant {
    this.pos++; // [
    let elem = type?.startsWith('a') ? type.slice(1) : undefined;
    if (type && !elem) this.fail(`an array where type ${type} was given`);
    const items: DBusValue[] = [];
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      if (!elem) this.fail('an empty array needs a type, e.g. @as []');
      return new Variant(`a${elem}`, []);
    }
    for (;;) {
      const v = this.value(elem);
      elem ??= v.signature;
      if (v.signature !== elem) this.fail('array elements of different types');
      items.push(v.value);
      this.ws();
      const c = this.text[this.pos++];
      if (c === ']') break;
      if (c !== ',') this.fail('"," or "]" was expected');
    }
    return new Variant(`a${elem}`, items);
  }
}

/** Seconds (any number type) as microseconds, a uint64. */
function secondsToMicros(v: Variant): Variant {
  const micros = (x: DBusValue): bigint => {
    if (typeof x === 'bigint') {
      if (x < 0n) throw new Error('a negative time');
      return x * 1000000n;
    }
    if (typeof x === 'number' && x >= 0 && Number.isFinite(x)) return BigInt(Math.round(x * 1e6));
    throw new Error(`a time in seconds must be a non-negative number (got type ${v.signature})`);
  };
  if (v.signature.startsWith('a')) return new Variant('at', (v.value as DBusValue[]).map(micros));
  return new Variant('t', micros(typeof v.value === 'number' && v.signature !== 'd' ? BigInt(v.value) : v.value));
}

/** The unit properties the config's annotations ask for; a bad one is an error naming it. */
export function annotationProperties(annotations: Record<string, string> | undefined): UnitProperty[] {
  const out: UnitProperty[] = [];
  for (const [key, text] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(SYSTEMD_PROPERTY_ANNOTATION)) continue;
    let name = key.slice(SYSTEMD_PROPERTY_ANNOTATION.length);
    const where = `annotations[${JSON.stringify(key)}]`;
    if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new TsruncError(`${where}: ${JSON.stringify(name)} is not a systemd property name (a capital letter, then letters and digits)`);
    let value: Variant;
    try {
      const p = new GVariantText(text);
      value = p.value();
      if (!p.atEnd()) p.fail('text after the value');
      const secs = /^(.*[a-z])Sec$/.exec(name);
      if (secs) {
        name = `${secs[1]}USec`;
        value = secondsToMicros(value);
      }
    } catch (e) {
      throw new TsruncError(`${where}: value ${JSON.stringify(text)}: ${(e as Error).message}`);
    }
    out.push([name, value]);
  }
  return out;
}

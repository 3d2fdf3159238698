// The D-Bus wire format (little-endian only, as every message we send is; we read big-endian
// ones too), for the types systemd's manager API needs: y b n q i u x t d s o g, arrays, structs,
// dict entries and variants. Unix fds (h) are not supported: nothing tsrunc calls passes them.
//
// Values in TypeScript: numbers for the integer types up to 32 bits and d, bigint for x and t,
// boolean for b, string for s o g, Buffer for ay (systemd's CPU and NUMA masks), an array for
// other arrays, an array of members for a struct, [key, value] for a dict entry, Variant for v.

export type DBusValue = number | bigint | boolean | string | Buffer | Variant | DBusValue[];

/** A value with its own signature (D-Bus "v"): `new Variant('t', 1024n)`. */
export class Variant {
  constructor(readonly signature: string, readonly value: DBusValue) {
    parseSignature(signature, true);
  }
}

export class DBusSignatureError extends Error {}

/** One complete type out of a signature, starting at `pos`; returns where it ends. */
function completeTypeEnd(sig: string, pos: number, depth = 0): number {
  if (depth > 64) throw new DBusSignatureError(`signature ${JSON.stringify(sig)} nests too deeply`);
  const c = sig[pos];
  switch (c) {
    case 'y': case 'b': case 'n': case 'q': case 'i': case 'u': case 'x': case 't': case 'd':
    case 's': case 'o': case 'g': case 'v':
      return pos + 1;
    case 'a':
      if (sig[pos + 1] === '{') {
        const keyEnd = completeTypeEnd(sig, pos + 2, depth + 1);
        if (!'ybnqiuxtdsog'.includes(sig[pos + 2] ?? '')) throw new DBusSignatureError(`dict key in ${JSON.stringify(sig)} must be a basic type`);
        const valueEnd = completeTypeEnd(sig, keyEnd, depth + 1);
        if (sig[valueEnd] !== '}') throw new DBusSignatureError(`dict entry in ${JSON.stringify(sig)} must have exactly two types`);
        return valueEnd + 1;
      }
      return completeTypeEnd(sig, pos + 1, depth + 1);
    case '(': {
      let p = pos + 1;
      if (sig[p] === ')') throw new DBusSignatureError(`empty struct in ${JSON.stringify(sig)}`);
      while (sig[p] !== ')') {
        if (p >= sig.length) throw new DBusSignatureError(`unclosed struct in ${JSON.stringify(sig)}`);
        p = completeTypeEnd(sig, p, depth + 1);
      }
      return p + 1;
    }
    default:
      throw new DBusSignatureError(`unsupported type ${JSON.stringify(c ?? '')} in signature ${JSON.stringify(sig)}`);
  }
}

/** The complete types of a signature ("sa(sv)" -> ["s", "a(sv)"]). `single`: exactly one. */
export function parseSignature(sig: string, single = false): string[] {
  if (sig.length > 255) throw new DBusSignatureError('signature longer than 255 bytes');
  const out: string[] = [];
  for (let p = 0; p < sig.length;) {
    const end = completeTypeEnd(sig, p);
    out.push(sig.slice(p, end));
    p = end;
  }
  if (single && out.length !== 1) throw new DBusSignatureError(`${JSON.stringify(sig)} is not one complete type`);
  return out;
}

function alignmentOf(type: string): number {
  switch (type[0]) {
    case 'y': case 'g': case 'v': return 1;
    case 'n': case 'q': return 2;
    case 'x': case 't': case 'd': case '(': case '{': return 8;
    default: return 4; // b i u s o a
  }
}

export class Writer {
  private buf = Buffer.alloc(256);
  length = 0;

  /** Offsets are counted from the start of the message (alignment is relative to it). */
  constructor(private readonly base = 0) {}

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  align(n: number): void {
    const pad = (n - ((this.base + this.length) % n)) % n;
    this.ensure(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }

  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Appends values of the signature's complete types, in order. */
  write(sig: string, values: readonly DBusValue[]): void {
    const types = parseSignature(sig);
    if (types.length !== values.length) throw new TypeError(`signature ${JSON.stringify(sig)} has ${types.length} types, got ${values.length} values`);
    types.forEach((t, i) => this.value(t, values[i]));
  }

  value(type: string, v: DBusValue): void {
    const fail = (): never => { throw new TypeError(`D-Bus type ${type}: cannot marshal ${describe(v)}`); };
    switch (type[0]) {
      case 'y': this.fixed(1, (b, o) => b.writeUInt8(int(v, 0, 0xff, type), o)); return;
      case 'b': if (typeof v !== 'boolean') fail(); this.fixed(4, (b, o) => b.writeUInt32LE(v ? 1 : 0, o)); return;
      case 'n': this.fixed(2, (b, o) => b.writeInt16LE(int(v, -0x8000, 0x7fff, type), o)); return;
      case 'q': this.fixed(2, (b, o) => b.writeUInt16LE(int(v, 0, 0xffff, type), o)); return;
      case 'i': this.fixed(4, (b, o) => b.writeInt32LE(int(v, -0x80000000, 0x7fffffff, type), o)); return;
      case 'u': this.fixed(4, (b, o) => b.writeUInt32LE(int(v, 0, 0xffffffff, type), o)); return;
      case 'x': this.fixed(8, (b, o) => b.writeBigInt64LE(big(v, -(1n << 63n), (1n << 63n) - 1n, type), o)); return;
      case 't': this.fixed(8, (b, o) => b.writeBigUInt64LE(big(v, 0n, (1n << 64n) - 1n, type), o)); return;
      case 'd': if (typeof v !== 'number') fail(); this.fixed(8, (b, o) => b.writeDoubleLE(v as number, o)); return;
      case 's': case 'o': {
        if (typeof v !== 'string') fail();
        const s = Buffer.from(v as string, 'utf8');
        if (s.includes(0)) fail();
        this.value('u', s.length);
        this.bytes(s);
        this.bytes(Buffer.alloc(1));
        return;
      }
      case 'g': {
        if (typeof v !== 'string') fail();
        parseSignature(v as string);
        const s = Buffer.from(v as string, 'ascii');
        this.value('y', s.length);
        this.bytes(s);
        this.bytes(Buffer.alloc(1));
        return;
      }
      case 'v': {
        if (!(v instanceof Variant)) fail();
        const variant = v as Variant;
        this.value('g', variant.signature);
        this.value(variant.signature, variant.value);
        return;
      }
      case '(': {
        const members = parseSignature(type.slice(1, -1));
        if (!Array.isArray(v) || v.length !== members.length) fail();
        this.align(8);
        members.forEach((t, i) => this.value(t, (v as DBusValue[])[i]));
        return;
      }
      case 'a': {
        const elem = type.slice(1);
        this.align(4);
        const lengthAt = this.length;
        this.value('u', 0);
        this.align(alignmentOf(elem));
        const start = this.length;
        if (elem === 'y' && Buffer.isBuffer(v)) {
          this.bytes(v);
        } else {
          if (!Array.isArray(v)) fail();
          for (const item of v as DBusValue[]) {
            if (elem[0] === '{') {
              if (!Array.isArray(item) || item.length !== 2) fail();
              const [k, val] = parseSignature(elem.slice(1, -1));
              this.align(8);
              this.value(k, (item as DBusValue[])[0]);
              this.value(val, (item as DBusValue[])[1]);
            } else {
              this.value(elem, item);
            }
          }
        }
        const n = this.length - start;
        if (n > 64 * 1024 * 1024) throw new TypeError('D-Bus array longer than 64 MiB');
        this.buf.writeUInt32LE(n, lengthAt);
        return;
      }
      default:
        throw new DBusSignatureError(`unsupported type ${type}`);
    }
  }

  private fixed(size: number, put: (b: Buffer, off: number) => void): void {
    this.align(size);
    this.ensure(size);
    put(this.buf, this.length);
    this.length += size;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Variant) return `variant<${v.signature}>`;
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}

function int(v: DBusValue, min: number, max: number, type: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new TypeError(`D-Bus type ${type}: ${describe(v)} is not an integer in ${min}..${max}`);
  return n;
}

function big(v: DBusValue, min: bigint, max: bigint, type: string): bigint {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else throw new TypeError(`D-Bus type ${type}: ${describe(v)} is not an integer`);
  if (n < min || n > max) throw new TypeError(`D-Bus type ${type}: ${n} is out of range`);
  return n;
}

export class DBusFormatError extends Error {}

export class Reader {
  pos: number;

  /** `buf` is the whole message (alignment counts from its start); reading begins at `pos`. */
  constructor(private readonly buf: Buffer, pos = 0, private readonly little = true, private readonly end = buf.length) {
    this.pos = pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  align(n: number): void {
    const pad = (n - (this.pos % n)) % n;
    this.need(pad);
    this.pos += pad;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new DBusFormatError('D-Bus message truncated');
  }

  read(sig: string): DBusValue[] {
    return parseSignature(sig).map((t) => this.value(t));
  }

  value(type: string, depth = 0): DBusValue {
    if (depth > 64) throw new DBusFormatError('D-Bus value nests too deeply');
    const b = this.buf;
    const L = this.little;
    const fixed = <T>(size: number, get: (off: number) => T): T => {
      this.align(size);
      this.need(size);
      const v = get(this.pos);
      this.pos += size;
      return v;
    };
    switch (type[0]) {
      case 'y': return fixed(1, (o) => b.readUInt8(o));
      case 'b': {
        const v = fixed(4, (o) => (L ? b.readUInt32LE(o) : b.readUInt32BE(o)));
        if (v > 1) throw new DBusFormatError(`D-Bus boolean ${v}`);
        return v === 1;
      }
      case 'n': return fixed(2, (o) => (L ? b.readInt16LE(o) : b.readInt16BE(o)));
      case 'q': return fixed(2, (o) => (L ? b.readUInt16LE(o) : b.readUInt16BE(o)));
      case 'i': return fixed(4, (o) => (L ? b.readInt32LE(o) : b.readInt32BE(o)));
      case 'u': return fixed(4, (o) => (L ? b.readUInt32LE(o) : b.readUInt32BE(o)));
      case 'x': return fixed(8, (o) => (L ? b.readBigInt64LE(o) : b.readBigInt64BE(o)));
      case 't': return fixed(8, (o) => (L ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)));
      case 'd': return fixed(8, (o) => (L ? b.readDoubleLE(o) : b.readDoubleBE(o)));
      case 's': case 'o': {
        const n = this.value('u') as number;
        this.need(n + 1);
        const s = b.toString('utf8', this.pos, this.pos + n);
        if (b[this.pos + n] !== 0) throw new DBusFormatError('D-Bus string not NUL-terminated');
        this.pos += n + 1;
        return s;
      }
      case 'g': {
        const n = this.value('y') as number;
        this.need(n + 1);
        const s = b.toString('ascii', this.pos, this.pos + n);
        this.pos += n + 1;
        return s;
      }
      case 'v': {
        const sig = this.value('g') as string;
        let single: string;
        try { single = parseSignature(sig, true)[0]; } catch (e) { throw new DBusFormatError(`D-Bus variant: ${(e as Error).message}`); }
        return new Variant(single, this.value(single, depth + 1));
      }
      case '(': {
        this.align(8);
        return parseSignature(type.slice(1, -1)).map((t) => this.value(t, depth + 1));
      }
      case 'a': {
        const elem = type.slice(1);
        const n = this.value('u') as number;
        if (n > 64 * 1024 * 1024) throw new DBusFormatError('D-Bus array longer than 64 MiB');
        this.align(alignmentOf(elem));
        this.need(n);
        const stop = this.pos + n;
        if (elem === 'y') {
          const out = Buffer.from(b.subarray(this.pos, stop));
          this.pos = stop;
          return out;
        }
        const out: DBusValue[] = [];
        const entry = elem[0] === '{' ? parseSignature(elem.slice(1, -1)) : undefined;
        while (this.pos < stop) {
          if (entry) {
            this.align(8);
            out.push([this.value(entry[0], depth + 1), this.value(entry[1], depth + 1)]);
          } else {
            out.push(this.value(elem, depth + 1));
          }
        }
        if (this.pos !== stop) throw new DBusFormatError('D-Bus array length does not match its elements');
        return out;
      }
      default:
        throw new DBusFormatError(`unsupported D-Bus type ${type}`);
    }
  }
}

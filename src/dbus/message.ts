// D-Bus messages: the fixed header, the header fields, the body; and where one message ends in a
// stream, so a reader can split what arrives on the socket.
import { DBusFormatError, Reader, Variant, Writer, type DBusValue } from './marshal';

export const enum MessageType { MethodCall = 1, MethodReturn = 2, Error = 3, Signal = 4 }

/** Flag: the caller wants no reply. */
export const NO_REPLY_EXPECTED = 0x1;

export interface Message {
  type: MessageType;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  /** The body's signature ("" for none). */
  signature: string;
  body: DBusValue[];
}

const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8, unixFds: 9 } as const;
const FIELD_TYPE: Record<number, string> = { 1: 'o', 2: 's', 3: 's', 4: 's', 5: 'u', 6: 's', 7: 's', 8: 'g', 9: 'u' };

/** The most a message may be (the specification's limit). */
const MAX_MESSAGE = 128 * 1024 * 1024;

export function encodeMessage(m: Message): Buffer {
  const body = new Writer(0);
  // The body starts 8-aligned, so alignment counted from its own start is the same.
  if (m.signature) body.write(m.signature, m.body);
  const fields: DBusValue[] = [];
  const add = (code: number, value: DBusValue | undefined) => {
    if (value !== undefined) fields.push([code, new Variant(FIELD_TYPE[code], value)]);
  };
  add(FIELD.path, m.path);
  add(FIELD.interface, m.interface);
  add(FIELD.member, m.member);
  add(FIELD.errorName, m.errorName);
  add(FIELD.replySerial, m.replySerial);
  add(FIELD.destination, m.destination);
  add(FIELD.sender, m.sender);
  if (m.signature) add(FIELD.signature, m.signature);
  const head = new Writer(0);
  head.bytes(Buffer.from([0x6c /* 'l' */, m.type, m.flags, 1]));
  head.value('u', body.length);
  head.value('u', m.serial);
  head.value('a(yv)', fields);
  head.align(8);
  return Buffer.concat([head.result(), body.result()]);
}

/** Length of the message at the start of `buf` once its first 16 bytes are there, else undefined. */
export function messageLength(buf: Buffer): number | undefined {
  if (buf.length < 16) return undefined;
  const little = endianOf(buf);
  const bodyLen = little ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
  const fieldsLen = little ? buf.readUInt32LE(12) : buf.readUInt32BE(12);
  const headerLen = 16 + fieldsLen + ((8 - (fieldsLen % 8)) % 8);
  const total = headerLen + bodyLen;
  if (total > MAX_MESSAGE) throw new DBusFormatError(`D-Bus message of ${total} bytes is too long`);
  return total;
}

function endianOf(buf: Buffer): boolean {
  if (buf[0] === 0x6c) return true;
  if (buf[0] === 0x42) return false;
  throw new DBusFormatError(`D-Bus message with endianness byte 0x${buf[0].toString(16)}`);
}

export function decodeMessage(buf: Buffer): Message {
  const little = endianOf(buf);
  if (buf[3] !== 1) throw new DBusFormatError(`D-Bus protocol version ${buf[3]}`);
  const r = new Reader(buf, 4, little);
  const bodyLen = r.value('u') as number;
  const serial = r.value('u') as number;
  const fields = r.value('a(yv)') as [number, Variant][];
  r.align(8);
  const m: Message = { type: buf[1] as MessageType, flags: buf[2], serial, signature: '', body: [] };
  for (const [code, v] of fields) {
    const value = v.value;
    switch (code) {
      case FIELD.path: m.path = value as string; break;
      case FIELD.interface: m.interface = value as string; break;
      case FIELD.member: m.member = value as string; break;
      case FIELD.errorName: m.errorName = value as string; break;
      case FIELD.replySerial: m.replySerial = value as number; break;
      case FIELD.destination: m.destination = value as string; break;
      case FIELD.sender: m.sender = value as string; break;
      case FIELD.signature: m.signature = value as string; break;
      case FIELD.unixFds: if ((value as number) > 0) throw new DBusFormatError('D-Bus message carries unix fds, which tsrunc never asks for'); break;
      default: break; // unknown fields are to be ignored
    }
  }
  const bodyStart = r.pos;
  if (bodyStart + bodyLen !== buf.length) throw new DBusFormatError('D-Bus message length does not match its header');
  if (m.signature) {
    const body = new Reader(buf, bodyStart, little, bodyStart + bodyLen);
    m.body = body.read(m.signature);
    if (body.remaining !== 0) throw new DBusFormatError('D-Bus message body longer than its signature');
  }
  return m;
}

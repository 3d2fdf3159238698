// A synchronous D-Bus connection over a unix socket: EXTERNAL authentication (the kernel tells the
// peer our uid), method calls that wait for their reply with a deadline, and the signals that
// arrive meanwhile kept for whoever waits for them. Synchronous because its one user, the cgroup
// driver, runs inside create/delete/update, which are straight lines (as the launcher's socket is).
// Either a peer connection (systemd's private socket: no bus daemon, so no Hello, which systemd
// does not answer there) or a bus connection (Hello first, as the bus requires).
import * as fs from 'node:fs';
import { addon } from '../native/addon';
import { Variant, type DBusValue } from './marshal';
import { decodeMessage, encodeMessage, messageLength, MessageType, NO_REPLY_EXPECTED, type Message } from './message';

export class DBusError extends Error {
  /** `name` is the D-Bus error name, e.g. org.freedesktop.systemd1.NoSuchUnit. */
  constructor(override readonly name: string, message: string) {
    super(message ? `${name}: ${message}` : name);
  }
}

/** The connection failed or timed out (as opposed to an error reply). */
export class DBusTransportError extends Error {}

export interface CallOptions {
  destination?: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: DBusValue[];
  timeoutMs?: number;
  /** No reply after this long: send the peer a Ping, which wakes a peer that has our call
   * buffered but is not looking at it (see SystemdManager.connect); again after twice as long
   * (up to a second) while there is still no reply: a peer slow enough to read the Ping together
   * with the call is stuck the same way. */
  nudgeMs?: number;
}

const DEFAULT_TIMEOUT_MS = 25_000;
const MAX_NUDGE_INTERVAL_MS = 1000;

export class DBusConnection {
  private serial = 0;
  private inbuf = Buffer.alloc(0);
  private readonly chunk = Buffer.allocUnsafe(65536);
  private readonly pendingSignals: Message[] = [];
  private closed = false;
  /** Our unique name on a bus (from Hello); undefined on a peer connection. */
  uniqueName?: string;

  private constructor(private readonly fd: number, readonly address: string) {}

  /**
   * Connects to a unix socket path and authenticates. `bus`: a message bus (Hello is sent);
   * otherwise a peer such as /run/systemd/private.
   */
  static connect(socketPath: string, opts: { bus: boolean; timeoutMs?: number }): DBusConnection {
    let fd: number;
    try {
      fd = addon().connectUnix(socketPath);
    } catch (e) {
      throw new DBusTransportError(`connect ${socketPath}: ${(e as Error).message}`);
    }
    const c = new DBusConnection(fd, socketPath);
    try {
      c.authenticate(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      if (opts.bus) {
        const [name] = c.call({
          destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello', timeoutMs: opts.timeoutMs,
        });
        c.uniqueName = String(name);
      }
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  private authenticate(timeoutMs: number): void {
    const uid = String(process.getuid?.() ?? 0);
    // The NUL byte first (credentials byte), then the SASL exchange, line by line.
    this.writeAll(Buffer.from(`\0AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\n`, 'latin1'));
    const line = this.readLine(Date.now() + timeoutMs);
    if (!line.startsWith('OK ')) throw new DBusTransportError(`D-Bus authentication at ${this.address} refused: ${line.trim()}`);
    this.writeAll(Buffer.from('BEGIN\r\n', 'latin1'));
  }

  private readLine(deadline: number): string {
    for (;;) {
      const nl = this.inbuf.indexOf('\r\n');
      if (nl >= 0) {
        const line = this.inbuf.toString('latin1', 0, nl);
        this.inbuf = this.inbuf.subarray(nl + 2);
        return line;
      }
      if (this.inbuf.length > 16384) throw new DBusTransportError('D-Bus authentication: line too long');
      this.fill(deadline);
    }
  }

  private writeAll(data: Buffer): void {
    if (this.closed) throw new DBusTransportError('D-Bus connection is closed');
    let off = 0;
    while (off < data.length) {
      try {
        off += fs.writeSync(this.fd, data, off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') { addon().poll([this.fd], 100); continue; }
        throw new DBusTransportError(`write to ${this.address}: ${(e as Error).message}`);
      }
    }
  }

  /** Reads what the socket has, waiting until `deadline` for something to arrive. */
  private fill(deadline: number): void {
    const left = deadline - Date.now();
    if (left <= 0) throw new DBusTransportError(`no answer from ${this.address} in time`);
    const [revents] = addon().poll([this.fd], left);
    if (!revents) throw new DBusTransportError(`no answer from ${this.address} in time`);
    let n: number;
    try {
      n = fs.readSync(this.fd, this.chunk, 0, this.chunk.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
      throw new DBusTransportError(`read from ${this.address}: ${(e as Error).message}`);
    }
    if (n === 0) throw new DBusTransportError(`${this.address} closed the connection`);
    this.inbuf = Buffer.concat([this.inbuf, this.chunk.subarray(0, n)]);
  }

  /** The next whole message, waiting until `deadline`. */
  private nextMessage(deadline: number): Message {
    for (;;) {
      const len = messageLength(this.inbuf);
      if (len !== undefined && this.inbuf.length >= len) {
        const m = decodeMessage(Buffer.from(this.inbuf.subarray(0, len)));
        this.inbuf = this.inbuf.subarray(len);
        return m;
      }
      this.fill(deadline);
    }
  }

  /** Sends a method call; returns its serial. */
  send(opts: CallOptions, flags = 0): number {
    const serial = ++this.serial;
    this.writeAll(encodeMessage({
      type: MessageType.MethodCall, flags, serial,
      destination: opts.destination, path: opts.path, interface: opts.interface, member: opts.member,
      signature: opts.signature ?? '', body: opts.body ?? [],
    }));
    return serial;
  }

  /** Calls a method and returns the reply's body; an error reply throws DBusError. */
  call(opts: CallOptions): DBusValue[] {
    const serial = this.send(opts);
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    let nudgeAfter = opts.nudgeMs;
    let nudgeAt = nudgeAfter === undefined ? undefined : Math.min(deadline, Date.now() + nudgeAfter);
    for (;;) {
      let m: Message;
      try {
        if (nudgeAt !== undefined) {
          try {
            m = this.nextMessage(nudgeAt);
          } catch (e) {
            if (!(e instanceof DBusTransportError) || Date.now() >= deadline || !/in time/.test(e.message)) throw e;
            nudgeAfter = Math.min(2 * (nudgeAfter ?? 0), MAX_NUDGE_INTERVAL_MS);
            nudgeAt = Math.min(deadline, Date.now() + nudgeAfter);
            this.send({ destination: opts.destination, path: '/', interface: 'org.freedesktop.DBus.Peer', member: 'Ping' }, NO_REPLY_EXPECTED);
            continue;
          }
        } else {
          m = this.nextMessage(deadline);
        }
      } catch (e) {
        if (e instanceof DBusTransportError) throw new DBusTransportError(`${opts.interface}.${opts.member}: ${e.message}`);
        throw e;
      }
      if (m.type === MessageType.Signal) { this.pendingSignals.push(m); continue; }
      if (m.replySerial !== serial) continue; // a reply to a call we gave up on
      if (m.type === MessageType.Error) throw new DBusError(m.errorName ?? 'org.freedesktop.DBus.Error.Failed', typeof m.body[0] === 'string' ? m.body[0] : '');
      return m.body;
    }
  }

  /** The first signal (already received, or arriving before `timeoutMs`) that `match` accepts;
   * the others stay queued. Throws DBusTransportError on timeout. */
  waitSignal(match: (m: Message) => boolean, timeoutMs: number): Message {
    const i = this.pendingSignals.findIndex(match);
    if (i >= 0) return this.pendingSignals.splice(i, 1)[0];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.nextMessage(deadline);
      if (m.type !== MessageType.Signal) continue;
      if (match(m)) return m;
      this.pendingSignals.push(m);
      // Unbounded growth would mean a flood of signals nobody asked about.
      if (this.pendingSignals.length > 10000) this.pendingSignals.shift();
    }
  }

  /** org.freedesktop.DBus.Properties.Get. */
  getProperty(destination: string, objectPath: string, iface: string, name: string): DBusValue {
    const [v] = this.call({
      destination: destination || undefined, path: objectPath, interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [iface, name],
    });
    return v instanceof Variant ? v.value : v;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

// tsrunc's own D-Bus client (src/dbus/): the wire format byte for byte where the specification
// fixes it (alignment, lengths, variants, header fields), round trips of the signatures the
// systemd driver sends, and a connection to a real peer: a socketpair-free unix listener here
// that speaks the EXTERNAL handshake and answers one call. Against systemd itself:
// test/guest/systemd-lane.guest.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Reader, Variant, Writer, parseSignature, type DBusValue } from '../../src/dbus/marshal';
import { decodeMessage, encodeMessage, messageLength, MessageType } from '../../src/dbus/message';
import { unixPathOfAddress } from '../../src/cgroups/systemd/systemd-api';

const hex = (b: Buffer): string => b.toString('hex');

function marshal(sig: string, values: DBusValue[]): Buffer {
  const w = new Writer(0);
  w.write(sig, values);
  return w.result();
}

test('basic types: little-endian, each aligned to its size from the start of the message', () => {
  assert.equal(hex(marshal('yq', [1, 0x0203])), '01' + '00' + '0302');
  assert.equal(hex(marshal('yu', [1, 5])), '01000000' + '05000000');
  assert.equal(hex(marshal('yt', [1, 0x0102030405060708n])), '01' + '00'.repeat(7) + '0807060504030201');
  assert.equal(hex(marshal('x', [-1n])), 'ff'.repeat(8));
  assert.equal(hex(marshal('b', [true])), '01000000');
  assert.equal(hex(marshal('d', [1])), '000000000000f03f');
  // Alignment counts from the message start, not the writer's: an offset of 4 needs 4 bytes of pad before a t.
  const w = new Writer(4);
  w.write('t', [1n]);
  assert.equal(hex(w.result()), '00000000' + '0100000000000000');
});

test('strings, object paths and signatures: length, bytes, NUL', () => {
  assert.equal(hex(marshal('s', ['ab'])), '02000000' + '6162' + '00');
  assert.equal(hex(marshal('o', ['/'])), '01000000' + '2f' + '00');
  assert.equal(hex(marshal('g', ['sv'])), '02' + '7376' + '00');
  assert.throws(() => marshal('s', ['a\0b']), /cannot marshal/);
});

test('arrays: the length excludes the padding before the first element, even when empty', () => {
  // a(sv) with no element: length 0, then padding to 8 for the (absent) first struct.
  assert.equal(hex(marshal('a(sv)', [[]])), '00000000' + '00000000');
  // at: 4-byte length (16), 4 bytes of padding, two 8-byte elements.
  assert.equal(hex(marshal('at', [[1n, 2n]])), '10000000' + '00000000' + '0100000000000000' + '0200000000000000');
  // ay from a Buffer.
  assert.equal(hex(marshal('ay', [Buffer.from([7, 8])])), '02000000' + '0708');
  assert.equal(hex(marshal('au', [[1, 2]])), '08000000' + '01000000' + '02000000');
});

test('variants carry their signature; structs align to 8', () => {
  assert.equal(hex(marshal('v', [new Variant('u', 3)])), '01' + '75' + '00' + '00' + '03000000');
  assert.equal(hex(marshal('y(y)', [9, [1]])), '09' + '00'.repeat(7) + '01');
  assert.throws(() => new Variant('uu', 1), /not one complete type/);
});

test('integers out of range and wrong kinds are refused, not wrapped', () => {
  assert.throws(() => marshal('y', [256]), /0\.\.255/);
  assert.throws(() => marshal('u', [-1]), /not an integer/);
  assert.throws(() => marshal('t', [-1n]), /out of range/);
  assert.throws(() => marshal('t', [1.5]), /not an integer/);
  assert.throws(() => marshal('b', [1]), /cannot marshal/);
  assert.throws(() => marshal('(su)', [['a']]), /cannot marshal/);
});

test('signatures: complete types, dict entries, and what is refused', () => {
  assert.deepEqual(parseSignature('ssa(sv)a(sa(sv))'), ['s', 's', 'a(sv)', 'a(sa(sv))']);
  assert.deepEqual(parseSignature('a{sv}u'), ['a{sv}', 'u']);
  for (const bad of ['(', '()', 'a', 'a{vs}', 'a{sss}', 'h', 'z']) assert.throws(() => parseSignature(bad), /signature|type|struct|dict/, bad);
});

test('StartTransientUnit arguments round-trip through the reader', () => {
  const sig = 'ssa(sv)a(sa(sv))';
  const values: DBusValue[] = [
    'tsrunc-c1.scope', 'replace',
    [
      ['Description', new Variant('s', 'tsrunc container c1')],
      ['Delegate', new Variant('b', true)],
      ['PIDs', new Variant('au', [1234])],
      ['MemoryMax', new Variant('t', 67108864n)],
      ['AllowedCPUs', new Variant('ay', Buffer.from([0x05]))],
      ['CPUQuotaPerSecUSec', new Variant('t', (1n << 64n) - 1n)],
    ],
    [],
  ];
  const bytes = marshal(sig, values);
  const back = new Reader(bytes).read(sig);
  assert.deepEqual(back, values);
  // a{sv} reads as [key, value] pairs.
  const dict = marshal('a{sv}', [[['k', new Variant('i', -2)]]]);
  assert.deepEqual(new Reader(dict).read('a{sv}'), [[['k', new Variant('i', -2)]]]);
});

test('messages: header fields, 8-aligned body, and the length a stream reader needs', () => {
  const m = encodeMessage({
    type: MessageType.MethodCall, flags: 0, serial: 7, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager',
    member: 'StopUnit', destination: 'org.freedesktop.systemd1', signature: 'ss', body: ['x.scope', 'replace'],
  });
  assert.equal(hex(m.subarray(0, 4)), '6c010001');
  assert.equal(m.readUInt32LE(8), 7);
  const fieldsLen = m.readUInt32LE(12);
  const bodyStart = 16 + fieldsLen + ((8 - (fieldsLen % 8)) % 8);
  assert.equal(bodyStart % 8, 0);
  assert.equal(m.readUInt32LE(4), m.length - bodyStart);
  assert.equal(messageLength(m), m.length);
  assert.equal(messageLength(m.subarray(0, 15)), undefined);
  const back = decodeMessage(m);
  assert.equal(back.member, 'StopUnit');
  assert.equal(back.signature, 'ss');
  assert.deepEqual(back.body, ['x.scope', 'replace']);
  assert.equal(back.destination, 'org.freedesktop.systemd1');
  assert.equal(back.serial, 7);
});

test('a big-endian message from a peer is read right', () => {
  // Hand-made: an error reply, serial 2, reply to 1, ERROR_NAME "e.E", signature "s", body "hi".
  const fields = Buffer.concat([
    Buffer.from('04017300' + '00000003' + '652e4500', 'hex'), // (4, v(s "e.E")) (big-endian length)
    Buffer.from('00000000', 'hex'), // pad to 8
    Buffer.from('05017500' + '00000001', 'hex'), // (5, v(u 1))
    Buffer.from('08016700' + '01730000', 'hex'), // (8, v(g "s")) + 1 byte of pad
  ]);
  const fieldsLen = fields.length - 1; // the last byte is padding after the array
  const body = Buffer.from('00000002' + '686900', 'hex');
  const head = Buffer.from('42030001' + body.length.toString(16).padStart(8, '0') + '00000002' + fieldsLen.toString(16).padStart(8, '0'), 'hex');
  const msg = Buffer.concat([head, fields, body]);
  const m = decodeMessage(msg);
  assert.equal(m.type, MessageType.Error);
  assert.equal(m.errorName, 'e.E');
  assert.equal(m.replySerial, 1);
  assert.deepEqual(m.body, ['hi']);
});

test('truncated or inconsistent input is an error, not a hang or a wrong value', () => {
  const good = marshal('s', ['abc']);
  assert.throws(() => new Reader(good.subarray(0, 6)).read('s'), /truncated/);
  assert.throws(() => new Reader(Buffer.from('03000000616263ff', 'hex')).read('s'), /NUL/);
  assert.throws(() => new Reader(Buffer.from('02000000', 'hex')).read('b'), /boolean/);
  assert.throws(() => decodeMessage(Buffer.from('78010001000000000100000000000000', 'hex')), /endianness/);
});

test('D-Bus addresses: the first unix:path= is used, escapes decoded', () => {
  assert.equal(unixPathOfAddress('unix:path=/run/dbus/system_bus_socket'), '/run/dbus/system_bus_socket');
  assert.equal(unixPathOfAddress('tcp:host=x,port=1;unix:guid=1,path=/tmp/a%20b'), '/tmp/a b');
  assert.equal(unixPathOfAddress('unix:abstract=foo'), undefined);
});

/** A unix listener speaking the server side of the handshake; `onCall` gets each decoded call. */
async function withPeer(onCall: (c: net.Socket, call: ReturnType<typeof decodeMessage>) => void, fn: (sock: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-dbus-'));
  const sock = path.join(dir, 's');
  const server = net.createServer((c) => {
    let buf = Buffer.alloc(0);
    let authed = false;
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!authed) {
        const text = buf.toString('latin1');
        if (!text.includes('BEGIN\r\n')) {
          if (text.endsWith('\r\n')) c.write('OK 0123456789abcdef0123456789abcdef\r\n');
          return;
        }
        authed = true;
        buf = buf.subarray(buf.indexOf('BEGIN\r\n') + 7);
      }
      for (;;) {
        const len = messageLength(buf);
        if (len === undefined || buf.length < len) return;
        const call = decodeMessage(buf.subarray(0, len));
        buf = buf.subarray(len);
        onCall(c, call);
      }
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    await fn(sock);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a synchronous client script in a child (this process's event loop serves the peer). */
async function runClient(script: string): Promise<string> {
  const { execFile } = await import('node:child_process');
  const prelude = `const { DBusConnection } = require(${JSON.stringify(path.resolve(__dirname, '../../src/dbus/connection.js'))});`;
  return new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['-e', prelude + script], { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

test('a peer that sits on our first call is woken by one Ping after nudgeMs (systemd 252 on its private socket)', async () => {
  const seen: string[] = [];
  let held: ReturnType<typeof decodeMessage> | undefined;
  await withPeer((c, call) => {
    seen.push(`${call.member}${call.flags & 1 ? '(no reply)' : ''}`);
    const reply = (to: ReturnType<typeof decodeMessage>) => c.write(encodeMessage({ type: MessageType.MethodReturn, flags: 0, serial: 100 + to.serial, replySerial: to.serial, signature: '', body: [] }));
    // The first call is only answered once something else arrives, as systemd does.
    if (!held && call.member === 'Subscribe') { held = call; return; }
    if (held) { reply(held); held = undefined; }
    if (!(call.flags & 1)) reply(call);
  }, async (sock) => {
    const out = await runClient(`
      const c = DBusConnection.connect(${JSON.stringify(sock)}, { bus: false, timeoutMs: 5000 });
      const t0 = Date.now();
      c.call({ path: '/', interface: 'i.I', member: 'Subscribe', timeoutMs: 5000, nudgeMs: 100 });
      const took = Date.now() - t0;
      let second = 'answered';
      try { c.call({ path: '/', interface: 'i.I', member: 'Subscribe', timeoutMs: 500 }); } catch (e) { second = e.message; }
      process.stdout.write(JSON.stringify({ took, second }));`);
    const r = JSON.parse(out) as { took: number; second: string };
    assert.ok(r.took >= 90 && r.took < 3000, `answered after the nudge: ${r.took} ms`);
    // Without a nudge the held call is never answered: the deadline says so.
    assert.match(r.second, /Subscribe: no answer from .* in time/);
  });
  assert.deepEqual(seen, ['Subscribe', 'Ping(no reply)', 'Subscribe']);
});

test('a peer that also sits on the first Ping is woken by the next ones (nudges at doubling intervals)', async () => {
  const seen: string[] = [];
  let held: ReturnType<typeof decodeMessage> | undefined;
  let pings = 0;
  await withPeer((c, call) => {
    seen.push(call.member ?? '');
    if (call.member === 'Subscribe') { held = call; return; }
    // Answers only at the third Ping, as a systemd slow enough to read the call and the first
    // Pings in one go would.
    if (++pings < 3 || !held) return;
    c.write(encodeMessage({ type: MessageType.MethodReturn, flags: 0, serial: 100, replySerial: held.serial, signature: '', body: [] }));
    held = undefined;
  }, async (sock) => {
    const out = await runClient(`
      const c = DBusConnection.connect(${JSON.stringify(sock)}, { bus: false, timeoutMs: 5000 });
      const t0 = Date.now();
      c.call({ path: '/', interface: 'i.I', member: 'Subscribe', timeoutMs: 5000, nudgeMs: 50 });
      process.stdout.write(JSON.stringify({ took: Date.now() - t0 }));`);
    const r = JSON.parse(out) as { took: number };
    // Pings after 50, 150 and 350 ms.
    assert.ok(r.took >= 300 && r.took < 4000, `answered after the third nudge: ${r.took} ms`);
  });
  assert.deepEqual(seen, ['Subscribe', 'Ping', 'Ping', 'Ping']);
});

test('the connection authenticates with EXTERNAL (our uid in hex), skips Hello on a peer, and reads a reply split across reads', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-dbus-'));
  const sock = path.join(dir, 's');
  const seen: string[] = [];
  const server = net.createServer((c) => {
    let buf = Buffer.alloc(0);
    let authed = false;
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!authed) {
        const text = buf.toString('latin1');
        if (!text.includes('BEGIN\r\n')) {
          if (text.includes('AUTH EXTERNAL') && text.endsWith('\r\n') && !seen.length) {
            seen.push(text);
            c.write('OK 0123456789abcdef0123456789abcdef\r\n');
          }
          return;
        }
        authed = true;
        buf = buf.subarray(buf.indexOf('BEGIN\r\n') + 7);
      }
      const len = messageLength(buf);
      if (len === undefined || buf.length < len) return;
      const call = decodeMessage(buf.subarray(0, len));
      buf = buf.subarray(len);
      seen.push(call.member ?? '');
      const signal = encodeMessage({ type: MessageType.Signal, flags: 0, serial: 1, path: '/x', interface: 'a.B', member: 'Sig', signature: 'u', body: [5] });
      const reply = encodeMessage({ type: MessageType.MethodReturn, flags: 0, serial: 2, replySerial: call.serial, signature: 's', body: [`re:${String(call.body[0])}`] });
      // A signal first, then the reply in two pieces.
      c.write(signal);
      c.write(reply.subarray(0, 5));
      setTimeout(() => c.write(reply.subarray(5)), 50);
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    // The client is synchronous: it runs in a child so this process's event loop can serve it.
    const { execFile } = await import('node:child_process');
    const script = `
      const { DBusConnection } = require(${JSON.stringify(path.resolve(__dirname, '../../src/dbus/connection.js'))});
      const c = DBusConnection.connect(${JSON.stringify(sock)}, { bus: false, timeoutMs: 5000 });
      const r = c.call({ path: '/p', interface: 'i.I', member: 'Echo', signature: 's', body: ['x'], timeoutMs: 5000 });
      const s = c.waitSignal((m) => m.member === 'Sig', 1000);
      process.stdout.write(JSON.stringify({ r, sig: s.body[0] }));
      c.close();`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['-e', script], { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    assert.deepEqual(JSON.parse(out), { r: ['re:x'], sig: 5 });
    const uidHex = Buffer.from(String(process.getuid?.() ?? 0)).toString('hex');
    assert.equal(seen[0], `\0AUTH EXTERNAL ${uidHex}\r\n`);
    assert.deepEqual(seen.slice(1), ['Echo'], 'no Hello on a peer connection');
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The streaming half of CRI Exec, as `kubectl exec` reaches it: the Exec call returns a URL of
// containerd's streaming server, and the client speaks Kubernetes' remote-command protocol there.
// Of the server's two transports (SPDY and WebSocket) this is the WebSocket one, subprotocol
// `v4.channel.k8s.io`: every binary message starts with a channel byte (0 stdin, 1 stdout,
// 2 stderr, 3 the final status as a JSON metav1.Status, 4 terminal resize). A minimal RFC 6455
// client is enough for it (Node 20 has no WebSocket client without a flag): client frames masked,
// server frames plain, pings answered, fragments joined.

import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';

export interface StreamExecResult {
  stdout: string;
  stderr: string;
  /** From the status channel: 0 on Success, the NonZeroExitCode cause's number otherwise. */
  exitCode: number | undefined;
  /** The status message itself, for failures that are not an exit code. */
  status: Record<string, unknown> | undefined;
}

const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3 } as const;
const OP = { continuation: 0, binary: 2, close: 8, ping: 9, pong: 10 } as const;

function frame(opcode: number, payload: Buffer): Buffer {
  const mask = crypto.randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len])
    : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff])
      : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i += 1) body[i] ^= mask[i % 4];
  return Buffer.concat([head, mask, body]);
}

/** Splits server frames off `buf`; returns the frames whole and what is left over. */
function parseFrames(buf: Buffer): { frames: { fin: boolean; opcode: number; payload: Buffer }[]; rest: Buffer } {
  const frames: { fin: boolean; opcode: number; payload: Buffer }[] = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    const b0 = buf[off];
    const b1 = buf[off + 1];
    let len = b1 & 0x7f;
    let p = off + 2;
    if (len === 126) {
      if (buf.length - p < 2) break;
      len = buf.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (buf.length - p < 8) break;
      len = Number(buf.readBigUInt64BE(p));
      p += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const maskKey = masked ? buf.subarray(p, p + 4) : undefined;
    if (masked) p += 4;
    if (buf.length - p < len) break;
    const payload = Buffer.from(buf.subarray(p, p + len));
    if (maskKey) for (let i = 0; i < payload.length; i += 1) payload[i] ^= maskKey[i % 4];
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
    off = p + len;
  }
  return { frames, rest: buf.subarray(off) };
}

function exitCodeOf(status: Record<string, unknown>): number | undefined {
  if (status.status === 'Success') return 0;
  const causes = (status.details as { causes?: { reason?: string; message?: string }[] } | undefined)?.causes ?? [];
  const c = causes.find((x) => x.reason === 'ExitCode');
  return c?.message !== undefined ? Number(c.message) : undefined;
}

/**
 * Runs the exec behind `url` (from CRI Exec) to its end: sends `stdin` once the stream is open
 * (the v4 protocol has no end-of-input, so the command must not wait for EOF), collects the output
 * and the status, and resolves when the server closes the connection.
 */
export function streamExec(url: string, stdin?: string, timeoutMs = 30_000): Promise<StreamExecResult> {
  return new Promise((resolve, reject) => {
    const key = crypto.randomBytes(16).toString('base64');
    const req = http.request(url, {
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key,
        'Sec-WebSocket-Protocol': 'v4.channel.k8s.io', Origin: new URL(url).origin,
      },
    });
    const timer = setTimeout(() => { req.destroy(new Error(`streaming exec timed out after ${timeoutMs} ms`)); }, timeoutMs);
    const fail = (e: Error): void => { clearTimeout(timer); reject(e); };
    req.on('error', fail);
    req.on('response', (res) => fail(new Error(`streaming exec: HTTP ${res.statusCode}, no upgrade to WebSocket`)));
    req.on('upgrade', (res, socket: Duplex, head: Buffer) => {
      const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (res.headers['sec-websocket-accept'] !== accept) return fail(new Error('streaming exec: bad Sec-WebSocket-Accept'));
      const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
      let status: Record<string, unknown> | undefined;
      let pending = Buffer.alloc(0);
      let message: Buffer[] = [];
      let closing = false;
      const onMessage = (m: Buffer): void => {
        if (m.length <= 1) return; // an empty message per channel announces it
        const data = m.subarray(1);
        if (m[0] === CHANNEL.stdout) out.stdout.push(data);
        else if (m[0] === CHANNEL.stderr) out.stderr.push(data);
        else if (m[0] === CHANNEL.status) status = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      };
      const onData = (chunk: Buffer): void => {
        const parsed = parseFrames(Buffer.concat([pending, chunk]));
        pending = parsed.rest;
        for (const f of parsed.frames) {
          if (f.opcode === OP.ping) socket.write(frame(OP.pong, f.payload));
          else if (f.opcode === OP.close) {
            closing = true;
            socket.end(frame(OP.close, Buffer.alloc(0)));
          }
          else if (f.opcode === OP.binary || f.opcode === OP.continuation || f.opcode === 1) {
            message.push(f.payload);
            if (f.fin) {
              onMessage(Buffer.concat(message));
              message = [];
            }
          }
        }
      };
      socket.on('data', onData);
      // The server closes its end right after its close frame: our answer to it may meet a reset,
      // which ends nothing that was not over.
      socket.on('error', (e) => { if (!closing && status === undefined) fail(e); });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({
          stdout: Buffer.concat(out.stdout).toString('utf8'),
          stderr: Buffer.concat(out.stderr).toString('utf8'),
          exitCode: status ? exitCodeOf(status) : undefined,
          status,
        });
      });
      if (head.length > 0) onData(head);
      if (stdin !== undefined) socket.write(frame(OP.binary, Buffer.concat([Buffer.from([CHANNEL.stdin]), Buffer.from(stdin)])));
    });
    req.end();
  });
}

// src/cgroups/device-program.ts and the addon's setDeviceProgram/deviceProgramCount: the cgroup v2
// device filter. The program runs in this host's kernel: a scratch cgroup under the cgroup2 mount
// (/sys/fs/cgroup/unified on the hybrid CI host; cgroup bpf works there whatever controllers it
// has) gets the program, and a shell moved into that cgroup before it execs tries the devices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { deviceInstructions, deviceProgram, encodeInstructions, type Insn } from '../../../src/cgroups/device-program';
import type { DeviceRule } from '../../../src/cgroups/types';
import { detectCgroupHost } from '../../../src/cgroups/host';
import { addon } from '../../../src/native/addon';
import { TsruncError } from '../../../src/errors';

const rule = (allow: boolean, type: DeviceRule['type'], major: number, minor: number, access: string): DeviceRule => ({ allow, type, major, minor, access });
const DENY_ALL = rule(false, 'a', -1, -1, 'rwm');
const ALLOW_ALL = rule(true, 'a', -1, -1, 'rwm');

// ---- the encoding -------------------------------------------------------------------------------

test('struct bpf_insn encoding: code, dst|src<<4, s16 off, s32 imm, little-endian', () => {
  const buf = encodeInstructions([
    { code: 0x61, dst: 2, src: 1, off: 4, imm: 0 },
    { code: 0x55, dst: 4, src: 0, off: -2, imm: -1 },
  ]);
  assert.equal(buf.toString('hex'), '6112040000000000' + '5504feffffffffff');
});

test('the program for [deny all, allow c 1:3 r]: prologue reading the context, one block, default deny', () => {
  const hex = deviceProgram([DENY_ALL, rule(true, 'c', 1, 3, 'r')]).toString('hex').match(/.{16}/g);
  assert.deepEqual(hex, [
    '6112000000000000', // r2 = *(u32 *)(r1 + 0)        access_type
    '54020000ffff0000', // w2 &= 0xffff                  type
    '6113000000000000', // r3 = *(u32 *)(r1 + 0)
    '7403000010000000', // w3 >>= 16                     access bits still undecided
    '6114040000000000', // r4 = *(u32 *)(r1 + 4)        major
    '6115080000000000', // r5 = *(u32 *)(r1 + 8)        minor
    '5502060002000000', // if r2 != 2 (char) goto next
    '5504050001000000', // if r4 != 1 goto next
    '5505040003000000', // if r5 != 3 goto next
    '5403000005000000', // w3 &= ~read (mknod|write)
    '5503020000000000', // if r3 != 0 goto next: something besides read is asked
    'b400000001000000', // w0 = 1
    '9500000000000000', // exit
    'b400000000000000', // next: w0 = 0 (the leading deny all)
    '9500000000000000', // exit
  ]);
});

test('rules the program cannot express are refused with the rule in the message', () => {
  assert.throws(() => deviceProgram([rule(true, 'c', 1, 3, 'rx')]), (e: unknown) => e instanceof TsruncError && /device rule "allow c 1:3 rx": unknown access "x"/.test(e.message));
  assert.throws(() => deviceProgram([rule(true, 'c', 2 ** 31, 3, 'r')]), /major 2147483648 is not a device number/);
  assert.throws(() => deviceProgram([rule(true, 'b', 1, -2, 'r')]), /minor -2 is not a device number/);
  assert.throws(() => deviceProgram([rule(true, 'c', 1, 3, '')]), /empty access/);
});

// ---- the meaning, checked on the instructions ---------------------------------------------------
// A reader of the few instructions the generator emits, run against the rule list's meaning
// written the simple way (replay the list per access bit). The kernel runs the same bytes below.

function run(insns: Insn[], type: number, access: number, major: number, minor: number): number {
  const reg = [0, 0, 0, 0, 0, 0];
  const ctx = [(access << 16) | type, major, minor];
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, dst, src, off, imm } = insns[pc];
    switch (code) {
      case 0x61: assert.equal(src, 1); reg[dst] = ctx[off / 4]; break;
      case 0x54: reg[dst] = (reg[dst] & imm) >>> 0; break;
      case 0x74: reg[dst] = reg[dst] >>> imm; break;
      case 0xb4: reg[dst] = imm >>> 0; break;
      case 0xbc: reg[dst] = reg[src]; break;
      case 0x55: if (reg[dst] !== imm) pc += off; break;
      case 0x15: if (reg[dst] === imm) pc += off; break;
      case 0x95: return reg[0];
      default: assert.fail(`unexpected opcode 0x${code.toString(16)}`);
    }
  }
  return assert.fail('ran past the end');
}

function expected(rules: DeviceRule[], type: 'b' | 'c', access: number, major: number, minor: number): number {
  for (const bit of [1, 2, 4].filter((b) => access & b)) {
    let allowed = false; // runc's default without an "a" rule
    for (const r of rules) {
      const bits = (r.access.includes('m') ? 1 : 0) | (r.access.includes('r') ? 2 : 0) | (r.access.includes('w') ? 4 : 0);
      if (r.type === 'a') allowed = r.allow;
      else if (r.type === type && (r.major === -1 || r.major === major) && (r.minor === -1 || r.minor === minor) && bits & bit) allowed = r.allow;
    }
    if (!allowed) return 0;
  }
  return 1;
}

test('model check: every request gets the answer of replaying the rules in order, bit by bit', () => {
  const arbRule = fc.record({
    allow: fc.boolean(),
    type: fc.constantFrom<DeviceRule['type']>('a', 'b', 'c', 'c'),
    major: fc.constantFrom(-1, 1, 8),
    minor: fc.constantFrom(-1, 3, 5),
    access: fc.subarray(['r', 'w', 'm'], { minLength: 1 }).map((a) => a.join('')),
  });
  fc.assert(fc.property(fc.array(arbRule, { maxLength: 8 }), (rules) => {
    const insns = deviceInstructions(rules);
    for (const type of ['b', 'c'] as const) {
      for (let access = 1; access <= 7; access++) {
        for (const major of [1, 8, 9]) {
          for (const minor of [3, 5, 6]) {
            assert.equal(run(insns, type === 'b' ? 1 : 2, access, major, minor), expected(rules, type, access, major, minor),
              `${type} ${major}:${minor} access ${access}`);
          }
        }
      }
    }
  }), { numRuns: 400 });
});

// ---- in the kernel ------------------------------------------------------------------------------

/** The cgroup2 mount, or why the kernel tests cannot run here. */
function cgroup2Root(): string | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'needs root to load BPF programs and create cgroups' };
  const unified = detectCgroupHost().unified;
  if (!unified) return { skip: 'no cgroup2 mount on this host' };
  return unified.mountPoint;
}

type Ctx = { skip: (why: string) => void; after: (fn: () => void) => void };

/** A fresh tsrunc-test-* cgroup under the cgroup2 root, removed after the test whatever happens. */
function scratchCgroup(t: Ctx): string | undefined {
  const root = cgroup2Root();
  if (typeof root !== 'string') { t.skip(root.skip); return undefined; }
  const dir = path.join(root, `tsrunc-test-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(dir);
  t.after(() => fs.rmdirSync(dir)); // the shells have exited and been reaped by then
  return dir;
}

/** Runs `script` in a shell that moved itself into `dir` before exec'ing it; fd 3 is a pipe that
 * takes what the device reads print (so no device is needed to throw it away). */
function inCgroup(dir: string, script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', 'echo $$ > "$1/cgroup.procs" && exec sh -c "$2"', 'sh', dir, script],
    { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** "ok" or the error the shell printed, for each device access in `checks`. */
function tryDevices(dir: string, checks: Record<string, string>): Record<string, string> {
  const script = Object.entries(checks)
    .map(([name, cmd]) => `if out=$( { ${cmd}; } 2>&1 >&3); then echo "${name}=ok"; else echo "${name}=$out"; fi`)
    .join('\n');
  const r = inCgroup(dir, script);
  assert.equal(r.status, 0, r.stderr);
  const got: Record<string, string> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const eq = line.indexOf('=');
    got[line.slice(0, eq)] = /Operation not permitted/.test(line.slice(eq + 1)) ? 'EPERM' : line.slice(eq + 1);
  }
  return got;
}

const READ_NULL = 'cat /dev/null';
const WRITE_NULL = 'echo x > /dev/null';
const READ_ZERO = 'head -c 1 /dev/zero';
const WRITE_ZERO = 'echo x > /dev/zero';

test('kernel: deny all, then allow /dev/null r and /dev/zero rwm: exactly those work', (t) => {
  const dir = scratchCgroup(t);
  if (!dir) return;
  addon().setDeviceProgram(dir, deviceProgram([DENY_ALL, rule(true, 'c', 1, 3, 'r'), rule(true, 'c', 1, 5, 'rwm')]));
  assert.equal(addon().deviceProgramCount(dir), 1);
  assert.deepEqual(tryDevices(dir, {
    readNull: READ_NULL, writeNull: WRITE_NULL, readZero: READ_ZERO, writeZero: WRITE_ZERO,
    readUrandom: 'head -c 1 /dev/urandom',
  }), { readNull: 'ok', writeNull: 'EPERM', readZero: 'ok', writeZero: 'ok', readUrandom: 'EPERM' });
});

test('kernel: a later rule overrides an earlier one for what it names; separate allows add up', (t) => {
  const dir = scratchCgroup(t);
  if (!dir) return;
  addon().setDeviceProgram(dir, deviceProgram([
    DENY_ALL,
    rule(true, 'c', 1, 7, 'rwm'), rule(false, 'c', 1, 7, 'w'), // /dev/full: read stays, write goes
    rule(true, 'c', 1, -1, 'r'), rule(false, 'c', 1, 8, 'r'), //  all of major 1 readable but /dev/random
    rule(true, 'c', 1, 9, 'w'), //                                /dev/urandom: r (wildcard) + w = rw
  ]));
  assert.deepEqual(tryDevices(dir, {
    readFull: 'head -c 1 /dev/full', writeFull: 'echo x > /dev/full',
    readZero: READ_ZERO, readRandom: 'head -c 1 /dev/random',
    openUrandomReadWrite: 'exec 4<>/dev/urandom', writeZero: WRITE_ZERO,
  }), {
    readFull: 'ok', writeFull: 'EPERM', readZero: 'ok', readRandom: 'EPERM', openUrandomReadWrite: 'ok', writeZero: 'EPERM',
  });
});

test('kernel: allow all as the default, with a device taken out', (t) => {
  const dir = scratchCgroup(t);
  if (!dir) return;
  addon().setDeviceProgram(dir, deviceProgram([ALLOW_ALL, rule(false, 'c', 1, 5, 'r')]));
  assert.deepEqual(tryDevices(dir, { readNull: READ_NULL, writeNull: WRITE_NULL, readZero: READ_ZERO, writeZero: WRITE_ZERO }),
    { readNull: 'ok', writeNull: 'ok', readZero: 'EPERM', writeZero: 'ok' });
});

test('kernel: without an "a" rule the default is deny, as runc\'s', (t) => {
  const dir = scratchCgroup(t);
  if (!dir) return;
  addon().setDeviceProgram(dir, deviceProgram([rule(true, 'c', 1, 3, 'rw')]));
  assert.deepEqual(tryDevices(dir, { writeNull: WRITE_NULL, readZero: READ_ZERO }), { writeNull: 'ok', readZero: 'EPERM' });
});

test('kernel: an update replaces the rules and leaves exactly one program attached', (t) => {
  const dir = scratchCgroup(t);
  if (!dir) return;
  addon().setDeviceProgram(dir, deviceProgram([DENY_ALL, rule(true, 'c', 1, 3, 'r')]));
  assert.deepEqual(tryDevices(dir, { writeNull: WRITE_NULL, readZero: READ_ZERO }), { writeNull: 'EPERM', readZero: 'EPERM' });
  addon().setDeviceProgram(dir, deviceProgram([DENY_ALL, rule(true, 'c', 1, 3, 'rw')]));
  assert.equal(addon().deviceProgramCount(dir), 1);
  assert.deepEqual(tryDevices(dir, { writeNull: WRITE_NULL, readZero: READ_ZERO }), { writeNull: 'ok', readZero: 'EPERM' });
  addon().setDeviceProgram(dir, deviceProgram([ALLOW_ALL]));
  addon().setDeviceProgram(dir, deviceProgram([ALLOW_ALL]));
  assert.equal(addon().deviceProgramCount(dir), 1);
  assert.deepEqual(tryDevices(dir, { writeNull: WRITE_NULL, readZero: READ_ZERO }), { writeNull: 'ok', readZero: 'ok' });
});

test('kernel: a malformed program is refused with the verifier\'s reason, and the old one stays', (t) => {
  const dir = scratchCgroup(t);
  if (!dir) return;
  addon().setDeviceProgram(dir, deviceProgram([DENY_ALL, rule(true, 'c', 1, 3, 'r')]));
  const returnsTwo = encodeInstructions([{ code: 0xb4, dst: 0, src: 0, off: 0, imm: 2 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]);
  assert.throws(() => addon().setDeviceProgram(dir, returnsTwo), (e: Error & { code?: string; verifierLog?: string }) =>
    /^bpf prog load: Invalid argument \(EINVAL\); verifier log:\n/.test(e.message) && /R0 .*should have been in \[0, 1\]/.test(e.verifierLog ?? '') && e.code === 'EINVAL');
  const noExit = encodeInstructions([{ code: 0xb4, dst: 0, src: 0, off: 0, imm: 1 }]);
  assert.throws(() => addon().setDeviceProgram(dir, noExit), /: bpf prog load: Invalid argument \(EINVAL\); verifier log:\nlast insn is not an exit/);
  assert.throws(() => addon().setDeviceProgram(dir, Buffer.alloc(12)), /setDeviceProgram: the program must be whole 8-byte instructions, got 12 bytes/);
  assert.throws(() => addon().setDeviceProgram(path.join(dir, 'missing'), deviceProgram([ALLOW_ALL])),
    (e: Error & { path?: string }) => e.message === `open ${dir}/missing: No such file or directory (ENOENT)` && e.path === `${dir}/missing`);
  assert.equal(addon().deviceProgramCount(dir), 1);
  assert.deepEqual(tryDevices(dir, { readNull: READ_NULL, writeNull: WRITE_NULL }), { readNull: 'ok', writeNull: 'EPERM' });
});

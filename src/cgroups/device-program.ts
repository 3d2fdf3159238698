// The device controller of cgroup v2: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE that the
// kernel runs on every open or mknod of a device node, built from the rule list v1 would be given.
//
// The kernel passes struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } where
// access_type = (access << 16) | type; the program returns 1 to allow, 0 to deny. One request can
// carry several access bits (open O_RDWR asks for read and write at once).
//
// Meaning of the list, as v1's devices.allow/devices.deny writes in order: a rule of type "a"
// resets everything (allow all or deny all, whatever its numbers); any other rule decides, for
// the devices and access bits it names, until a later rule says otherwise; with no "a" rule the
// default is deny (runc's). A request is allowed when every bit it asks for is allowed.
// (v1 itself only removes exceptions that match a rule exactly, so there "deny c *:* w" after
// "allow c 1:3 rw" leaves 1:3 writable; here the later rule wins, which is what the list says.)
//
// So the program walks the rules from last to first with the still-undecided bits in R3: an
// allow rule that matches clears its bits (all cleared: allow), a deny rule that matches any
// undecided bit denies, the first "a" rule met ends the walk with its answer, and bits nobody
// decided fall to the default (deny). One block per rule; a failed check jumps to the next block.
import type { DeviceRule } from './types';
import { TsruncError } from '../errors';

// struct bpf_insn opcodes (linux/bpf_common.h, linux/bpf.h): class | op | source.
const BPF_LDX = 0x01, BPF_ALU = 0x04, BPF_JMP = 0x05;
const BPF_MEM = 0x60, BPF_W = 0x00;
const BPF_K = 0x00, BPF_X = 0x08;
const BPF_AND = 0x50, BPF_RSH = 0x70, BPF_MOV = 0xb0;
const BPF_JEQ = 0x10, BPF_JNE = 0x50, BPF_EXIT = 0x90;

// bpf_cgroup_dev_ctx's fields and constants (linux/bpf.h).
const CTX_ACCESS_TYPE = 0, CTX_MAJOR = 4, CTX_MINOR = 8;
const ACC_MKNOD = 1, ACC_READ = 2, ACC_WRITE = 4;
const ACC_ALL = ACC_MKNOD | ACC_READ | ACC_WRITE;
const DEV_BLOCK = 1, DEV_CHAR = 2;

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;
/** Register roles after the prologue (R1, the context, is free to use as scratch once read). */
const TYPE = R2, PENDING = R3, MAJOR = R4, MINOR = R5, SCRATCH = R1;

/** Largest value a jump immediate compares exactly (it is sign-extended to 64 bits). */
const MAX_NUMBER = 0x7fffffff;

export interface Insn { code: number; dst: number; src: number; off: number; imm: number }

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

// The few instructions the program needs. ALU ops are 32-bit (zero-extending), jumps compare the
// 64-bit registers, which hold zero-extended u32 values here.
const loadWord = (dst: number, base: number, off: number): Insn => insn(BPF_LDX | BPF_MEM | BPF_W, dst, base, off, 0);
const andImm = (dst: number, imm: number): Insn => insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm);
const shiftRightImm = (dst: number, imm: number): Insn => insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm);
const movImm = (dst: number, imm: number): Insn => insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm);
const movReg = (dst: number, src: number): Insn => insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
const exit = (): Insn => insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
/** A jump to the end of the block being built; its offset is filled in by `block`. */
const NEXT = Number.NaN;
const jumpIfNotEqual = (dst: number, imm: number): Insn => insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, NEXT, imm);
const jumpIfEqual = (dst: number, imm: number): Insn => insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, NEXT, imm);
const answer = (allow: boolean): Insn[] => [movImm(R0, allow ? 1 : 0), exit()];

/** Resolves the NEXT jumps of a block to its end, where the following block starts. */
function block(insns: Insn[]): Insn[] {
  return insns.map((i, at) => (Number.isNaN(i.off) ? { ...i, off: insns.length - (at + 1) } : i));
}

function describe(rule: DeviceRule): string {
  const n = (v: number): string => (v === -1 ? '*' : String(v));
  return `${rule.allow ? 'allow' : 'deny'} ${rule.type} ${n(rule.major)}:${n(rule.minor)} ${rule.access}`;
}

function accessBits(rule: DeviceRule): number {
  let bits = 0;
  for (const c of rule.access) {
    const bit = c === 'r' ? ACC_READ : c === 'w' ? ACC_WRITE : c === 'm' ? ACC_MKNOD : 0;
    if (bit === 0) throw new TsruncError(`device rule "${describe(rule)}": unknown access ${JSON.stringify(c)} (want some of "rwm")`);
    bits |= bit;
  }
  if (bits === 0) throw new TsruncError(`device rule "${describe(rule)}": empty access`);
  return bits;
}

function checkNumber(rule: DeviceRule, what: 'major' | 'minor'): void {
  const v = rule[what];
  if (v !== -1 && !(Number.isInteger(v) && v >= 0 && v <= MAX_NUMBER)) {
    throw new TsruncError(`device rule "${describe(rule)}": ${what} ${v} is not a device number`);
  }
}

/** The checks and decision of one rule that is not of type "a". */
function ruleBlock(rule: DeviceRule): Insn[] {
  checkNumber(rule, 'major');
  checkNumber(rule, 'minor');
  const bits = accessBits(rule);
  if (rule.type !== 'b' && rule.type !== 'c') throw new TsruncError(`device rule "${describe(rule)}": unknown type (want a, b or c)`);
  const out: Insn[] = [jumpIfNotEqual(TYPE, rule.type === 'b' ? DEV_BLOCK : DEV_CHAR)];
  if (rule.major !== -1) out.push(jumpIfNotEqual(MAJOR, rule.major));
  if (rule.minor !== -1) out.push(jumpIfNotEqual(MINOR, rule.minor));
  if (bits === ACC_ALL) {
    out.push(...answer(rule.allow)); // decides every bit a request can carry
  } else if (rule.allow) {
    out.push(andImm(PENDING, ACC_ALL & ~bits), jumpIfNotEqual(PENDING, 0), ...answer(true));
  } else {
    out.push(movReg(SCRATCH, PENDING), andImm(SCRATCH, bits), jumpIfEqual(SCRATCH, 0), ...answer(false));
  }
  return block(out);
}

/** The program as struct bpf_insn values, for tests and for encoding. */
export function deviceInstructions(rules: DeviceRule[]): Insn[] {
  const program: Insn[] = [
    loadWord(TYPE, R1, CTX_ACCESS_TYPE),
    andImm(TYPE, 0xffff),
    loadWord(PENDING, R1, CTX_ACCESS_TYPE),
    shiftRightImm(PENDING, 16),
    loadWord(MAJOR, R1, CTX_MAJOR),
    loadWord(MINOR, R1, CTX_MINOR),
  ];
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i];
    if (rule.type === 'a') {
      accessBits(rule);
      // Nothing before a reset matters, and nothing may follow an unconditional exit.
      return [...program, ...answer(rule.allow)];
    }
    program.push(...ruleBlock(rule));
  }
  return [...program, ...answer(false)];
}

/** struct bpf_insn is 8 bytes: code, dst_reg:4 | src_reg:4 (little-endian bitfields), s16 off, s32 imm. */
export function encodeInstructions(insns: Insn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((i, n) => {
    buf.writeUInt8(i.code, n * 8);
    buf.writeUInt8((i.src << 4) | i.dst, n * 8 + 1);
    buf.writeInt16LE(i.off, n * 8 + 2);
    buf.writeInt32LE(i.imm, n * 8 + 4);
  });
  return buf;
}

export function deviceProgram(rules: DeviceRule[]): Buffer {
  return encodeInstructions(deviceInstructions(rules));
}

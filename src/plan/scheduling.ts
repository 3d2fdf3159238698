// process.scheduler, process.ioPriority, linux.personality and process.execCPUAffinity -> the
// numbers the launcher passes to sched_setattr(2), ioprio_set(2), personality(2) and
// sched_setaffinity(2). Names were checked by validation; this only translates.
import type { ExecCPUAffinity, IOPriority, Personality, Scheduler, Spec } from '../config/types';
import { TsruncError } from '../errors';

export type { PlanCpuAffinity, PlanScheduler, PlanScheduling } from './types';
import type { PlanCpuAffinity, PlanScheduler, PlanScheduling } from './types';

// include/uapi/linux/sched.h
export const SCHED_POLICIES: Readonly<Record<string, number>> = {
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
};

export const SCHED_FLAGS: Readonly<Record<string, number>> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

// include/uapi/linux/ioprio.h
export const IOPRIO_CLASSES: Readonly<Record<string, number>> = {
  IOPRIO_CLASS_RT: 1,
  IOPRIO_CLASS_BE: 2,
  IOPRIO_CLASS_IDLE: 3,
};

// include/uapi/linux/personality.h: PER_LINUX, PER_LINUX32.
export const PERSONALITY_DOMAINS: Readonly<Record<string, number>> = {
  LINUX: 0x0000,
  LINUX32: 0x0008,
};

/** Highest CPU number accepted in a list: the kernel's NR_CPUS cannot exceed 8192. */
export const MAX_CPU = 8191;

/** The kernel number of a name validation has already accepted. */
export function known(table: Readonly<Record<string, number>>, name: string, at: string): number {
  const n = table[name];
  if (n === undefined) throw new TsruncError(`config.json: ${at}: unknown value ${JSON.stringify(name)}`);
  return n;
}

// The deadline fields are nanoseconds; the kernel caps a period at a few seconds by default
// (kernel.sched_deadline_period_max_us), far below where a JSON number loses precision.
function nanoseconds(v: number | undefined, at: string): number {
  const n = v ?? 0;
  if (!Number.isSafeInteger(n) || n < 0) throw new TsruncError(`config.json: ${at}: ${n} is not a nanosecond count sched_setattr accepts`);
  return n;
}

function planScheduler(s: Scheduler): PlanScheduler {
  const at = '/process/scheduler';
  let flags = 0;
  for (const f of s.flags ?? []) flags |= known(SCHED_FLAGS, f, `${at}/flags`);
  return {
    policy: known(SCHED_POLICIES, s.policy, `${at}/policy`),
    flags,
    nice: s.nice ?? 0,
    priority: s.priority ?? 0,
    runtime: nanoseconds(s.runtime, `${at}/runtime`),
    deadline: nanoseconds(s.deadline, `${at}/deadline`),
    period: nanoseconds(s.period, `${at}/period`),
  };
}

function planIoPriority(p: IOPriority): { class: number; priority: number } {
  return { class: known(IOPRIO_CLASSES, p.class, '/process/ioPriority/class'), priority: p.priority ?? 0 };
}

function planPersonality(p: Personality): number {
  // The spec defines no flags yet (the schema only admits an empty list).
  return known(PERSONALITY_DOMAINS, p.domain, '/linux/personality/domain');
}

/**
 * A CPU list as the kernel prints and parses them ("0-3,7", with the "0-7:2/4" stride form of
 * bitmap_parselist too): sorted, distinct CPU numbers. Empty for an empty string.
 */
export function parseCpuList(text: string, at: string): number[] {
  const cpus = new Set<number>();
  const bad = (why: string): never => {
    throw new TsruncError(`config.json: ${at}: ${JSON.stringify(text)}: ${why}`);
  };
  for (const part of text.split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(part);
    if (!m) bad(`${JSON.stringify(part)} is not a CPU number or range`);
    const [, a, b, used, group] = m as RegExpExecArray;
    const first = Number(a);
    const last = b === undefined ? first : Number(b);
    if (last < first) bad(`range ${part} ends before it starts`);
    if (last > MAX_CPU) bad(`CPU ${last} is beyond the largest a kernel supports (${MAX_CPU})`);
    const step = group === undefined ? 1 : Number(group);
    const take = used === undefined ? 1 : Number(used);
    if (step === 0 || take > step) bad(`stride ${used}/${group} in ${part} is not valid`);
    for (let cpu = first; cpu <= last; cpu++) if ((cpu - first) % step < take) cpus.add(cpu);
  }
  return [...cpus].sort((x, y) => x - y);
}

/**
 * execCPUAffinity is for processes run in an existing container (runtime-spec: "not applicable
 * to the container's init process"; runc and crun apply it in `exec` only), so create never asks
 * for it; the `exec` plan will. Lists left empty leave the affinity alone, as the spec says.
 */
export function planExecCpuAffinity(a: ExecCPUAffinity | undefined): PlanCpuAffinity | undefined {
  if (!a) return undefined;
  const initial = parseCpuList(a.initial ?? '', '/process/execCPUAffinity/initial');
  const final = parseCpuList(a.final ?? '', '/process/execCPUAffinity/final');
  return initial.length > 0 || final.length > 0 ? { initial, final } : undefined;
}

/** The scheduling attributes of the container's process; undefined when the config sets none. */
export function planScheduling(spec: Spec): PlanScheduling | undefined {
  const p = spec.process;
  const personality = spec.linux?.personality;
  if (!p || (!p.scheduler && !p.ioPriority && !personality)) return undefined;
  const out: PlanScheduling = {};
  if (p.scheduler) out.scheduler = planScheduler(p.scheduler);
  if (p.ioPriority) out.ioPriority = planIoPriority(p.ioPriority);
  if (personality) out.personality = planPersonality(personality);
  return out;
}

// process: presence, resource limits, capability names and scheduler parameters.
import { capabilityNumber, CAPABILITY_SETS } from '../../linux/capabilities';
import { rlimitNumber, RLIMIT_NAMES } from '../../linux/rlimits';
import { integerValue } from '../exact-integers';
import type { Findings } from '../findings';
import { join, show } from '../pointer';
import { closest } from '../suggest';
import { asArray, asNumber, asObject, asString, get, type Obj, type RuleInput } from './guards';
import { eachOf, kept } from '../../text';

export function checkProcess(input: RuleInput, out: Findings): void {
  const { process } = input;
  if (process === undefined) {
    if (input.options.requireProcess && get(input.spec, 'process') === undefined) {
      out.problem('/process', 'is required to start a container');
    }
    return;
  }
  checkRlimits(process, out);
  checkCapabilities(process, out);
  checkScheduler(asObject(get(process, 'scheduler')), out);
}

const UINT64_MAX = (1n << 64n) - 1n;

function checkRlimits(process: Obj, out: Findings): void {
  const firstSeen = new Map<string, string>();
  eachOf(asArray(get(process, 'rlimits')) ?? [], (item, i) => {
    const at = `/process/rlimits/${i}`;
    const rl = asObject(item);
    const type = asString(get(rl, 'type'));
    if (type !== undefined) {
      if (rlimitNumber(type) === undefined) {
        const hint = closest(type, RLIMIT_NAMES);
        out.problem(`${at}/type`, `unknown resource limit ${show(type)}` + (hint ? ` (did you mean ${hint}?)` : ''));
      } else if (firstSeen.has(type)) {
        out.problem(`${at}/type`, `${type} is set twice (also at ${firstSeen.get(type)})`);
      } else {
        firstSeen.set(type, at);
      }
    }
    // Compared as exact integers: doubles would round 2^53+1 to 2^53 and call it equal.
    const soft = rl && asNumber(get(rl, 'soft')) !== undefined ? integerValue(rl, 'soft') : undefined;
    const hard = rl && asNumber(get(rl, 'hard')) !== undefined ? integerValue(rl, 'hard') : undefined;
    for (const [key, v] of [['soft', soft], ['hard', hard]] as const) {
      // The schema's uint64 maximum is checked on the double, which cannot tell 2^64 from 2^64-1.
      if (v !== undefined && v > UINT64_MAX && Number(v) <= Number(UINT64_MAX)) {
        out.problem(`${at}/${key}`, `must be an unsigned 64-bit integer (got ${v})`);
      }
    }
    const inRange = (v: bigint | undefined): v is bigint => v !== undefined && v >= 0n && v <= UINT64_MAX;
    if (inRange(soft) && inRange(hard) && soft > hard) {
      out.problem(`${at}/soft`, `must not exceed the hard limit ${hard} (got ${soft})`);
    }
  });
}

const CAP_NAME = /^CAP_[A-Z0-9_]+$/;

function checkCapabilities(process: Obj, out: Findings): void {
  const caps = asObject(get(process, 'capabilities'));
  if (caps === undefined) return;
  for (const set of CAPABILITY_SETS) {
    eachOf(asArray(get(caps, set)) ?? [], (item, i) => {
      const name = asString(item);
      if (name === undefined || capabilityNumber(name) !== undefined) return;
      const at = `/process/capabilities/${set}/${i}`;
      if (!CAP_NAME.test(name)) {
        const upper = 'CAP_' + name.toUpperCase().replace(/^CAP_/, '');
        const hint = capabilityNumber(upper) !== undefined ? ` (did you mean ${upper}?)` : '';
        out.problem(at, `${show(name)} is not a capability name${hint}`);
      } else {
        // The spec wants capabilities the runtime cannot map to be logged, not to fail the container.
        out.warn(at, `unknown capability ${name}, ignored`);
      }
    });
  }
  // The kernel only raises an ambient capability that is also permitted and inheritable.
  const permitted = new Set(stringsOf(get(caps, 'permitted')));
  const inheritable = new Set(stringsOf(get(caps, 'inheritable')));
  eachOf(asArray(get(caps, 'ambient')) ?? [], (item, i) => {
    const name = asString(item);
    if (name === undefined || capabilityNumber(name) === undefined) return;
    if (!permitted.has(name) || !inheritable.has(name)) {
      out.warn(`/process/capabilities/ambient/${i}`, `${name} is not also in permitted and inheritable, so it cannot be raised`);
    }
  });
}

function stringsOf(v: unknown): string[] {
  return kept(asArray(v) ?? [], (x): x is string => typeof x === 'string');
}

const REALTIME = new Set(['SCHED_FIFO', 'SCHED_RR']);

function checkScheduler(s: Obj | undefined, out: Findings): void {
  const policy = asString(get(s, 'policy'));
  if (s === undefined || policy === undefined) return;
  const at = '/process/scheduler';
  const nice = asNumber(get(s, 'nice'));
  if (nice !== undefined && nice !== 0 && (policy === 'SCHED_OTHER' || policy === 'SCHED_BATCH') && (nice < -20 || nice > 19)) {
    out.problem(join(at, 'nice'), `must be from -20 to 19 for ${policy} (got ${nice})`);
  }
  const priority = asNumber(get(s, 'priority'));
  if (priority !== undefined && priority !== 0) {
    if (!REALTIME.has(policy)) out.problem(join(at, 'priority'), `can only be set for SCHED_FIFO or SCHED_RR (policy is ${policy})`);
    else if (priority < 1 || priority > 99) out.problem(join(at, 'priority'), `must be from 1 to 99 for ${policy} (got ${priority})`);
  }
  const runtime = asNumber(get(s, 'runtime')) ?? 0;
  const deadline = asNumber(get(s, 'deadline')) ?? 0;
  const period = asNumber(get(s, 'period')) ?? 0;
  if (policy !== 'SCHED_DEADLINE') {
    for (const [k, v] of [['runtime', runtime], ['deadline', deadline], ['period', period]] as const) {
      if (v !== 0) out.problem(join(at, k), `can only be set for SCHED_DEADLINE (policy is ${policy})`);
    }
    return;
  }
  if (runtime > deadline) out.problem(join(at, 'runtime'), `must not exceed deadline ${deadline} (got ${runtime})`);
  if (period !== 0 && deadline > period) out.problem(join(at, 'deadline'), `must not exceed period ${period} (got ${deadline})`);
}

// The seccomp plan's edges that configs passing validation never reach, or reach only through the
// launcher's cache: names outside the vocabulary, argument values outside 0..2^64-1, rules without
// names, empty annotations, and which filter flags survive. Fast: no container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSeccomp, seccompActionValue } from '../../src/plan/seccomp';
import type { Seccomp } from '../../src/config/types';

const info = { id: 'c1', bundle: '/b' };

test('seccomp plan: an action or operator outside the vocabulary is an error naming it', () => {
  assert.throws(() => seccompActionValue('SCMP_ACT_BOGUS', undefined), /^Error: unknown seccomp action SCMP_ACT_BOGUS$/);
  const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 9, op: 'SCMP_CMP_ALMOST' }] }] } as unknown as Seccomp;
  assert.throws(() => planSeccomp(profile, info), /^Error: unknown seccomp operator SCMP_CMP_ALMOST$/);
});

test('seccomp plan: argument values are clamped to 0..2^64-1, exactly', () => {
  const plan = planSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -5, valueTwo: 2 ** 70, op: 'SCMP_CMP_EQ' }, { index: 1, value: 0, valueTwo: 1, op: 'SCMP_CMP_EQ' }] }],
  } as Seccomp, info);
  assert.deepEqual(plan?.rules[0].args.map((a) => [a.value, a.valueTwo]), [['0', '18446744073709551615'], ['0', '1']]);
});

test('seccomp plan: a rule without names is dropped, not sent as an empty rule', () => {
  const plan = planSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }, { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }, info);
  assert.deepEqual(plan?.rules.map((r) => r.names), [['mkdir']]);
});

test('seccomp plan: the listener\'s state leaves out empty annotations, as runc\'s does', () => {
  const profile: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/a.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
  const state = planSeccomp(profile, { ...info, annotations: {} })?.listener?.message.state as Record<string, unknown>;
  assert.ok(state);
  assert.equal('annotations' in state, false, JSON.stringify(state));
  assert.equal('metadata' in (planSeccomp(profile, info)?.listener?.message ?? {}), false, 'no metadata unless given');
});

test('seccomp plan: WAIT_KILLABLE_RECV only with a listener; NEW_LISTENER added for one; no flags means 0', () => {
  const base: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
  assert.equal(planSeccomp(base, info)?.flags, 0);
  assert.equal(planSeccomp({ ...base, flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_TSYNC'] }, info)?.flags, 1);
  const notify: Seccomp = { ...base, listenerPath: '/run/a.sock', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
  assert.equal(planSeccomp(notify, info)?.flags, 32 | 8);
});

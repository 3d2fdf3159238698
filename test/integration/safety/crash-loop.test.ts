// The SIGKILL loop (scripts/crash-loop.js) at CI size, with a fixed seed: tsrunc killed at random
// moments of create, start, exec, delete, pause, resume and update (and at create's undo steps,
// the TSRUNC_TEST_CRASH_AT seam that lifecycle/create-crash.test.ts checks step by step); what a
// killed create started does not outlive it, and delete --force always succeeds and leaves no
// state, cgroup, mount or process. Hundreds of rounds by hand (docs/testing.md).
import { test } from 'node:test';
import { runScript } from '../../helpers/fuzz-script';

test('30 rounds of SIGKILL at random moments: delete --force always cleans up', { timeout: 300_000 }, (t) => {
  runScript(t, 'crash-loop.js', ['--runs', '30', '--seed', '3202']);
});

// The config fuzzer (scripts/fuzz-config.js) at CI size, with a fixed seed: for mutated valid
// configs, validate and create agree (a refusal of one is a refusal of the other, made before
// anything exists), a create validate accepts succeeds or fails with a launcher or kernel error,
// delete --force leaves nothing, and neither command crashes. Longer runs by hand (docs/testing.md).
import { test } from 'node:test';
import { runScript } from '../../helpers/fuzz-script';

test('40 mutated configs: validate and create agree, nothing is left', { timeout: 300_000 }, (t) => {
  runScript(t, 'fuzz-config.js', ['--runs', '40', '--seed', '3201', '--no-shrink']);
});

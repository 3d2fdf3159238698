// The command-line fuzzer (scripts/fuzz-cli.js) at CI size, with a fixed seed: random argv from the
// command table never crash tsrunc, never show an engine's words, always exit with a documented
// code and a message, and make nothing. Longer runs with a random seed by hand (docs/testing.md).
import { test } from 'node:test';
import { runScript } from '../../helpers/fuzz-script';

test('200 random command lines: a clear message, a documented exit code, nothing made', { timeout: 240_000 }, (t) => {
  runScript(t, 'fuzz-cli.js', ['--runs', '200', '--seed', '3200']);
});

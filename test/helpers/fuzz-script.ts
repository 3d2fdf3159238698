// Runs one of the repository's fuzz or crash scripts (scripts/fuzz-cli.js, fuzz-config.js,
// crash-loop.js) as a test: the script's exit status is the verdict, and what it found (with the
// seed to replay it) is the failure message.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot, tsruncIsRunc } from './runtime';

export function runScript(t: TestContext, script: string, args: string[]): void {
  if (tsruncIsRunc()) {
    t.skip('TSRUNC_BIN=runc: the scripts check tsrunc\'s own debug output and words');
    return;
  }
  if (process.getuid?.() !== 0) {
    t.skip('needs root: the scripts make containers and look for cgroups and mounts');
    return;
  }
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'scripts', script), ...args], { encoding: 'utf8', timeout: 280_000 });
  assert.equal(r.error, undefined, `${script} did not finish: ${r.error?.message}`);
  assert.equal(r.status, 0, `${script} found a problem:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-12000)}`);
  assert.match(r.stdout, / runs in [\d.]+ s, nothing found/);
}

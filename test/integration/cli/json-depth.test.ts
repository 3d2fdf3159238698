// JSON nested absurdly deep, in every document a caller hands the runtime: config.json (create,
// validate), `exec --process` and `update --resources`. Before issue 32 tsrunc answered with the
// engine's "Maximum call stack size exceeded"; now, as runc (Go's encoding/json, 10000 levels), a
// message that says what is wrong, a non-zero exit and nothing created. A document just inside the
// limit still goes all the way through. Each case runs against runc 1.1.5 first.
import { describe } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle } from '../../helpers/rootfs';
import { describeResult, uniqueId, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, scratchDirsForFile } from '../../helpers/suite';
import { MAX_JSON_DEPTH } from '../../../src/config/json-depth';

const pair = runtimesForSuite();
const scratch = scratchDirsForFile('tsrunc-jsondepth-');

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const TOO_DEEP = 100_000;

/** The engine's words must never reach the user; runc's and tsrunc's both name the problem. */
function expectDepthRefusal(rt: Runtime, r: { code: number | null; stderr: string }, what: string): void {
  assert.notEqual(r.code, 0, `${what}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /Maximum call stack|RangeError|stack size/i, what);
  assert.match(r.stderr, rt.kind === 'runc' ? /exceeded max depth/ : new RegExp(`${what}: .*exceeded max depth: arrays and objects nested deeper than ${MAX_JSON_DEPTH} levels at line 1, column \\d+`));
}

describe('JSON nested too deep', () => {
  forEachRuntime(pair, 'config.json 100,000 levels deep: create and validate refuse it by name, nothing is created', async (_t: TestContext, rt) => {
    const b = makeBundle({ args: ['true'] });
    try {
      fs.writeFileSync(b.configPath, fs.readFileSync(b.configPath, 'utf8').replace(/^\{/, `{"x":${nested(TOO_DEEP)},`));
      const id = uniqueId('jsondepth');
      const r = await rt.exec(['create', '--bundle', b.dir, id]);
      await rt.exec(['delete', '--force', id]);
      expectDepthRefusal(rt, r, 'config.json');
      assert.deepEqual(fs.readdirSync(rt.root).filter((n) => n === id), [], 'no state dir');
      if (rt.kind === 'tsrunc') expectDepthRefusal(rt, await rt.exec(['validate', '--bundle', b.dir]), 'config.json');
    } finally {
      b.cleanup();
    }
  });

  forEachRuntime(pair, 'config.json just inside the limit is read, and the container runs', async (_t: TestContext, rt) => {
    const b = makeBundle({ args: ['true'] });
    try {
      // 2 levels for the outer object and "x"'s own array count toward the limit.
      fs.writeFileSync(b.configPath, fs.readFileSync(b.configPath, 'utf8').replace(/^\{/, `{"x":${nested(MAX_JSON_DEPTH - 2)},`));
      const id = uniqueId('jsondepth');
      const r = await rt.exec(['run', '--bundle', b.dir, id]);
      await rt.exec(['delete', '--force', id]);
      assert.equal(r.code, 0, describeResult(r));
    } finally {
      b.cleanup();
    }
  });

  forEachRuntime(pair, 'exec --process and update --resources files 100,000 levels deep are refused by name', async (_t: TestContext, rt) => {
    const b = makeBundle({ args: ['sleep', '120'] });
    const id = uniqueId('jsondepth');
    try {
      expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: rt.ioPath('init.out'), stderrPath: rt.ioPath('init.err') }), 'run --detach');
      const dir = scratch();
      const processFile = path.join(dir, 'process.json');
      fs.writeFileSync(processFile, `{"cwd":"/","args":${nested(TOO_DEEP)}}`);
      expectDepthRefusal(rt, await rt.exec(['exec', '--process', processFile, id]), processFile);
      const resourcesFile = path.join(dir, 'resources.json');
      fs.writeFileSync(resourcesFile, `{"pids":{"limit":${nested(TOO_DEEP)}}}`);
      expectDepthRefusal(rt, await rt.exec(['update', '--resources', resourcesFile, id]), resourcesFile);
      // Nothing was started by the refused exec: the init is the container's only process.
      const ps = await rt.exec(['ps', '--format', 'json', id]);
      assert.equal(ps.code, 0, describeResult(ps));
      assert.equal((JSON.parse(ps.stdout) as number[]).length, 1, ps.stdout);
    } finally {
      await rt.exec(['delete', '--force', id]);
      b.cleanup();
    }
  });
});

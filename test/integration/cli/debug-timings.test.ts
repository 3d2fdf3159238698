// `--debug` says where a command's time goes: create's, start's, run's and exec's phases in order, each
// with its duration and when it ended (from the process's start), and the launcher's steps placed
// by when the launcher said them. As fields of the debug line (logfmt, or JSON keys with
// --log-format json); nothing of it without --debug. tsrunc's own (runc has no timings).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectOk, runtimesForSuite, TEST_TIMEOUT, withContainer } from '../../helpers/suite';

const { sut } = runtimesForSuite();

interface Phase { msg: string; phase: string; ms: number; at_ms: number }

function jsonLines(stderr: string): Record<string, unknown>[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function phasesOf(lines: Record<string, unknown>[], command: string): Phase[] {
  return lines.filter((l) => typeof l.phase === 'string' && String(l.msg).startsWith(`${command}: `)) as unknown as Phase[];
}

describe('--debug timings [tsrunc]', () => {
  test('run: create\'s and start\'s phases in order, each duration the gap between ends; launcher steps placed in between', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'timings', {
      args: ['true'],
      mutate: (spec) => { spec.hooks = { createRuntime: [{ path: '/bin/true' }], poststart: [{ path: '/bin/true' }] }; },
    }, async (b, id) => {
      const r = await sut.exec(['--debug', '--log-format', 'json', 'run', '--bundle', b.dir, id]);
      expectOk(r, 'run --debug');
      const lines = jsonLines(r.stderr);
      const create = phasesOf(lines, 'create');
      assert.deepEqual(create.map((p) => p.phase), [
        'start-up', 'config', 'checks', 'state directory', 'plan', 'launcher spawn', 'cgroups', 'launcher until the hooks',
        'prestart and createRuntime hooks', 'launcher until the init is ready', 'state', 'commit',
      ]);
      const start = phasesOf(lines, 'start');
      assert.deepEqual(start.map((p) => p.phase), ['open the container', 'release the init', 'state', 'poststart hooks']);
      const run = phasesOf(lines, 'run');
      assert.deepEqual(run.map((p) => p.phase), ['the process', 'delete']);
      const all = [...create, ...start, ...run];
      let previous = 0;
      for (const p of all) {
        assert.equal(typeof p.ms, 'number', p.msg);
        assert.ok(p.ms >= 0 && p.at_ms >= p.ms, `${p.msg}: ${p.ms} ms, at ${p.at_ms} ms`);
        // Each phase starts where the one before it ended, start's first after create's last, run's
        // own after start's.
        assert.ok(Math.abs(p.at_ms - p.ms - previous) < 0.02, `${p.msg} begins at ${p.at_ms - p.ms}, the previous ended at ${previous}`);
        previous = p.at_ms;
      }
      const launcher = lines.filter((l) => String(l.msg).startsWith('launcher: '));
      assert.ok(launcher.length > 0, 'the launcher\'s steps are logged');
      // The launcher starts after the plan (the cgroups are made while it starts).
      const launchFrom = create.find((p) => p.phase === 'plan')!.at_ms;
      const readyEnd = create.find((p) => p.phase === 'launcher until the init is ready')!.at_ms;
      for (const l of launcher) {
        assert.equal(typeof l.at_ms, 'number', String(l.msg));
        // By the launcher's clock: within the launch, never at the moment the CLI read the line.
        assert.ok((l.at_ms as number) >= launchFrom - 1 && (l.at_ms as number) <= readyEnd + 1, `${String(l.msg)} at ${String(l.at_ms)} ms, launch from ${launchFrom} to ${readyEnd}`);
      }
    });
  });

  test('exec: its phases; text format puts the fields after msg as logfmt', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'timings-exec', { args: ['sleep', '60'] }, async (b, id) => {
      expectOk(await sut.exec(['run', '-d', '--bundle', b.dir, id]), 'run -d');
      const r = await sut.exec(['--debug', 'exec', id, 'true']);
      expectOk(r, 'exec --debug');
      const phases = [...r.stderr.matchAll(/msg="exec: [^"]+" phase="([^"]+)" ms=([\d.]+) at_ms=([\d.]+)$/gm)].map((m) => m[1]);
      assert.deepEqual(phases, ['start-up', 'process and checks', 'plan', 'launcher until the process is ready', 'commit']);
    });
  });

  test('without --debug: no timings', TEST_TIMEOUT, async () => {
    await withContainer(sut, 'timings-quiet', { args: ['true'] }, async (b, id) => {
      const r = await sut.exec(['--log-format', 'json', 'run', '--bundle', b.dir, id]);
      expectOk(r, 'run');
      assert.doesNotMatch(r.stderr, /phase|at_ms/);
    });
  });
});

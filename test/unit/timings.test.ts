// --debug's timings without a container: a phase's duration is the gap since the previous phase's
// end (any command's, in this process), the launcher's wall-clock stamps are placed on the
// process's own clock, and the fields follow msg in both log formats. Nothing without --debug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '../../src/log';
import { Timings } from '../../src/timings';

function logged(format: 'text' | 'json', debug: boolean, fn: (log: Logger) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-timings-'));
  try {
    const file = path.join(dir, 'log');
    fn(new Logger(file, format, debug));
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a launcher stamp (wall clock, microseconds) is placed on the process\'s clock; without one, now', () => {
  const usec = (performance.timeOrigin + 1234.5) * 1000;
  assert.ok(Math.abs(Timings.sinceStart(usec) - 1234.5) < 0.02, String(Timings.sinceStart(usec)));
  const now = performance.now();
  assert.ok(Math.abs(Timings.sinceStart() - now) < 50);
});

test('phases: each duration runs from the previous phase\'s end, across Timings of one process', () => {
  const out = logged('json', true, (log) => {
    const a = new Timings(log, 'create');
    a.phase('one');
    const spin = performance.now() + 5;
    while (performance.now() < spin) { /* 5 ms */ }
    a.phase('two');
    new Timings(log, 'start').phase('three');
  });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; phase: string; ms: number; at_ms: number; level: string });
  assert.deepEqual(lines.map((l) => [l.level, l.msg, l.phase]), [['debug', 'create: one', 'one'], ['debug', 'create: two', 'two'], ['debug', 'start: three', 'three']]);
  assert.ok(lines[1].ms >= 5, `two took ${lines[1].ms} ms`);
  assert.ok(Math.abs(lines[1].at_ms - lines[1].ms - lines[0].at_ms) < 0.02);
  assert.ok(Math.abs(lines[2].at_ms - lines[2].ms - lines[1].at_ms) < 0.02);
});

test('text format: the fields after msg, numbers bare and strings quoted; nothing without --debug', () => {
  const text = logged('text', true, (log) => log.debugFields('launcher: step', { at_ms: 12.5, phase: 'a b' }));
  assert.match(text, /^time="[^"]+" level=debug msg="launcher: step" at_ms=12.5 phase="a b"\n$/);
  assert.equal(logged('text', false, (log) => { log.debugFields('x', { at_ms: 1 }); new Timings(log, 'create').phase('p'); }), '');
});

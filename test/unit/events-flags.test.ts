// `events --interval`: Go durations as runc's flag takes them, without a container (the lines
// events prints are cgroups.test.ts's, cgroups-update.test.ts's and cgroups-stats.test.ts's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../src/commands/events';

test('events --interval: Go durations, units summed, decimals of any length; a bare 0', () => {
  const cases: [string, number][] = [
    ['0', 0], ['5s', 5000], ['250ms', 250], ['1m30s', 90_000], ['2h', 7_200_000], ['1.25s', 1250], ['.5s', 500], ['.25s', 250],
    ['1500us', 1.5], ['1500µs', 1.5], ['2000000ns', 2], ['1h1m1s1ms', 3_661_001],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test('events --interval: anything else is refused naming the value', () => {
  for (const text of ['', '5', '5x', 's', '1s2', '1 s', '00']) {
    assert.throws(() => parseDuration(text), (e: Error) => e.message === `invalid value "${text}" for flag --interval: parse error (a duration such as 5s, 500ms or 1m)`, JSON.stringify(text));
  }
});

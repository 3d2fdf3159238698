// The fast parser must agree with yargs on everything it accepts, and leave everything else to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastParse } from '../../src/argv';
import { parseWithYargs, type CommandRunner } from '../../src/cli';
import type { CommandSpec } from '../../src/cli-table';

async function viaYargs(argv: string[]): Promise<{ command: string; values: Record<string, unknown>; positional: string[] }> {
  let seen: { command: string; values: Record<string, unknown>; positional: string[] } | undefined;
  const runner: CommandRunner = {
    async run(command: CommandSpec, values: Record<string, unknown>, positional: string[]) {
      seen = { command: command.name, values, positional };
      return 0;
    },
  };
  await parseWithYargs(argv, runner);
  assert.ok(seen, `yargs ran no command for ${JSON.stringify(argv)}`);
  return seen;
}

function defined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

const AGREED: string[][] = [
  ['state', 'c1'],
  ['--root', '/run/x', 'state', 'c1'],
  ['--root=/run/x', '--log', '/tmp/l.json', '--log-format', 'json', 'start', 'c1'],
  ['--debug', 'kill', 'c1', 'KILL'],
  ['kill', '--all', 'c1', '9'],
  ['kill', '-a', 'c1'],
  ['delete', '--force', 'c1'],
  ['delete', '-f', 'c1'],
  ['create', '--bundle', '/b', '--pid-file', '/b/pid', 'c1'],
  ['create', '-b', '/b', '--preserve-fds', '2', '--no-pivot', '--no-new-keyring', 'c1'],
  ['create', '--console-socket', '/tmp/s.sock', 'c1', '--bundle=/b'],
  ['create', '--pidfd-socket', '/tmp/p.sock', '--bundle', '/b', 'c1'],
  ['run', '-d', '--pidfd-socket=/tmp/p.sock', '-b', '/b', 'c1'],
  ['exec', '--detach', '--pidfd-socket', '/tmp/p.sock', '--pid-file', '/tmp/e.pid', 'c1', 'sleep', '9'],
  ['run', '-d', '--keep', '-b', '/b', 'c1'],
  ['list', '--format', 'json'],
  ['list', '-q'],
  ['--systemd-cgroup', '--rootless', 'false', 'state', 'c1'],
  ['features'],
  ['validate', '-b', '/b'],
  // A lone dash as a value (stdin): yargs alone would make it a positional (found by scripts/fuzz-cli.js).
  ['update', '--resources', '-', 'c1'],
  ['update', 'c1', '-r', '-'],
];

for (const argv of AGREED) {
  test(`fast parser agrees with yargs: ${argv.join(' ')}`, async () => {
    const fast = fastParse(argv);
    assert.ok(fast, 'the fast parser should accept this');
    const slow = await viaYargs(argv);
    assert.equal(fast.command.name, slow.command);
    assert.deepEqual(fast.positional, slow.positional);
    assert.deepEqual(defined(fast.values), defined(slow.values));
  });
}

const LEFT_TO_YARGS: string[][] = [
  ['--help'], ['state', '--help'], ['nosuchcommand', 'x'], ['state', '--bogus', 'c1'],
  ['list', '--format', 'yaml'], ['create', '--preserve-fds', 'two', 'c1'], ['state', 'c1', '--root', '/x'],
  ['spec', '--rootless'], ['delete', '-fq', 'c1'], ['kill', 'c1', '--', '9'], [],
  ['create', '--pidfd-socket', '--bundle', '/b', 'c1'], ['kill', '--pidfd-socket', '/tmp/p.sock', 'c1'],
];

for (const argv of LEFT_TO_YARGS) {
  test(`fast parser declines: ${JSON.stringify(argv)}`, () => {
    assert.equal(fastParse(argv), undefined);
  });
}

test('a lone dash given to a flag that yargs parses is that flag\'s value, and reported as such', async () => {
  // Unusual syntax (--debug=true) sends these to yargs, not the fast parser.
  const update = await viaYargs(['--debug=true', 'update', '-r', '-', 'c1']);
  assert.equal(update.values.resources, '-');
  assert.deepEqual(update.positional, ['c1']);
  await assert.rejects(viaYargs(['--rootless', '-', 'list']), /invalid value "-" for flag --rootless/);
  await assert.rejects(viaYargs(['state', 'c1', '--rootless', '-']), /invalid value "-" for flag --rootless/);
});

test('what follows exec\'s or ps\'s id is the program\'s, dashes and all, when yargs parses the line', async () => {
  // -dt (switches run together) and --debug=true send these to yargs; it used to read -c and -ef as flags.
  const exec = await viaYargs(['exec', '-dt', 'c1', 'sh', '-c', 'ls -l -']);
  assert.deepEqual(exec.positional, ['c1', 'sh', '-c', 'ls -l -']);
  assert.equal(exec.values.detach, true);
  assert.equal(exec.values.tty, true);
  const file = await viaYargs(['--debug=true', 'exec', 'c1', 'cat', '--file', '-']);
  assert.deepEqual(file.positional, ['c1', 'cat', '--file', '-']);
  const ps = await viaYargs(['--debug=true', 'ps', 'c1', '-ef']);
  assert.deepEqual(ps.positional, ['c1', '-ef']);
  const dashed = await viaYargs(['--debug=true', 'exec', 'c1', '--', 'ls', '-l']);
  assert.deepEqual(dashed.positional, ['c1', 'ls', '-l']);
});

test('a switch given a value takes Go\'s boolean words, and refuses others naming the flag', async () => {
  // Found by scripts/fuzz-cli.js: `events --stats=KILL` streamed (yargs read "KILL" as false); runc refuses it.
  for (const [word, value] of [['1', true], ['t', true], ['TRUE', true], ['true', true], ['0', false], ['F', false], ['false', false]] as const) {
    const r = await viaYargs(['run', `--detach=${word}`, 'c1']);
    assert.equal(r.values.detach, value, word);
  }
  await assert.rejects(viaYargs(['events', '--stats=KILL', 'c1']), /^TsruncError: invalid boolean value "KILL" for flag --stats: /);
  await assert.rejects(viaYargs(['--debug=yes', 'list']), /invalid boolean value "yes" for flag --debug/);
});

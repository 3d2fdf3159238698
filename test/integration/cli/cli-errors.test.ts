// Bad invocations as a person types them: each must fail (non-zero exit) with a message that
// names what was given and why, in plain words: no Node error code ("ENOENT:"), no stack trace,
// no temporary file name, and nothing created under the state root or anywhere else.
// bad-input.test.ts covers broken configs, malformed ids and wrong states against runc; this file
// covers the command line itself, the state root, the pid file, over-long ids and flag values.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBundle, type Bundle } from '../../helpers/rootfs';
import { runtimeCommand, tsruncIsRunc } from '../../helpers/runtime';

const TIMEOUT_MS = 20_000;
const skip = tsruncIsRunc() ? 'TSRUNC_BIN is runc: these are tsrunc\'s own messages' : undefined;

interface Outcome { code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }

/** tsrunc with exactly these arguments (no --root added), as the runtime helper names it. */
function tsrunc(args: string[], cwd?: string): Outcome {
  const cmd = runtimeCommand('tsrunc');
  const r = spawnSync(cmd.argv[0], [...cmd.argv.slice(1), ...args], { encoding: 'utf8', timeout: TIMEOUT_MS, cwd });
  return { code: r.status, signal: r.signal, stderr: r.stderr ?? '', stdout: r.stdout ?? '' };
}

/** Every path below `dir` (a sorted list), to tell whether a failed command created anything. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

const escape = (s: string): RegExp => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

let base: string;
let root: string;
let bundle: Bundle;
let roMount: string | undefined;
let nullNode: string | undefined;

before(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-cli-errors-'));
  root = path.join(base, 'root');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(base, 'a-file'), 'not a directory\n');
  // What a pid file must not replace: a fifo, a directory, and a null device of our own.
  spawnSync('mkfifo', [path.join(base, 'a-fifo')]);
  fs.mkdirSync(path.join(base, 'a-dir'));
  if (spawnSync('mknod', ['-m', '666', path.join(base, 'a-null'), 'c', '1', '3']).status === 0) nullNode = path.join(base, 'a-null');
  fs.mkdirSync(path.join(base, 'config-is-a-dir', 'config.json'), { recursive: true });
  fs.mkdirSync(path.join(base, 'config-is-a-dir', 'rootfs'));
  bundle = makeBundle({ args: ['true'] });
  // A read-only file system for the "unwritable --root" cases (root may write anywhere else).
  const ro = path.join(base, 'readonly');
  fs.mkdirSync(ro);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tsrunc-test-ro', ro]).status === 0) roMount = ro;
});

after(() => {
  // A regression that lets a bad invocation create a container must not leave it running.
  for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) tsrunc(['--root', root, 'delete', '--force', id]);
  if (roMount) spawnSync('umount', [roMount]);
  bundle?.cleanup();
  fs.rmSync(base, { recursive: true, force: true });
});

interface Case {
  name: string;
  args: () => string[];
  /** Each must match stderr; the first is usually the offending value itself. */
  phrases: () => RegExp[];
  /** Paths that must not exist afterwards (besides nothing new under the scratch dir). */
  absent?: () => string[];
  /** Paths whose kind must be unchanged afterwards (a name staying in place says nothing of it). */
  kept?: () => { path: string; what: string; is: (st: fs.Stats) => boolean }[];
  skip?: () => string | undefined;
}

const LONG_ID = 'x'.repeat(300);

const CASES: Case[] = [
  // Ids: an over-long one is refused up front, by every command, before the bundle is read.
  ...['create', 'run'].map((cmd): Case => ({
    name: `${cmd} with a 300-character id`,
    args: () => ['--root', root, cmd, '--bundle', bundle.dir, LONG_ID],
    phrases: () => [/invalid container ID format/, escape(LONG_ID), /at most 255/],
  })),
  ...['state', 'start', 'kill', 'delete', 'pause'].map((cmd): Case => ({
    name: `${cmd} of a 300-character id`,
    args: () => ['--root', root, cmd, LONG_ID],
    phrases: () => [/invalid container ID format/, escape(LONG_ID)],
  })),
  {
    name: 'exec into a 300-character id',
    args: () => ['--root', root, 'exec', LONG_ID, 'true'],
    phrases: () => [/invalid container ID format/, escape(LONG_ID)],
  },

  // Bundles that cannot be read.
  {
    name: 'create from a bundle path that is a file',
    args: () => ['--root', root, 'create', '--bundle', path.join(base, 'a-file'), 'c1'],
    phrases: () => [escape(path.join(base, 'a-file')), /not a directory/],
  },
  {
    name: 'create from a bundle whose config.json is a directory',
    args: () => ['--root', root, 'create', '--bundle', path.join(base, 'config-is-a-dir'), 'c1'],
    phrases: () => [escape(path.join(base, 'config-is-a-dir', 'config.json')), /is a directory/],
  },
  {
    name: 'validate a bundle that does not exist',
    args: () => ['--root', root, 'validate', '--bundle', path.join(base, 'no-bundle')],
    phrases: () => [escape(path.join(base, 'no-bundle')), /no such file or directory/],
  },

  // State roots that cannot be used, on the fast path (flags in the usual places) and through yargs.
  ...[
    ['--root', '/dev/null', 'state', 'c1'], ['--root', '/dev/null', 'kill', 'c1'], ['--root', '/dev/null', 'delete', 'c1'],
    ['--root', '/dev/null', 'list'], ['state', 'c1', '--root', '/dev/null'],
  ].map((argv): Case => ({
    name: argv.join(' '),
    args: () => argv,
    phrases: () => [/\/dev\/null/, /not a directory/],
  })),
  {
    name: 'create with --root under a regular file',
    args: () => ['--root', path.join(base, 'a-file', 'root'), 'create', '--bundle', bundle.dir, 'c1'],
    phrases: () => [escape(path.join(base, 'a-file', 'root')), /not a directory/],
  },
  {
    // Node's recursive mkdir never returns here; the test's timeout would show it.
    name: 'create with --root in a /proc directory that does not exist',
    args: () => ['--root', '/proc/nope/tsrunc-root', 'create', '--bundle', bundle.dir, 'c1'],
    phrases: () => [/\/proc\/nope\/tsrunc-root/, /no such file or directory/],
  },
  {
    name: 'create with --root on a read-only file system',
    args: () => ['--root', path.join(roMount ?? '', 'root'), 'create', '--bundle', bundle.dir, 'c1'],
    phrases: () => [escape(path.join(roMount ?? '', 'root')), /read-only file system/],
    skip: () => (roMount ? undefined : 'cannot mount a read-only tmpfs here'),
  },

  {
    // spec passes Node's text on; the last net in the error report must still say it plainly.
    name: 'spec into a read-only directory',
    args: () => ['--root', root, 'spec', '--bundle', roMount ?? ''],
    phrases: () => [escape(path.join(roMount ?? '', 'config.json')), /read-only file system/],
    skip: () => (roMount ? undefined : 'cannot mount a read-only tmpfs here'),
  },

  // Pid files that cannot be written: named as given, never by the temporary file beside it.
  {
    name: 'create --pid-file in a directory that does not exist',
    args: () => ['--root', root, 'create', '--pid-file', '/proc/nope/c1.pid', '--bundle', bundle.dir, 'c1'],
    phrases: () => [/\/proc\/nope\/c1\.pid/, /no such file or directory/],
    absent: () => [path.join(root, 'c1')],
  },
  {
    name: 'create --pid-file below a regular file',
    args: () => ['--root', root, 'create', '--pid-file', path.join(base, 'a-file', 'c1.pid'), '--bundle', bundle.dir, 'c1'],
    phrases: () => [escape(path.join(base, 'a-file', 'c1.pid')), /not a directory/],
  },
  // The pid file replaces what is at its path (runc's does too): never a device, fifo or directory.
  {
    name: 'create --pid-file naming a character device (a null device of the test\'s own)',
    args: () => ['--root', root, 'create', '--pid-file', nullNode ?? '', '--bundle', bundle.dir, 'c1'],
    phrases: () => [escape(nullNode ?? ''), /not a regular file/],
    absent: () => [path.join(root, 'c1')],
    kept: () => [{ path: nullNode ?? '', what: 'a character device', is: (st) => st.isCharacterDevice() }],
    skip: () => (nullNode ? undefined : 'cannot make a device node here'),
  },
  {
    name: 'run --pid-file naming a fifo',
    args: () => ['--root', root, 'run', '--pid-file', path.join(base, 'a-fifo'), '--bundle', bundle.dir, 'c1'],
    phrases: () => [escape(path.join(base, 'a-fifo')), /not a regular file/],
    absent: () => [path.join(root, 'c1')],
    kept: () => [{ path: path.join(base, 'a-fifo'), what: 'a fifo', is: (st) => st.isFIFO() }],
  },
  {
    name: 'create --pid-file naming a directory',
    args: () => ['--root', root, 'create', '--pid-file', path.join(base, 'a-dir'), '--bundle', bundle.dir, 'c1'],
    phrases: () => [escape(path.join(base, 'a-dir')), /not a regular file/],
    absent: () => [path.join(root, 'c1')],
    kept: () => [{ path: path.join(base, 'a-dir'), what: 'a directory', is: (st) => st.isDirectory() }],
  },

  // Flags and their values.
  {
    name: '--log-format xml',
    args: () => ['--root', root, '--log-format', 'xml', 'state', 'c1'],
    phrases: () => [/\\?"xml\\?"/, /--log-format/, /text, json/],
  },
  {
    name: '--rootless maybe',
    args: () => ['--root', root, '--rootless', 'maybe', 'list'],
    phrases: () => [/\\?"maybe\\?"/, /--rootless/],
  },
  {
    name: 'list --format yaml',
    args: () => ['--root', root, 'list', '--format', 'yaml'],
    phrases: () => [/\\?"yaml\\?"/, /--format/, /table, json/],
  },
  {
    name: 'create --preserve-fds two',
    args: () => ['--root', root, 'create', '--preserve-fds', 'two', '--bundle', bundle.dir, 'c1'],
    phrases: () => [/\\?"two\\?"/, /--preserve-fds/],
  },
  {
    name: 'exec --preserve-fds -1',
    args: () => ['--root', root, 'exec', '--preserve-fds', '-1', 'c1', 'true'],
    phrases: () => [/\\?"-1\\?"/, /--preserve-fds/],
  },
  {
    name: 'an unknown flag of a command',
    args: () => ['--root', root, 'state', '--bogus', 'c1'],
    phrases: () => [/flag provided but not defined: --bogus/],
  },
  {
    name: 'an unknown global flag (not taken as having the command for its value)',
    args: () => ['--root', root, '--bogus', 'state', 'c1'],
    phrases: () => [/flag provided but not defined: --bogus/],
  },
  {
    name: 'a short flag the command does not have',
    args: () => ['--root', root, 'kill', '-s', 'KILL', 'c1'],
    phrases: () => [/flag provided but not defined: -s\b/],
  },
  {
    name: 'a flag without its value',
    args: () => ['--root', root, 'create', 'c1', '--bundle'],
    phrases: () => [/flag needs an argument: --bundle/],
  },
  {
    name: 'an unknown command',
    args: () => ['--root', root, 'frobnicate', 'c1'],
    phrases: () => [/'frobnicate'/],
  },
  {
    name: 'help for an unknown command',
    args: () => ['help', 'frobnicate'],
    phrases: () => [/'frobnicate'/],
  },
  {
    name: 'kill without an id',
    args: () => ['--root', root, 'kill'],
    phrases: () => [/\\?"kill\\?"/, /argument/],
  },
  {
    name: '--log in a directory that does not exist (a warning), then an unknown id',
    args: () => ['--root', root, '--log', '/proc/nope/tsrunc.log', 'state', 'c1'],
    phrases: () => [/\/proc\/nope\/tsrunc\.log/, /no such file or directory/, /container does not exist/],
  },
];

describe('bad invocations: plain messages, nothing created', { skip }, () => {
  for (const k of CASES) {
    test(k.name, { timeout: TIMEOUT_MS + 5_000 }, (t) => {
      const why = k.skip?.();
      if (why) return t.skip(why);
      const before = tree(base);
      const bundleBefore = tree(bundle.dir);
      const args = k.args();
      const r = tsrunc(args, base);
      const show = `$ tsrunc ${args.join(' ')}\nexit=${r.code ?? r.signal}\nstderr:\n${r.stderr}`;
      assert.equal(r.signal, null, `killed (hung?)\n${show}`);
      assert.notEqual(r.code, 0, `should fail\n${show}`);
      assert.notEqual(r.stderr.trim(), '', `an error message is expected\n${show}`);
      assert.doesNotMatch(r.stderr, /\bE[A-Z]{3,}\b:/, `a Node error code reached the user\n${show}`);
      assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, `a stack trace reached the user\n${show}`);
      // A temp file of ours (".NAME.PID") is never what the user gave.
      assert.doesNotMatch(r.stderr, /\/\.[^/\s"]+\.\d+\b/, `a temporary file name reached the user\n${show}`);
      for (const p of k.phrases()) assert.match(r.stderr, p, show);
      assert.deepEqual(tree(base), before, `something was created or removed\n${show}`);
      assert.deepEqual(tree(bundle.dir), bundleBefore, `the bundle changed\n${show}`);
      for (const p of k.absent?.() ?? []) assert.ok(!fs.existsSync(p), `${p} should not exist\n${show}`);
      for (const { path: p, what, is } of k.kept?.() ?? []) assert.ok(is(fs.lstatSync(p)), `${p} should still be ${what}\n${show}`);
    });
  }
});

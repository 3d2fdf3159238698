// Help, manual pages and completion all come from the command table (src/cli-table.ts) and the
// topics (src/help/topics.ts): every command and option must have text of its own (not runc's
// sentences), appear in `tsrunc help COMMAND`, `COMMAND --help`, its man page and the completion
// scripts, and the commands that run must not load any of it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { flagProblem } from '../../../src/argv';
import { COMMANDS, GLOBAL_OPTIONS, type OptionTable } from '../../../src/cli-table';
import { TOPICS } from '../../../src/help/topics';
import { TOP_LEVEL_SWITCHES } from '../../../src/help/render';
import { hasRunc, repoRoot, runtimeCommand, tsruncIsRunc } from '../../helpers/runtime';

const skipBinary = tsruncIsRunc() ? 'TSRUNC_BIN is runc: this checks tsrunc\'s own help' : undefined;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-cli-help-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function tsrunc(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const cmd = runtimeCommand('tsrunc');
  const r = spawnSync(cmd.argv[0], [...cmd.argv.slice(1), ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Text with line breaks and runs of spaces collapsed, so wrapped help can be searched. */
const flat = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Every spelling of every option of a table: --name and -x. */
function spellings(table: OptionTable): string[] {
  return Object.entries(table).flatMap(([n, s]) => (s.alias ? [`-${s.alias}`, `--${n}`] : [`--${n}`]));
}

describe('the command table has help of its own for everything', () => {
  test('every command: a description, details and one or two examples that are valid command lines', () => {
    for (const c of COMMANDS) {
      assert.ok(c.describe.trim().length > 10, `${c.name}: description`);
      const topic = TOPICS[c.name];
      assert.ok(topic, `${c.name}: no topic in src/help/topics.ts`);
      assert.ok(topic.details.trim().length > 20, `${c.name}: details`);
      assert.ok(topic.examples.length >= 1 && topic.examples.length <= 2, `${c.name}: ${topic.examples.length} examples`);
      for (const e of topic.examples) {
        assert.ok(e.explain.trim(), `${c.name}: an example without explanation`);
        const mine = e.lines.filter((l) => l.startsWith('tsrunc '));
        assert.ok(mine.some((l) => l.split(' ').includes(c.name)), `${c.name}: an example should run it: ${e.lines.join(' / ')}`);
        for (const line of mine) {
          const argv = line.split(/\s+/).slice(1);
          assert.equal(flagProblem(argv), undefined, `example ${JSON.stringify(line)} has a flag the table does not`);
        }
      }
    }
    assert.deepEqual(Object.keys(TOPICS).sort(), COMMANDS.map((c) => c.name).sort(), 'topics for commands that do not exist');
  });

  test('every option: a description', () => {
    for (const [where, table] of [['global', GLOBAL_OPTIONS], ...COMMANDS.map((c) => [c.name, c.options] as const)] as const) {
      for (const [name, spec] of Object.entries(table)) assert.ok(spec.describe.trim().length > 5, `${where} --${name}: description`);
    }
  });

  test('no description is runc\'s sentence', { skip: hasRunc() ? undefined : 'runc is not installed' }, () => {
    const runcText = (args: string[]): string => flat(spawnSync('runc', args, { encoding: 'utf8' }).stdout ?? '').toLowerCase();
    const overview = runcText(['--help']);
    for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) {
      assert.ok(!overview.includes(flat(spec.describe).toLowerCase()), `--${name}: "${spec.describe}" is runc's text`);
    }
    for (const c of COMMANDS) {
      const own = runcText([c.name, '--help']);
      if (!own.includes('usage')) continue; // a command runc does not have
      assert.ok(!overview.includes(flat(c.describe).toLowerCase()), `${c.name}: "${c.describe}" is runc's text`);
      assert.ok(!own.includes(flat(c.describe).toLowerCase()), `${c.name}: "${c.describe}" is runc's text`);
      for (const [name, spec] of Object.entries(c.options)) {
        assert.ok(!own.includes(flat(spec.describe).toLowerCase()), `${c.name} --${name}: "${spec.describe}" is runc's text`);
      }
    }
  });
});

describe('help on the command line', { skip: skipBinary }, () => {
  for (const c of COMMANDS) {
    test(`help ${c.name}, ${c.name} --help and ${c.name} -h`, () => {
      const r = tsrunc(['help', c.name]);
      assert.equal(r.code, 0, r.stderr);
      const text = flat(r.stdout);
      assert.ok(text.startsWith(`tsrunc ${c.name}: ${flat(c.describe)}`), r.stdout);
      for (const o of spellings(c.options)) assert.match(r.stdout, new RegExp(`(^|[ ,])${o}\\b`, 'm'), `${o} missing\n${r.stdout}`);
      for (const e of TOPICS[c.name].examples) for (const l of e.lines) assert.ok(r.stdout.includes(l), `example ${l} missing\n${r.stdout}`);
      // The command's own options first, the global ones once, after them.
      const ownAt = r.stdout.indexOf('\nOptions:');
      const globalAt = r.stdout.indexOf('\nGlobal options');
      assert.ok(ownAt > 0 && globalAt > ownAt, r.stdout);
      for (const o of spellings(GLOBAL_OPTIONS)) {
        const count = r.stdout.split('\n').filter((l) => new RegExp(`^\\s+${o}(?=[ ,]|$)`).test(l)).length;
        assert.equal(count, c.options[o.slice(2)] ? 2 : 1, `${o} should be listed once among the globals\n${r.stdout}`);
      }
      assert.equal(tsrunc([c.name, '--help']).stdout, r.stdout, `${c.name} --help differs from help ${c.name}`);
      assert.equal(tsrunc(['--root', scratch, c.name, '-h']).stdout, r.stdout, `${c.name} -h differs`);
    });
  }

  test('--help, help and no arguments list every command and global option', () => {
    const r = tsrunc(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c.name}\\s`, 'm'), `${c.name} missing\n${r.stdout}`);
    for (const o of spellings({ ...GLOBAL_OPTIONS, ...TOP_LEVEL_SWITCHES })) assert.ok(r.stdout.includes(o), `${o} missing`);
    assert.equal(tsrunc(['help']).stdout, r.stdout);
    assert.equal(tsrunc([]).stdout, r.stdout);
  });

  test('exec passes -h and --help after the id on to the container\'s program', () => {
    // Parsed, not answered with help: the container does not exist, so that is the error.
    const r = tsrunc(['--root', scratch, 'exec', 'nosuch', 'ls', '--help']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /container does not exist/);
  });

  test('the commands that run load neither the help text nor yargs', () => {
    const cli = path.join(repoRoot(), 'dist', 'src', 'cli.js');
    const probe = `const m = require(${JSON.stringify(cli)}); m.main(['--root', ${JSON.stringify(scratch)}, 'state', 'nosuch'])
      .then(() => process.stdout.write(JSON.stringify(Object.keys(require.cache))));`;
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    const loaded = JSON.parse(r.stdout) as string[];
    assert.ok(loaded.includes(cli), r.stdout);
    assert.deepEqual(loaded.filter((f) => /[/\\](help|yargs[^/\\]*)[/\\]/.test(f)), [], 'loaded on the hot path');
    const h = spawnSync(process.execPath, ['-e', probe.replace(`'state', 'nosuch'`, `'help', 'state'`)], { encoding: 'utf8' });
    assert.ok(h.stdout.includes(`${path.sep}help${path.sep}render.js`), 'help loads src/help when asked (the probe works)');
  });
});

describe('man pages and completion from the build', () => {
  const out = path.join(scratch, 'docs');
  const built = spawnSync(process.execPath, [path.join(repoRoot(), 'scripts', 'build-docs.js'), out], { encoding: 'utf8' });
  const read = (...p: string[]): string => fs.readFileSync(path.join(out, ...p), 'utf8');
  /** An option as roff writes it (dashes escaped). */
  const roff = (o: string): string => o.replace(/-/g, '\\-');

  test('scripts/build-docs.js writes tsrunc.8, a page per command and the completions', () => {
    assert.equal(built.status, 0, built.stderr);
    const pages = fs.readdirSync(path.join(out, 'man', 'man8')).sort();
    assert.deepEqual(pages, ['tsrunc.8', ...COMMANDS.map((c) => `tsrunc-${c.name}.8`)].sort());
    assert.deepEqual(fs.readdirSync(path.join(out, 'completion')).sort(), ['_tsrunc', 'tsrunc.bash']);
  });

  test('tsrunc.8 has every command and global option; each command\'s page every option and example', () => {
    const main = read('man', 'man8', 'tsrunc.8');
    for (const c of COMMANDS) assert.ok(main.includes(`\\fBtsrunc\\-${roff(c.name)}\\fR(8)`), `${c.name} missing from tsrunc.8`);
    for (const o of spellings({ ...GLOBAL_OPTIONS, ...TOP_LEVEL_SWITCHES })) assert.ok(main.includes(`\\fB${roff(o)}\\fR`), `${o} missing from tsrunc.8`);
    for (const c of COMMANDS) {
      const page = read('man', 'man8', `tsrunc-${c.name}.8`);
      assert.match(page, new RegExp(`^\\.TH TSRUNC\\\\-${c.name.toUpperCase()} 8 `, 'm'));
      for (const o of spellings(c.options)) assert.ok(page.includes(`\\fB${roff(o)}\\fR`), `${o} missing from tsrunc-${c.name}.8`);
      for (const e of TOPICS[c.name].examples) for (const l of e.lines) assert.ok(page.includes(roff(l)), `example ${l} missing from tsrunc-${c.name}.8`);
    }
  });

  test('groff formats every page without a warning', (t) => {
    if (spawnSync('groff', ['--version']).status !== 0) return t.skip('groff is not installed');
    const pages = fs.readdirSync(path.join(out, 'man', 'man8')).map((p) => path.join(out, 'man', 'man8', p));
    const r = spawnSync('groff', ['-man', '-ww', '-z', ...pages], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', r.stderr);
  });

  /** What bash completes for the words typed so far (the last one is being completed). */
  function complete(words: string[]): string[] {
    const script = [
      `source ${JSON.stringify(path.join(out, 'completion', 'tsrunc.bash'))}`,
      `COMP_WORDS=(${['tsrunc', ...words].map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length}`,
      '_tsrunc',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  test('bash: the script parses; commands, global options and each command\'s options complete', () => {
    assert.equal(spawnSync('bash', ['-n', path.join(out, 'completion', 'tsrunc.bash')]).status, 0);
    assert.deepEqual(complete(['']), [...COMMANDS.map((c) => c.name), 'help'].sort());
    assert.deepEqual(complete(['-']), spellings({ ...GLOBAL_OPTIONS, ...TOP_LEVEL_SWITCHES }).sort());
    for (const c of COMMANDS) {
      assert.deepEqual(complete(['--root', '/x', c.name, '-']), [...spellings(c.options), '--help'].sort(), `options of ${c.name}`);
    }
    assert.deepEqual(complete(['--log-format', '']), ['json', 'text']);
    assert.deepEqual(complete(['list', '--format', '']), ['json', 'table']);
    assert.deepEqual(complete(['help', '']), COMMANDS.map((c) => c.name).sort());
  });

  test('zsh: every command and option is in _tsrunc', (t) => {
    const zsh = read('completion', '_tsrunc');
    assert.match(zsh, /^#compdef tsrunc$/m);
    for (const c of COMMANDS) {
      assert.match(zsh, new RegExp(`^ {8}${c.name}\\) _arguments`, 'm'), `${c.name} missing`);
      for (const [n, s] of Object.entries(c.options)) {
        assert.ok(zsh.includes(`--${n}`) && (!s.alias || zsh.includes(`-${s.alias},`)), `${c.name} --${n} missing`);
      }
    }
    for (const n of Object.keys(GLOBAL_OPTIONS)) assert.ok(zsh.includes(`'--${n}`), `--${n} missing`);
    if (spawnSync('zsh', ['--version']).status !== 0) return t.skip('zsh is not installed: the script was not parsed');
    const r = spawnSync('zsh', ['-n', path.join(out, 'completion', '_tsrunc')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  /** What an interactive zsh (driven through zpty) shows after `words` and a TAB. */
  function zshComplete(words: string): string {
    const driver = path.join(scratch, 'zpty.zsh');
    fs.writeFileSync(driver, [
      'zmodload zsh/zpty',
      'zpty z zsh -f -i',
      'zpty -w z "fpath=($1 \\$fpath); autoload -Uz compinit; compinit -u -D; zstyle \':completion:*\' menu no"',
      'sleep 0.5',
      'zpty -w -n z "$2"$\'\\t\'',
      'sleep 1.5',
      'local out= line',
      'while zpty -r -t z line; do out+=$line; done',
      'print -r -- "$out"',
      'zpty -d z',
    ].join('\n'));
    const r = spawnSync('zsh', [driver, path.join(out, 'completion'), words], { encoding: 'utf8', timeout: 15_000 });
    // The terminal's echo with its control sequences removed; the checks look for words that
    // neither the setup line nor the typed words contain.
    return (r.stdout ?? '').replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
  }

  test('zsh: an interactive shell completes options (repeatable ones too) and values', (t) => {
    if (spawnSync('zsh', ['--version']).status !== 0) return t.skip('zsh is not installed');
    assert.match(zshComplete('tsrunc exec -e A=1 -e B=2 --ca'), /--cap=/);
    const formats = zshComplete('tsrunc list --format ');
    assert.match(formats, /json/);
    assert.match(formats, /table/);
  });
});

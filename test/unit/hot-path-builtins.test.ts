// The lifecycle's commands (create, run, exec, state, list, start, kill, delete, pause) load no Node
// built-in module at start in the executable: in Bun, node:fs and node:path alone cost each of them
// about a millisecond (docs/performance.md). The executable's code is bundled as scripts/build-executable.js splits it
// (ESM, one chunk per command), and each command's static import closure, from the entry through
// its own chunk, is searched for an import of a built-in. A built-in required inside a function
// (child_process for a hook, node:tty for a terminal tsrunc relays itself) is loaded only when that
// function runs, and is allowed.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRoot } from '../helpers/layers';

const LIFECYCLE_COMMANDS = ['create', 'run', 'exec', 'state', 'list', 'start', 'kill', 'delete', 'pause'];
const BUILTIN = /(?:from|import)\s*"(?:node:)?(fs|path|os|child_process|tty|net|util|events|stream|crypto|worker_threads|buffer|url|module)(?:\/[a-z]+)?"/g;
const LOCAL = /(?:from|import)\s*"\.\/([^"]+)"/g;

function bundle(): string {
  const root = findRoot();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'hot-path-bundle-'));
  execFileSync(path.join(root, 'node_modules', '.bin', 'bun'),
    ['build', 'src/executable.ts', '--format=esm', '--splitting', '--minify', '--target=bun', '--outdir', out],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

/** Built-in modules imported at the top of any chunk reachable by static imports from `first`. */
function staticBuiltins(dir: string, first: string[]): Map<string, string[]> {
  const seen = new Set<string>();
  const found = new Map<string, string[]>();
  const queue = [...first];
  while (queue.length) {
    const chunk = queue.pop() as string;
    if (seen.has(chunk)) continue;
    seen.add(chunk);
    const text = fs.readFileSync(path.join(dir, chunk), 'utf8');
    // Only import statements count: `import("./x.js")` (a dynamic import) has a parenthesis.
    for (const m of text.matchAll(LOCAL)) queue.push(m[1]);
    for (const m of text.matchAll(BUILTIN)) found.set(m[1], [...(found.get(m[1]) ?? []), chunk]);
  }
  return found;
}

test('the lifecycle commands load no Node built-in module at start (and spec does: the check sees them)', () => {
  const dir = bundle();
  try {
    const chunks = fs.readdirSync(dir);
    // A command may have two chunks (`run`: its module and code it shares with nothing else).
    const chunkOf = (name: string): string[] => {
      const c = chunks.filter((f) => f.startsWith(`${name}-`) && f.endsWith('.js'));
      assert.ok(c.length >= 1, `no chunk for ${name} among ${chunks.join(' ')}`);
      return c;
    };
    for (const name of LIFECYCLE_COMMANDS) {
      const found = staticBuiltins(dir, ['executable.js', ...chunkOf(name)]);
      assert.deepEqual(Object.fromEntries(found), {}, `${name} imports built-in modules at start`);
    }
    // The same search finds what `spec` loads (it writes config.json with node:fs), so an empty
    // answer above means something.
    const spec = staticBuiltins(dir, ['executable.js', ...chunkOf('spec')]);
    assert.ok(spec.has('fs') && spec.has('path'), `spec: ${[...spec.keys()].join(', ')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

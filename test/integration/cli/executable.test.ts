// The single-file executable as users install it (scripts/install.sh): found its addon and launcher
// from where it was installed, not from the build tree; never reads Bun's bunfig.toml or .env from
// its working directory (containerd runs the runtime inside the container's bundle); never writes
// executable code to $TMPDIR; and names the runtime it was built with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBundle } from '../../helpers/rootfs';
import { describeResult, repoRoot, Runtime, runtimeCommand, uniqueId } from '../../helpers/runtime';
import { TEST_TIMEOUT } from '../../helpers/suite';

const BUILT = path.join(repoRoot(), 'dist', 'bin', 'tsrunc');
/** Why these tests cannot run here, if they cannot: they are about the built executable. */
const notBuilt = fs.existsSync(BUILT) ? undefined : `${BUILT} is not built (npm run build)`;
const overridden = process.env.TSRUNC_BIN ? 'TSRUNC_BIN points the suite at another runtime' : undefined;
const skip = notBuilt ?? overridden;

/** Installs the build under a fresh prefix; returns the prefix. */
function installTo(prefix: string): void {
  execFileSync('bash', [path.join(repoRoot(), 'scripts', 'install.sh'), prefix], { stdio: 'pipe' });
}

test('installed under a prefix, the executable runs a container from its own libexec', { ...TEST_TIMEOUT, skip }, async (t) => {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-prefix-'));
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-link-'));
  const bundle = makeBundle({ args: ['/bin/echo', 'installed'] });
  t.after(() => {
    bundle.cleanup();
    fs.rmSync(prefix, { recursive: true, force: true });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });
  installTo(prefix);
  for (const f of ['bin/tsrunc', 'libexec/tsrunc/tsrunc-launcher', 'libexec/tsrunc/tsrunc_addon.node']) {
    assert.ok(fs.statSync(path.join(prefix, f)).mode & 0o111, `${f} installed and executable`);
  }
  for (const f of ['share/man/man8/tsrunc.8', 'share/man/man8/tsrunc-create.8', 'share/bash-completion/completions/tsrunc', 'share/zsh/vendor-completions/_tsrunc']) {
    assert.ok(fs.statSync(path.join(prefix, f)).size > 0, `${f} installed`);
  }
  // Run through a symlink in another directory, as /usr/bin/x -> /opt/... links are, and with the
  // build tree's natives out of reach (a copy that fell back on them would still pass otherwise).
  fs.symlinkSync(path.join(prefix, 'bin', 'tsrunc'), path.join(elsewhere, 'tsrunc'));
  const hidden = path.join(repoRoot(), 'build', 'Release');
  const rt = new Runtime('tsrunc');
  t.after(async () => { assert.deepEqual(await rt.cleanupAll(), [], 'a container was left'); });
  const id = uniqueId('installed');
  const argv = [path.join(elsewhere, 'tsrunc'), '--root', rt.root, 'run', '--bundle', bundle.dir, id];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  spawnSync(argv[0], ['--root', rt.root, 'delete', '--force', id]);
  assert.equal(r.status, 0, `${r.stderr}`);
  assert.equal(r.stdout, 'installed\n');
  assert.ok(fs.existsSync(hidden), 'the build tree is still there: the prefix copy did not need it removed');

  // Without its libexec, the installed copy says what is missing instead of using the build tree's.
  fs.rmSync(path.join(prefix, 'libexec'), { recursive: true });
  const broken = spawnSync(argv[0], ['--root', rt.root, 'run', '--bundle', bundle.dir, uniqueId('broken')], { encoding: 'utf8' });
  assert.notEqual(broken.status, 0);
  assert.match(broken.stderr, new RegExp(`${prefix}/libexec/tsrunc/tsrunc[-_]\\w+`));
});

test('a bunfig.toml preload and a .env in the working directory (the bundle) are never read', { ...TEST_TIMEOUT, skip }, async (t) => {
  const bundle = makeBundle({ args: ['/bin/true'] });
  const marker = path.join(bundle.dir, 'preload-ran');
  t.after(() => bundle.cleanup());
  fs.writeFileSync(path.join(bundle.dir, 'bunfig.toml'), 'preload = ["./hostile.js"]\n');
  fs.writeFileSync(path.join(bundle.dir, 'hostile.js'), `require("fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
  // Each variable would break or redirect tsrunc if it were loaded.
  fs.writeFileSync(path.join(bundle.dir, '.env'), 'TSRUNC_LAUNCHER=/bin/false\nTSRUNC_ADDON=/nonexistent.node\n');
  fs.writeFileSync(path.join(bundle.dir, '.env.production'), 'TSRUNC_LAUNCHER=/bin/false\n');
  const rt = new Runtime('tsrunc');
  t.after(async () => { assert.deepEqual(await rt.cleanupAll(), [], 'a container was left'); });
  const id = uniqueId('hostile-cwd');
  const r = await rt.exec(['run', '--bundle', '.', id], { cwd: bundle.dir });
  await rt.deleteForce(id);
  assert.equal(r.code, 0, describeResult(r));
  assert.equal(fs.existsSync(marker), false, 'the preload from bunfig.toml ran');
  const st = await rt.exec(['list'], { cwd: bundle.dir });
  assert.equal(st.code, 0, describeResult(st));
  assert.equal(fs.existsSync(marker), false, 'the preload from bunfig.toml ran');
});

test('a noexec $TMPDIR is fine: nothing is extracted there to run', { ...TEST_TIMEOUT, skip }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-noexec-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'noexec,size=4m', 'tsrunc-noexec', tmp]);
  const bundle = makeBundle({ args: ['/bin/echo', 'ok'] });
  t.after(() => {
    bundle.cleanup();
    spawnSync('umount', [tmp]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const rt = new Runtime('tsrunc');
  t.after(async () => { assert.deepEqual(await rt.cleanupAll(), [], 'a container was left'); });
  const id = uniqueId('noexec-tmp');
  const [bin, ...pre] = runtimeCommand('tsrunc').argv;
  const r = spawnSync(bin, [...pre, '--root', rt.root, 'run', '--bundle', bundle.dir, id], {
    encoding: 'utf8', env: { ...process.env, TMPDIR: tmp },
  });
  await rt.deleteForce(id);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'ok\n');
  assert.deepEqual(fs.readdirSync(tmp), [], 'the executable left files in $TMPDIR');
});

test('--version names the JavaScript runtime it was built with', { skip }, () => {
  const out = execFileSync(BUILT, ['--version'], { encoding: 'utf8' });
  const bun = /^bun: (\d+\.\d+\.\d+)$/m.exec(out);
  assert.ok(bun, out);
  const pinned = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')).devDependencies.bun;
  assert.equal(bun[1], pinned);
  assert.doesNotMatch(out, /^node:/m);
});

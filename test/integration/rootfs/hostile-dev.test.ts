// A hostile image against /dev set-up and masked paths (issue 32; runc's CVE-2025-31133 class):
// /dev/null a symlink to a host file, /dev itself a symlink to a host directory. The "host file"
// is a canary in a temp dir the config binds at /canary (standing in for core_pattern, which a
// test never touches); every case checks the canary from outside. runc 1.1.5 is run too and
// follows these symlinks (it predates the fixes): its outcome is reported, not asserted, while the
// tsrunc side is asserted in full.
import { describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BundleOptions, Spec } from '../../helpers/rootfs';
import type { Runtime } from '../../helpers/runtime';
import { forEachRuntime, keyed, runtimesForSuite, scratchDirsForFile, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const scratch = scratchDirsForFile('tsrunc-hostile-dev-');
const CANARY = 'CANARY-UNCHANGED\n';

interface Canary { dir: string; file: string; entries(): string[]; content(): string }

function canary(): Canary {
  const dir = scratch();
  const file = path.join(dir, 'secret');
  fs.writeFileSync(file, CANARY, { mode: 0o644 });
  return { dir, file, entries: () => fs.readdirSync(dir).sort(), content: () => fs.readFileSync(file, 'utf8') };
}

const canaryMount = (c: Canary) => ({ destination: '/canary', type: 'bind', source: c.dir, options: ['rbind', 'rw'] });

/** The image's /dev is used as it is: no tmpfs (nor anything else) mounted on or under /dev. */
const withoutDevMounts = (s: Spec): void => { s.mounts = s.mounts.filter((m) => !(m.destination === '/dev' || m.destination.startsWith('/dev/'))); };

/** runc 1.1.5 has the 2025 CVEs: what it did is shown in the output, the case goes on for tsrunc only. */
function reportRunc(t: TestContext, rt: Runtime, what: string): boolean {
  if (rt.kind !== 'runc') return false;
  t.diagnostic(`runc 1.1.5: ${what}`);
  return true;
}

// What the container sees at masked paths (a file and a directory), and a write through the file.
const MASK_PROBE = 'for p in /proc/timer_list /proc/keys; do stat -c "$p %F %t:%T" $p; done; echo "read $(head -c 64 /proc/timer_list | tr -d "\\n")"; '
  + 'echo PWNED > /proc/keys; stat -c "firmware %F" /sys/firmware; echo "firmwarefiles $(ls -A /sys/firmware | wc -l)"; '
  + 'if touch /sys/firmware/x 2>&-; then echo "firmwarewrite yes"; else echo "firmwarewrite no"; fi; '
  + 'echo "timerlistmount $(grep " /proc/timer_list " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1)"; '
  // A masked path that is a symlink in the image: followed inside the root, as runc does, so its
  // target (here the canary's bind) is what is masked; the host file is never written.
  + 'stat -c "hostilemask %F %t:%T" /etc/hostile-mask; echo "canaryread $(cat /canary/secret)"';

describe(`a hostile /dev (${pair.sut.label}${pair.ref ? ', also runc 1.1.5' : ''})`, () => {
  // The directory's `null`: a symlink to the canary, or the host file itself (a regular file).
  for (const kind of ['a symlink to a host file', 'a host file'] as const) {
    forEachRuntime(pair, `masked paths with /dev bound from a directory whose null is ${kind}: masked by the null device, the file unchanged`, async (t, rt) => {
      const c = canary();
      const hostDev = kind === 'a host file' ? c.dir : scratch();
      if (kind === 'a host file') fs.copyFileSync(c.file, path.join(hostDev, 'null'));
      else fs.symlinkSync('/canary/secret', path.join(hostDev, 'null'));
      const hostNull = (): string => fs.readFileSync(kind === 'a host file' ? path.join(hostDev, 'null') : c.file, 'utf8');
      const opts: BundleOptions = {
        args: ['sh', '-c', MASK_PROBE],
        mutate: (s) => {
          // A bind on /dev: no device set-up (runc's rule), so the symlink is what the container has.
          s.mounts = s.mounts.map((m) => (m.destination === '/dev' ? { destination: '/dev', type: 'bind', source: hostDev, options: ['rbind', 'rw'] } : m));
          s.mounts.push(canaryMount(c));
          s.linux.maskedPaths = [...(s.linux.maskedPaths ?? []), '/etc/hostile-mask'];
        },
      };
      await withContainer(rt, 'hostile-null-bind', opts, async (b, id) => {
        fs.symlinkSync('/canary/secret', path.join(b.rootfs, 'etc/hostile-mask'));
        const r = await rt.runToCompletion(b.dir, id);
        const o = keyed(r.stdout);
        if (hostNull() !== CANARY && reportRunc(t, rt, `bound the container's /dev/null (${kind}) on the masked paths (CVE-2025-31133): the host file now reads ${JSON.stringify(hostNull())}`)) return;
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        assert.equal(hostNull(), CANARY, 'the host file is unchanged');
        assert.equal(c.content(), CANARY);
        assert.equal(o.get('/proc/timer_list'), 'character special file 1:3', r.stdout);
        assert.equal(o.get('/proc/keys'), 'character special file 1:3', r.stdout);
        assert.equal(o.get('read'), '', 'a masked file reads empty');
        assert.equal(o.get('timerlistmount'), 'devtmpfs', `the runtime's own null device, not the container's /dev/null\n${r.stdout}`);
        // A masked directory: an empty read-only tmpfs, as runc makes it.
        assert.deepEqual([o.get('firmware'), o.get('firmwarefiles'), o.get('firmwarewrite')], ['directory', '0', 'no'], r.stdout);
        assert.deepEqual([o.get('hostilemask'), o.get('canaryread')], ['symbolic link 0:0', ''], r.stdout);
      });
    });
  }

  forEachRuntime(pair, 'the image\'s /dev/null a symlink to a host file, masked paths set: refused before any mask, the file unchanged', async (t, rt) => {
    const c = canary();
    const opts: BundleOptions = { args: ['sh', '-c', 'echo PWNED > /proc/timer_list; echo PWNED > /proc/keys; echo STARTED'], mutate: (s) => { withoutDevMounts(s); s.mounts.push(canaryMount(c)); } };
    await withContainer(rt, 'hostile-null-img', opts, async (b, id) => {
      fs.mkdirSync(path.join(b.rootfs, 'dev'), { recursive: true });
      fs.symlinkSync('/canary/secret', path.join(b.rootfs, 'dev/null'));
      const r = await rt.runToCompletion(b.dir, id);
      if (c.content() !== CANARY && reportRunc(t, rt, `kept the symlinked /dev/null and bound the host file on the masked paths (CVE-2025-31133): it now reads ${JSON.stringify(c.content())}`)) return;
      if (rt.kind === 'runc') assert.fail(`runc 1.1.5 was expected to follow the symlink; it did not:\n${r.stderr}`);
      assert.notEqual(r.code, 0, r.stdout);
      assert.doesNotMatch(r.stdout, /STARTED/);
      assert.match(r.stderr, /\/dev\/null.*(found a symlink|symlink)/, r.stderr);
      assert.equal(c.content(), CANARY, 'the host file is unchanged');
      assert.equal(fs.readlinkSync(path.join(b.rootfs, 'dev/null')), '/canary/secret', 'the image\'s file is left as it was');
    });
  });

  forEachRuntime(pair, 'the image\'s /dev a symlink to a host directory: refused, no device node or link made there', async (t, rt) => {
    const c = canary();
    const opts: BundleOptions = { args: ['sh', '-c', 'echo STARTED'], mutate: (s) => { withoutDevMounts(s); s.mounts.push(canaryMount(c)); delete s.linux.maskedPaths; } };
    await withContainer(rt, 'hostile-dev-link', opts, async (b, id) => {
      fs.rmSync(path.join(b.rootfs, 'dev'), { recursive: true, force: true });
      fs.symlinkSync('/canary', path.join(b.rootfs, 'dev'));
      const r = await rt.runToCompletion(b.dir, id);
      const made = c.entries().filter((e) => e !== 'secret');
      if (made.length > 0 && reportRunc(t, rt, `followed the image's /dev symlink and made ${made.join(', ')} in the host directory`)) return;
      if (rt.kind === 'runc') assert.fail(`runc 1.1.5 was expected to follow /dev; it did not:\n${r.stderr}`);
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, /\/dev in the container is a symlink/, r.stderr);
      assert.deepEqual(c.entries(), ['secret'], 'nothing was made in the host directory');
      assert.equal(c.content(), CANARY);
    });
  });
});

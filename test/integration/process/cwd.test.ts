// process.cwd can never take the container outside its root (the CVE-2024-21626 class): a cwd
// through /proc/self/fd/N would land wherever an fd held by the runtime at that moment points.
// Every case runs against runc first when it is installed, and must hold for both.

import { describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBundle } from '../../helpers/rootfs';
import { hostMountsMentioning, uniqueId, waitNoRelatedProcesses, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, spawnRuntime, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const HOST_MARKER = 'host-only-marker-file';

// What the process prints about where it is: its cwd, a listing, and pid 1's command line as
// seen from there (in the host's procfs that would be the host's init).
const PROBE = ['sh', '-c', 'echo "cwd=$(pwd)"; ls -a; echo "init=$(cat 1/cmdline 2>/dev/null | tr "\\0" " ")"'];

/** A host directory holding a marker file, opened as a directory fd for the runtime to inherit. */
function hostDirectoryFd(): { fd: number; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-cwd-host-'));
  fs.writeFileSync(path.join(dir, HOST_MARKER), 'secret');
  return { fd: fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY), dir };
}

function hostInitCmdline(): string {
  return fs.readFileSync('/proc/1/cmdline', 'utf8').split('\0').join(' ').trim();
}

async function tryCwd(rt: Runtime, fdNumber: number): Promise<void> {
  const b = makeBundle({ args: PROBE, cwd: `/proc/self/fd/${fdNumber}` });
  const id = uniqueId(`cwd${fdNumber}`);
  const host = hostDirectoryFd();
  // fds 3..7 are handed to the runtime; --preserve-fds 5 passes them all to the container, so the
  // host directory is the container's fd 7 on purpose, and 3..6 are scratch files.
  const scratch = [3, 4, 5, 6].map((n) => fs.openSync(rt.ioPath(`scratch${n}`), 'w+'));
  const out = rt.ioPath(`${id}.out`);
  const err = rt.ioPath(`${id}.err`);
  try {
    const created = await spawnRuntime(rt, ['create', '--preserve-fds', '5', '--bundle', b.dir, id], {
      stdout: out, stderr: err, extraFds: [...scratch, host.fd],
    });
    if (created.code !== 0) {
      // Refused: it must say so about the cwd and leave nothing behind.
      assert.match(created.stderr, /cwd|working directory|\/proc\/self\/fd|no such file|not a directory/i, `refusal should name the cwd:\n${created.stderr}`);
      assert.deepEqual(rt.listedIds().filter((x) => x === id), [], 'no state left after a refused create');
      assert.deepEqual(hostMountsMentioning([b.dir, rt.base]), [], 'no mounts left');
      assert.deepEqual(await waitNoRelatedProcesses({ ids: [id], paths: [b.dir] }), [], 'no processes left');
      return;
    }
    expectOk(await rt.exec(['start', id]), 'start');
    await rt.waitForStatus(id, 'stopped');
    const seen = fs.readFileSync(out, 'utf8');
    assert.doesNotMatch(seen, new RegExp(HOST_MARKER), `the container reached the host directory:\n${seen}`);
    const init = /^init=(.*)$/m.exec(seen)?.[1]?.trim() ?? '';
    assert.notEqual(init, hostInitCmdline(), `the container reached the host's procfs:\n${seen}`);
    assert.match(seen, /^cwd=\//m, `the cwd must be a path inside the container:\n${seen}`);
  } finally {
    for (const fd of [...scratch, host.fd]) fs.closeSync(fd);
    fs.rmSync(host.dir, { recursive: true, force: true });
    await rt.deleteForce(id);
    b.cleanup();
  }
}

describe('process.cwd stays inside the container', () => {
  for (let fd = 3; fd <= 9; fd++) {
    forEachRuntime(pair, `cwd /proc/self/fd/${fd} (a host directory is fd 7): refused or inside, never outside`, async (_t, rt) => {
      await tryCwd(rt, fd);
    });
  }

  forEachRuntime(pair, 'an absolute symlink cwd and ".." climbing above / resolve inside the root', async (_t, rt) => {
    const args = ['sh', '-c', 'pwd; ls'];
    const opts = { args, cwd: '/../../../srv/link', rootfsFiles: { 'srv/inside/here-marker': 'x' } };
    await withContainer(rt, 'cwd-link', opts, async (b, id) => {
      fs.symlinkSync('/../../srv/inside', path.join(b.rootfs, 'srv', 'link'));
      const r = await rt.runToCompletion(b.dir, id);
      assert.equal(r.code, 0, `run: ${r.stderr}`);
      assert.match(r.stdout, /^\/srv\/inside$/m);
      assert.match(r.stdout, /here-marker/);
    });
  });

  forEachRuntime(pair, 'a cwd that is a file fails create with the path in the message', async (_t, rt) => {
    await withContainer(rt, 'cwd-file', { args: ['true'], cwd: '/etc/passwd' }, async (b, id) => {
      const r = await rt.exec(['create', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, 'create must fail');
      assert.match(r.stderr, /\/etc\/passwd/);
      assert.match(r.stderr, /not a directory/);
      assert.deepEqual(rt.listedIds().filter((x) => x === id), []);
    });
  });
});

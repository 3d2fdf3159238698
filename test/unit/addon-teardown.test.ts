// A write the addon does on a thread of its own (writeOnThread: the cgroup attach warm-up, a
// terminal's input) may finish while Node tears the process down: create exits before its
// warm-up write returns. Settling its promise then must not abort the process (it did, with
// "FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw", exit 134, under the development
// runner bin/tsrunc). Here the write waits on a full pipe until the 'exit' handler drains it, and
// the handler lingers until the write is done, so its result arrives during the teardown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const addonModule = path.join(__dirname, '..', '..', 'src', 'native', 'addon.js');

test('a thread\'s write that finishes during the teardown does not abort the process', () => {
  const child = spawnSync(process.execPath, ['-e', `
    const fs = require('node:fs');
    const { addon } = require(${JSON.stringify(addonModule)});
    const { execFileSync } = require('node:child_process');
    // A pipe from mkfifo, opened at both ends here: fill it so that the next write blocks.
    const dir = fs.mkdtempSync('/tmp/addon-teardown-');
    const fifo = dir + '/fifo';
    addon().mkfifo(fifo, 0o600);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    const chunk = Buffer.alloc(4096);
    try { for (;;) fs.writeSync(writer, chunk); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
    const blocking = fs.openSync(fifo, fs.constants.O_WRONLY);
    fs.rmSync(dir, { recursive: true });
    let settled = false;
    addon().writeOnThread(blocking, Buffer.from('x')).then(() => { settled = true; });
    process.on('exit', () => {
      const drain = Buffer.alloc(1 << 20);
      try { fs.readSync(reader, drain); } catch { /* drained */ }
      // The thread's write can go on now; give it time to finish before the teardown begins.
      const until = Date.now() + 100;
      while (Date.now() < until) { /* wait */ }
      if (settled) process.stderr.write('settled before the exit\\n');
    });
  `], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.signal, null, child.stderr);
  assert.equal(child.status, 0, child.stderr);
  assert.doesNotMatch(child.stderr, /FATAL ERROR/);
  assert.doesNotMatch(child.stderr, /settled before the exit/, 'the write was meant to end during the teardown');
});

// A write the addon does on a thread of its own (writeOnThread: the cgroup attach warm-up, a
// terminal's input) may finish while Node tears the process down: create exits before its
// warm-up write returns. Settling its promise then must not abort the process (it did, with
// "FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw", exit 134, under the development
// runner bin/tsrunc), and a thread that hands its result over after Node has deleted the
// thread-safe function aborts in libuv (about one exit in ten here). Here the write waits on a
// full pipe until the 'exit' handler drains it; the handler waits for the written byte (and, in
// the first case, lingers so the result is handed over before the teardown begins), and the
// JavaScript thread, busy in the handler, can only take the result during the teardown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const addonModule = path.join(__dirname, '..', '..', 'src', 'native', 'addon.js');

/** A node process whose writeOnThread write ends as its 'exit' handler returns. */
function exitDuringWrite(lingerMs: number): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ['-e', `
    const fs = require('node:fs');
    const { addon } = require(${JSON.stringify(addonModule)});
    // A fifo opened at both ends here: fill it so that the next write blocks.
    const dir = fs.mkdtempSync('/tmp/addon-teardown-');
    const fifo = dir + '/fifo';
    addon().mkfifo(fifo, 0o600);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    const chunk = Buffer.alloc(4096);
    try { for (;;) fs.writeSync(writer, chunk); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
    const blocking = fs.openSync(fifo, fs.constants.O_WRONLY);
    fs.rmSync(dir, { recursive: true });
    addon().writeOnThread(blocking, Buffer.from('x'));
    process.on('exit', () => {
      // Drain the zeros; the thread's write goes through then. Wait for its byte.
      const buf = Buffer.alloc(1 << 20);
      const until = Date.now() + 20000;
      for (;;) {
        let n = 0;
        try { n = fs.readSync(reader, buf); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
        if (n > 0 && buf[n - 1] === 0x78) break;
        if (Date.now() > until) { process.stderr.write('the thread never wrote\\n'); process.exitCode = 3; return; }
      }
      const linger = Date.now() + ${lingerMs};
      while (Date.now() < linger) { /* the thread hands its result over meanwhile */ }
    });
  `], { encoding: 'utf8', timeout: 30_000 });
}

function assertCleanExit(child: ReturnType<typeof spawnSync>, what: string): void {
  const stderr = String(child.stderr);
  assert.equal(child.signal, null, `${what}: ${stderr}`);
  assert.equal(child.status, 0, `${what}: ${stderr}`);
  assert.doesNotMatch(stderr, /FATAL ERROR/, what);
}

test('a thread\'s write whose result is handed over just before the teardown is settled without aborting', () => {
  assertCleanExit(exitDuringWrite(50), 'result handed over before the teardown');
});

test('a thread\'s write that ends as the teardown begins never reaches the deleted thread-safe function', () => {
  // A race: with the thread unguarded, about one run in ten aborted.
  for (let i = 0; i < 30; i++) assertCleanExit(exitDuringWrite(0), `run ${i + 1}`);
});

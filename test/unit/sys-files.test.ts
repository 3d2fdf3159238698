// src/sys/files.ts: the addon's file calls that the short commands use instead of node:fs, on real
// files. Their errors must read as node:fs's do (code, syscall, path, and the message shape that
// errors.ts rewrites), since the messages users see are built from them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { execFileSync, spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { plainMessage, withoutNodeCodes } from '../../src/errors';
import * as files from '../../src/sys/files';

function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sys-files-'));
}

function thrown(fn: () => unknown): NodeJS.ErrnoException {
  try { fn(); } catch (e) { return e as NodeJS.ErrnoException; }
  assert.fail('no error');
}

test('errors carry what node:fs errors carry, and read the same once worded for the user', () => {
  const dir = scratch();
  try {
    const missing = path.join(dir, 'none');
    const ours = thrown(() => files.readText(missing));
    const node = thrown(() => fs.readFileSync(missing, 'utf8'));
    assert.equal(ours.code, 'ENOENT');
    assert.equal(ours.syscall, 'open');
    assert.equal(ours.path, missing);
    assert.equal(ours.errno, node.errno);
    assert.equal(ours.message, node.message);
    assert.equal(plainMessage(ours), `open ${missing}: no such file or directory`);
    assert.equal(withoutNodeCodes(`x: ${ours.message}`), `x: open ${missing}: no such file or directory`);
    const rename = thrown(() => files.rename(missing, path.join(dir, 'b')));
    assert.equal(rename.code, 'ENOENT');
    assert.equal(plainMessage(rename), `rename ${missing} ${path.join(dir, 'b')}: no such file or directory`);
    fs.writeFileSync(path.join(dir, 'f'), '');
    assert.equal(thrown(() => files.mkdir(path.join(dir, 'f'))).code, 'EEXIST');
    assert.equal(thrown(() => files.open(path.join(dir, 'f'), 'directory')).code, 'ENOTDIR');
    assert.equal(thrown(() => files.rmdir(dir)).code, 'ENOTEMPTY');
    assert.equal(thrown(() => files.access(path.join(dir, 'f'), 'x')).code, 'EACCES');
    // A NUL would end the path early in the kernel: refused, never truncated to another file.
    const nul = thrown(() => files.readText(`${path.join(dir, 'f')}\0ignored`));
    assert.equal(nul.code, 'ERR_INVALID_ARG_VALUE');
    assert.match(nul.message, /NUL/);
    assert.equal(thrown(() => files.mkdir(`${dir}/x\0y`)).code, 'ERR_INVALID_ARG_VALUE');
    assert.ok(!fs.existsSync(path.join(dir, 'x')));
    files.writeText(path.join(dir, 'g'), 'a\0b');
    assert.equal(fs.readFileSync(path.join(dir, 'g'), 'utf8'), 'a\0b', 'a NUL in the data is data');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('reading and writing: whole files (also /proc ones, which report size 0), fds, modes, rename', () => {
  const dir = scratch();
  try {
    const f = path.join(dir, 'a');
    files.writeText(f, 'one', { mode: 0o600 });
    assert.equal(fs.readFileSync(f, 'utf8'), 'one');
    assert.equal(fs.statSync(f).mode & 0o777, 0o600 & ~process.umask());
    files.writeText(f, 'two');
    assert.equal(files.readText(f), 'two', "'w' truncates");
    files.writeText(f, '+', { flag: 'a' });
    assert.equal(files.readText(f), 'two+');
    assert.equal(thrown(() => files.writeText(f, 'x', { flag: 'wx' })).code, 'EEXIST');
    assert.equal(files.readText('/proc/self/stat').split(' ')[0], String(process.pid));
    const big = 'é'.repeat(70_000);
    files.writeText(f, big);
    assert.equal(files.readText(f), big, 'several reads, and UTF-8 kept whole');

    const fd = files.open(path.join(dir, 'b'), 'w', 0o644);
    assert.equal(files.write(fd, 'hello'), 5);
    files.close(fd);
    const rd = files.open(path.join(dir, 'b'), 'r');
    assert.equal(files.readChunk(rd, 3), 'hel');
    assert.equal(files.readChunk(rd, 100), 'lo');
    assert.equal(files.readChunk(rd, 100), '', 'the end of the file');
    assert.ok(fs.readlinkSync(`/proc/self/fd/${rd}`).endsWith('/b'));
    const flags = parseInt(/flags:\s+(\d+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${rd}`, 'utf8'))?.[1] ?? '0', 8);
    assert.ok(flags & 0o2000000, 'close-on-exec');
    files.close(rd);

    files.rename(path.join(dir, 'b'), path.join(dir, 'c'));
    assert.ok(files.exists(path.join(dir, 'c')) && !files.exists(path.join(dir, 'b')));
    files.chmod(path.join(dir, 'c'), 0o751);
    assert.equal(files.stat(path.join(dir, 'c')).mode & 0o7777, 0o751);
    files.access(path.join(dir, 'c'), 'x');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('replace: the new file takes the old one\'s place whole, a reader never misses it, nothing is left', async () => {
  const dir = scratch();
  try {
    const target = path.join(dir, 'state.json');
    const tmp = path.join(dir, '.state.json.tmp');
    files.writeText(tmp, 'first');
    files.replace(tmp, target);
    assert.equal(files.readText(target), 'first', 'no file there yet: a plain rename');
    assert.deepEqual(fs.readdirSync(dir), ['state.json']);

    // A reader in another process while the file is replaced over and over (as `state` and
    // `list` read state.json without the lock): every read sees one whole version.
    const a = 'A'.repeat(3000), b = 'B'.repeat(3000);
    const reader = spawn(process.execPath, ['-e', `
      const fs = require('node:fs'); const bad = []; let n = 0; const end = Date.now() + 400;
      while (Date.now() < end) {
        try { const t = fs.readFileSync(${JSON.stringify(target)}, 'utf8'); n++;
          if (t !== 'first' && t !== ${JSON.stringify(a)} && t !== ${JSON.stringify(b)}) bad.push(t.length); }
        catch (e) { bad.push(e.code); }
      }
      process.stdout.write(JSON.stringify({ n, bad: bad.slice(0, 5) }));`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<void>((resolve) => reader.on('exit', () => resolve()));
    for (let i = 0; i < 300; i++) {
      files.writeText(tmp, i % 2 ? a : b);
      files.replace(tmp, target);
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    await exited;
    const seen = JSON.parse(out) as { n: number; bad: unknown[] };
    assert.deepEqual(seen.bad, [], 'the reader saw no missing or partial file');
    assert.ok(seen.n > 0);
    assert.equal(files.readText(target), a, 'the last version written');
    assert.deepEqual(fs.readdirSync(dir), ['state.json'], 'the old file is gone, not left at the temporary name');

    // A directory in the way is refused as rename(2) refuses it, and both stay as they were.
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    files.writeText(tmp, 'x');
    const e = thrown(() => files.replace(tmp, sub));
    assert.equal(e.code, 'EISDIR');
    assert.equal(e.syscall, 'rename');
    assert.ok(fs.statSync(sub).isDirectory() && files.readText(tmp) === 'x');
    assert.equal(thrown(() => files.replace(path.join(dir, 'missing'), target)).code, 'ENOENT');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('directories: stat and readdir types without following links, mkdir modes, recursive remove', async () => {
  const dir = scratch();
  try {
    files.mkdir(path.join(dir, 'd'), 0o711);
    assert.equal(fs.statSync(path.join(dir, 'd')).mode & 0o777, 0o711 & ~process.umask());
    fs.writeFileSync(path.join(dir, 'd', 'file'), 'x');
    fs.symlinkSync(dir, path.join(dir, 'd', 'link-to-dir'));
    fs.mkdirSync(path.join(dir, 'd', 'sub', 'deeper'), { recursive: true });
    const entries = files.readdir(path.join(dir, 'd')).map((e) => [e.name, e.isDirectory(), e.isFile(), e.isSymbolicLink()]);
    assert.deepEqual(entries.sort(), [['file', false, true, false], ['link-to-dir', false, false, true], ['sub', true, false, false]]);
    assert.deepEqual(files.readdirNames(path.join(dir, 'd')).sort(), ['file', 'link-to-dir', 'sub']);
    assert.ok(files.stat(path.join(dir, 'd', 'link-to-dir')).isDirectory());
    assert.ok(files.lstat(path.join(dir, 'd', 'link-to-dir')).isSymbolicLink());
    assert.equal(files.stat(path.join(dir, 'd', 'file')).size, 1);
    assert.equal(files.stat(dir).uid, process.getuid?.());
    assert.equal(files.readlink(path.join(dir, 'd', 'link-to-dir')), dir);
    assert.equal(files.realpath(path.join(dir, 'd', 'link-to-dir', 'd', 'sub', '..', 'file')), path.join(fs.realpathSync(dir), 'd', 'file'));
    assert.equal(thrown(() => files.realpath(path.join(dir, 'd', 'none'))).code, 'ENOENT');
    const own = files.stat('/proc/self/ns/mnt');
    const nodeOwn = fs.statSync('/proc/self/ns/mnt');
    assert.deepEqual([own.dev, own.ino], [nodeOwn.dev, nodeOwn.ino], 'a namespace is told by dev and ino');
    const sock = path.join(dir, 'sock');
    const server = net.createServer().listen(sock);
    try {
      await new Promise((resolve) => server.on('listening', resolve));
      assert.ok(files.stat(sock).isSocket() && !files.stat(sock).isFile());
    } finally {
      server.close();
    }

    assert.equal(thrown(() => files.remove(path.join(dir, 'd'))).code, 'EISDIR', 'a directory only with recursive');
    files.remove(path.join(dir, 'd'), { recursive: true });
    assert.ok(!fs.existsSync(path.join(dir, 'd')));
    assert.ok(fs.existsSync(dir), 'the link was removed, not followed');
    files.remove(path.join(dir, 'd'), { recursive: true });
    files.remove(path.join(dir, 'never'));
    fs.writeFileSync(path.join(dir, 'plain'), '');
    files.remove(path.join(dir, 'plain'));
    assert.ok(!fs.existsSync(path.join(dir, 'plain')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('signal numbers are the machine\'s (os.constants.signals agrees)', () => {
  const ours = files.signalNumbers();
  for (const [name, n] of Object.entries(os.constants.signals)) {
    if (name in ours) assert.equal(ours[name], n, name);
  }
  assert.equal(ours.SIGKILL, 9);
  assert.equal(ours.SIGTERM, 15);
  assert.ok(Object.keys(ours).length >= 30);
});

test('write gives all of the text to a non-blocking pipe whose reader is slow, as a blocking write would', async () => {
  const dir = scratch();
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  // The reader opens the fifo, then reads only after a pause: the pipe (64 KiB) fills first, and
  // a non-blocking write(2) says EAGAIN.
  const reader = spawn('sh', ['-c', `exec 3<'${fifo}'; sleep 0.3; wc -c <&3`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const counted = new Promise<string>((resolve) => {
    let out = '';
    reader.stdout.on('data', (d) => { out += String(d); });
    reader.on('close', () => resolve(out.trim()));
  });
  // Non-blocking, a fifo opens for writing only once its reader has it open (ENXIO before).
  let fd = -1;
  for (let i = 0; fd < 0; i++) {
    try {
      fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO' || i > 400) throw e;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const text = 'x'.repeat(1 << 20);
  try {
    assert.equal(files.write(fd, text), text.length);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(await counted, String(text.length));
});

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ownerNamer, passwdNames } from '../../src/linux/users';

test('passwdNames: uid to name, the first entry of a uid winning, junk lines skipped', () => {
  const names = passwdNames([
    'root:x:0:0:root:/root:/bin/bash',
    '# a comment:x:5:5',
    'toor:x:0:0::/root:/bin/sh',
    'broken line',
    'svc:x:notanumber:1::/:/bin/false',
    'alice:x:1000:1000:Alice:/home/alice:/bin/bash',
    '',
  ].join('\n'));
  assert.deepEqual([...names.entries()], [[0, 'root'], [1000, 'alice']]);
});

test('ownerNamer: a uid without an entry is #uid, as runc prints it; a missing file names no one', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owner-'));
  try {
    const file = path.join(dir, 'passwd');
    fs.writeFileSync(file, 'root:x:0:0::/root:/bin/sh\n');
    const name = ownerNamer(file);
    assert.equal(name(0), 'root');
    assert.equal(name(4242), '#4242');
    assert.equal(ownerNamer(path.join(dir, 'none'))(0), '#0');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

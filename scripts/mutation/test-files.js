// Where a test file named in areas.js (test/**/NAME.test.ts) is once compiled: dist/test/unit/,
// dist/test/integration/<feature>/, or dist/test/ for a file not yet sorted into either.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function compiledTestFile(top, name) {
  const base = path.join(top, 'dist', 'test');
  const want = `${name}.test.js`;
  const walk = (dir) => {
    let entries;
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return undefined; }
    for (const e of entries) if (e.isFile() && e.name === want) return path.join(dir, e.name);
    for (const e of entries) {
      if (!e.isDirectory() || e.name === 'helpers' || e.name === 'guest') continue;
      const found = walk(path.join(dir, e.name));
      if (found) return found;
    }
    return undefined;
  };
  return walk(base) ?? path.join(base, want);
}

module.exports = { compiledTestFile };

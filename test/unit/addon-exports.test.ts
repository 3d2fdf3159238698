// The addon links its own copy of libstdc++ (binding.gyp): only its N-API entry points may be in
// its dynamic symbol table. Exported, that copy's ~1000 functions would each be a symbol for the
// dynamic linker to bind at every dlopen (every command loads the addon), and could interpose on
// or be bound to another copy loaded in the same process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { nativeDirectory } from '../../src/sys/native-module';

/** Defined dynamic symbols of an ELF file: [type letter, name] (binutils' nm). */
function exportedSymbols(file: string): Array<[string, string]> {
  const out = execFileSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim()).map((l) => {
    const [, type, name] = l.trim().split(/\s+/);
    return [type, name];
  });
}

test('the addon exports its N-API entry points and no function of its own libstdc++ or code', () => {
  const file = path.join(nativeDirectory(), 'tsrunc_addon.node');
  const symbols = exportedSymbols(file);
  const names = symbols.map(([, n]) => n);
  assert.ok(names.includes('napi_register_module_v1'), `the module's entry point is exported: ${names.join(' ')}`);
  // Strong definitions (T, D, B, R) are what the linker made global on purpose; the only ones
  // allowed are N-API's. Weak template instances from the standard headers (W, V, u) may remain.
  const strong = symbols.filter(([t, n]) => /^[TDBR]$/.test(t) && !/^(napi_|node_api_)/.test(n));
  assert.deepEqual(strong, [], 'no other strong symbol is exported');
  for (const runtime of ['__cxa_throw', '__cxa_guard_acquire', '_Znwm', '_ZdlPv', '_ZSt9terminatev']) {
    assert.ok(!names.includes(runtime), `${runtime} (the private libstdc++) is not exported`);
  }
  assert.ok(symbols.length < 20, `${symbols.length} symbols exported`);
});

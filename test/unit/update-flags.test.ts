// `update`'s flags to linux.resources, without a container: sizes as docker's units.RAMInBytes
// reads them (binary multiples, an optional B or iB, decimals, -1), which flags are signed, what
// "not given" and 0 mean, and the messages for bad values. The values reaching the cgroup files
// are cgroups-update.test.ts's. Also the --resources file: its errors, and the parts update takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ramInBytes, readResourcesFile, resourcesFromFlags } from '../../src/commands/update';

const KiB = 1024;
const MiB = KiB * KiB;
const GiB = MiB * KiB;

test('update sizes: plain bytes, k/m/g/t/p as binary multiples, with or without B or iB, any case, decimals, -1', () => {
  const cases: [string, number][] = [
    ['1048576', 1048576], ['2k', 2 * KiB], ['512m', 512 * MiB], ['3g', 3 * GiB], ['1t', 1024 * GiB], ['1p', 1024 * 1024 * GiB],
    ['64MB', 64 * MiB], ['64MiB', 64 * MiB], ['64mib', 64 * MiB], ['64 m', 64 * MiB], ['1.5g', 1.5 * GiB], ['0.5k', 512],
    ['100b', 100], ['-1', -1],
  ];
  for (const [text, bytes] of cases) assert.equal(ramInBytes('memory', text), bytes, text);
});

test('update sizes: anything else is refused, naming the flag and the value', () => {
  for (const text of ['lots', '', '12x', '-2', '1.2.3m', 'm', '5 5m']) {
    assert.throws(() => ramInBytes('memory-swap', text), (e: Error) => e.message === `invalid value for memory-swap: invalid size: '${text}'`, text);
  }
});

test('update flags: each lands in its own field; nothing given is nothing changed', () => {
  assert.deepEqual(resourcesFromFlags({ id: 'c' }), {});
  assert.deepEqual(resourcesFromFlags({
    id: 'c', blkioWeight: '300', cpusetCpus: '0-1', cpusetMems: '0', cpuIdle: '1', cpuBurst: '5000', cpuPeriod: '250000',
    cpuRtPeriod: '500000', cpuShare: '300', cpuQuota: '50000', cpuRtRuntime: '1000', memory: '100m', memorySwap: '200m',
    memoryReservation: '50m', pidsLimit: '7',
  }), {
    blockIO: { weight: 300 },
    cpu: { cpus: '0-1', mems: '0', idle: 1, burst: 5000, period: 250000, realtimePeriod: 500000, shares: 300, quota: 50000, realtimeRuntime: 1000 },
    memory: { limit: 100 * MiB, swap: 200 * MiB, reservation: 50 * MiB },
    pids: { limit: 7 },
  });
});

test('update flags: a blkio weight of 0 and empty cpusets change nothing; signed flags take negatives', () => {
  assert.deepEqual(resourcesFromFlags({ id: 'c', blkioWeight: '0', cpusetCpus: '', cpusetMems: '' }), {});
  assert.deepEqual(resourcesFromFlags({ id: 'c', cpuQuota: '-1', cpuRtRuntime: '-1', cpuIdle: '-1', memory: '-1', memorySwap: '-1' }), {
    cpu: { quota: -1, realtimeRuntime: -1, idle: -1 }, memory: { limit: -1, swap: -1 },
  });
});

test('update flags: a bad number is refused with the flag\'s name and runc\'s wording', () => {
  const bad: [keyof Parameters<typeof resourcesFromFlags>[0], string, string][] = [
    ['cpuPeriod', '-5', 'cpu-period'], ['cpuShare', '1.5', 'cpu-share'], ['cpuRtPeriod', 'x', 'cpu-rt-period'], ['cpuBurst', '-1', 'cpu-burst'],
    ['blkioWeight', '-10', 'blkio-weight'], ['cpuQuota', '1e3', 'cpu-quota'], ['cpuRtRuntime', '', 'cpu-rt-runtime'], ['cpuIdle', '+1', 'cpu-idle'],
    ['pidsLimit', 'many', 'pids-limit'],
    // Unsigned in runc (ParseUint): a negative period or share is refused, not passed on.
    ['cpuRtPeriod', '-1', 'cpu-rt-period'], ['cpuShare', '-2', 'cpu-share'],
  ];
  for (const [key, value, flag] of bad) {
    assert.throws(() => resourcesFromFlags({ id: 'c', [key]: value }), (e: Error) => e.message === `invalid value for ${flag}: parsing "${value}": invalid syntax`, `${flag} ${value}`);
  }
});

test('update sizes: each size flag names itself when its value is bad', () => {
  const flags: [keyof Parameters<typeof resourcesFromFlags>[0], string][] = [['memory', 'memory'], ['memorySwap', 'memory-swap'], ['memoryReservation', 'memory-reservation']];
  for (const [key, flag] of flags) {
    assert.throws(() => resourcesFromFlags({ id: 'c', [key]: '12x' }), (e: Error) => e.message === `invalid value for ${flag}: invalid size: '12x'`, flag);
  }
});

test('update sizes: decimals of more than one digit', () => {
  assert.equal(ramInBytes('memory', '1.25g'), 1.25 * GiB);
  assert.equal(ramInBytes('memory', '0.125m'), 128 * KiB);
});

/** A file reading it gives EACCES even to root: a write-only kernfs/sysfs file. */
function unreadableFile(): string | undefined {
  for (const f of ['/sys/bus/pci/rescan', '/sys/fs/cgroup/memory/cgroup.event_control']) {
    try { fs.readFileSync(f); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'EACCES') return f; }
  }
  return undefined;
}

test('update --resources: a missing or unreadable file is named with the reason, as Go\'s open error', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-update-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const missing = path.join(dir, 'nope.json');
  assert.throws(() => readResourcesFile(missing), (e: Error) => e.message === `open ${missing}: no such file or directory`);
  const unreadable = unreadableFile();
  if (unreadable) assert.throws(() => readResourcesFile(unreadable), (e: Error) => e.message === `open ${unreadable}: permission denied`);
  else t.diagnostic('no write-only sysfs file here: the permission-denied case is not checked');
  assert.throws(() => readResourcesFile(dir), (e: Error) => e.message.startsWith(`open ${dir}: `) && /EISDIR/.test(e.message), 'another error keeps its own text');
});

/** readResourcesFile('-') in a child given `input` on stdin: the error's message. */
function fromStdin(input: string): string {
  const update = path.join(__dirname, '..', '..', 'src', 'commands', 'update.js');
  const r = spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(update)}).readResourcesFile('-'); } catch (e) { console.log(e.message); }`], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('update --resources: not JSON or not an object is refused naming the file (or stdin); only memory, cpu, blockIO and pids are taken', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-update-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'r.json');
  fs.writeFileSync(file, '{"pids": ');
  assert.throws(() => readResourcesFile(file), (e: Error) => e.message.startsWith(`${file}: not valid JSON: `));
  for (const text of ['[]', 'null', '5', '"x"']) {
    fs.writeFileSync(file, text);
    assert.throws(() => readResourcesFile(file), (e: Error) => e.message === `${file}: expected a JSON object of linux.resources`, text);
  }
  assert.equal(fromStdin('[1]'), 'stdin: expected a JSON object of linux.resources');
  assert.match(fromStdin('nope'), /^stdin: not valid JSON: /);
  fs.writeFileSync(file, JSON.stringify({ memory: { limit: 5 }, cpu: { shares: 7 }, blockIO: { weight: 20 }, pids: { limit: 3 }, devices: [{ allow: false, access: 'rwm' }], hugepageLimits: [], unified: { 'x.y': '1' } }));
  assert.deepEqual(readResourcesFile(file), { memory: { limit: 5 }, cpu: { shares: 7 }, blockIO: { weight: 20 }, pids: { limit: 3 } });
});

test('update --resources: a JSON syntax error is told in our words (line, column, why), not the engine\'s', (t) => {
  // Found by scripts/fuzz-cli.js: JavaScriptCore's "JSON Parse error: Unexpected identifier" reached the user.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-update-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'r.json');
  fs.writeFileSync(file, '{"pids":\n not json}');
  assert.throws(() => readResourcesFile(file), (e: Error) => {
    assert.match(e.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON: line 2, column 2: `));
    assert.doesNotMatch(e.message, /JSON Parse error|Unexpected token|Unexpected identifier|in JSON at position/);
    return true;
  });
});

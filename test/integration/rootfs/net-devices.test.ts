// linux.netDevices (runtime-spec 1.3): host interfaces moved into the container's network
// namespace, renamed (fixed or "%d"), with their permanent global addresses, brought up, left to
// the namespace's end, and refused up front when they cannot move.
//
// The runtime runs inside a private network namespace of this file's (nsenter --net), which plays
// the host: the test interfaces (ifb, veth and bridge devices; this kernel has no dummy driver)
// and their 10.213.x.x addresses never touch the machine's own network. tsrunc only: runc 1.1
// predates linux.netDevices (runc 1.4) and ignores it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBundle, TEST_CGROUP_PARENT, type Bundle, type BundleOptions } from '../../helpers/rootfs';
import { describeResult, Runtime, sleep, uniqueId, waitNoRelatedProcesses, type ExecResult } from '../../helpers/runtime';
import { TEST_TIMEOUT, withExecFifo } from '../../helpers/suite';

const HOST_NS = `tsrunc-nd-${process.pid}`;
const HOST_NS_PATH = `/run/netns/${HOST_NS}`;
const extraNamespaces: string[] = [];

const rt = new Runtime('tsrunc', { wrapper: ['nsenter', `--net=${HOST_NS_PATH}`] });

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `ip` in a named namespace (the private "host" unless told otherwise). */
const ip = (args: string[], ns = HOST_NS): string => sh('ip', ['-n', ns, ...args]);
/** `ip` in the network namespace of a process, from outside. */
const ipOf = (pid: number, args: string[]): string => sh('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', ...args]);

function addNamespace(tag: string): string {
  const name = `${HOST_NS}-${tag}`;
  sh('ip', ['netns', 'add', name]);
  extraNamespaces.push(name);
  return name;
}

before(() => {
  sh('ip', ['netns', 'add', HOST_NS]);
});
after(async () => {
  await rt.cleanupAll();
  // Deleting a namespace destroys the test devices still in it.
  for (const ns of [...extraNamespaces, HOST_NS]) spawnSync('ip', ['netns', 'del', ns]);
});

let counter = 0;
/** A fresh interface name (the namespaces are private, so short names are enough). */
function ifname(kind: string): string {
  counter += 1;
  return `nd${kind}${counter}`;
}

interface Iface { name: string; index: number; up: boolean; addrs: string[] }

/** The interfaces of `ip -o addr`/`ip -o link` output (iproute2 or busybox), by name. */
function interfaces(links: string, addrs: string): Map<string, Iface> {
  const out = new Map<string, Iface>();
  for (const line of links.split('\n')) {
    const m = /^(\d+): ([^:@\s]+)(?:@\S+)?: <([^>]*)>/.exec(line);
    if (m) out.set(m[2], { name: m[2], index: Number(m[1]), up: m[3].split(',').includes('UP'), addrs: [] });
  }
  for (const line of addrs.split('\n')) {
    const m = /^\d+: ([^:@\s]+)\s+inet6? (\S+)(?: peer (\S+))?.* scope (\w+)/.exec(line);
    if (m) out.get(m[1])?.addrs.push(`${m[2]}${m[3] ? ` peer ${m[3]}` : ''} ${m[4]}`);
  }
  return out;
}

/** Addresses other than the link-local ones the kernel adds when a device comes up. */
const global = (i: Iface | undefined): string[] => (i?.addrs ?? []).filter((a) => !a.endsWith(' link'));

const hostInterfaces = (ns = HOST_NS): Map<string, Iface> => interfaces(ip(['-o', 'link'], ns), ip(['-o', 'addr'], ns));
const containerInterfaces = (pid: number): Map<string, Iface> => interfaces(ipOf(pid, ['-o', 'link']), ipOf(pid, ['-o', 'addr']));

/** An ifb device on the private host with the given addresses. */
function ifb(addrs: string[][] = []): string {
  const name = ifname('i');
  ip(['link', 'add', name, 'type', 'ifb']);
  for (const a of addrs) ip(['addr', 'add', ...a, 'dev', name]);
  return name;
}

function netDevicesBundle(netDevices: Record<string, { name?: string }>, opts: BundleOptions = {}): Bundle {
  return makeBundle({
    args: ['sleep', '1000'],
    ...opts,
    mutate: (s) => {
      s.ociVersion = '1.3.0';
      s.linux.netDevices = netDevices;
      opts.mutate?.(s);
    },
  });
}

async function withCreated(b: Bundle, fn: (id: string, pid: number) => Promise<void>): Promise<void> {
  const id = uniqueId('nd');
  try {
    const r = await rt.exec(['create', '--bundle', b.dir, id]);
    assert.equal(r.code, 0, describeResult(r));
    await fn(id, (await rt.state(id)).pid);
  } finally {
    await rt.deleteForce(id);
    b.cleanup();
  }
}

/** The runtime's log lines quote the message (logfmt): \" inside it is a plain quote. */
const unquoted = (stderr: string): string => stderr.replace(/\\"/g, '"');

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

/** Cgroup directories a container of this bundle would have (cgroupsPath is per bundle). */
function cgroupDirsOf(b: Bundle): string[] {
  const leaf = path.join(TEST_CGROUP_PARENT, path.basename(b.dir));
  const found: string[] = [];
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    const dir = path.join('/sys/fs/cgroup', h, leaf);
    if (fs.existsSync(dir)) found.push(dir);
  }
  return found;
}

/**
 * A create that must fail: non-zero exit, every phrase in its error, and nothing left — no state
 * dir, cgroup, process or mount — while the host's interfaces are exactly as before.
 */
async function expectRefused(b: Bundle, phrases: RegExp[]): Promise<ExecResult> {
  const id = uniqueId('nd-bad');
  const before = hostInterfaces();
  try {
    const r = await rt.exec(['create', '--bundle', b.dir, id]);
    assert.notEqual(r.code, 0, `create should fail\n${describeResult(r)}`);
    for (const p of phrases) assert.match(unquoted(r.stderr), p, describeResult(r));
    assert.deepEqual(rt.listedIds(), [], 'no state dir');
    assert.deepEqual(cgroupDirsOf(b), [], 'no cgroup');
    assert.deepEqual(await waitNoRelatedProcesses({ ids: [id], paths: [rt.root, b.dir] }), [], 'no process');
    assert.deepEqual(hostInterfaces(), before, 'the host interfaces, their addresses and states are as they were');
    return r;
  } finally {
    await rt.deleteForce(id);
    b.cleanup();
  }
}

describe(`linux.netDevices (${rt.label})`, () => {
  test('a device moves in renamed, with its permanent global addresses only, and up; "%d" names come from the kernel', TEST_TIMEOUT, async () => {
    const a = ifb([
      ['10.213.1.2/24'],
      ['10.213.1.3/24'], // secondary
      ['fd77:213::5/64'],
      ['10.213.7.7/24', 'scope', 'host'], // not global: left behind
      ['10.213.8.8/24', 'valid_lft', '600', 'preferred_lft', '600'], // not permanent: left behind
    ]);
    ip(['addr', 'add', '10.213.9.2', 'peer', '10.213.9.9/32', 'dev', a, 'label', `${a}:7`]);
    const v = ifname('v');
    ip(['link', 'add', v, 'type', 'veth', 'peer', 'name', `${v}p`]);
    ip(['link', 'set', v, 'mtu', '1380', 'address', '02:00:00:00:21:03']);
    ip(['addr', 'add', '10.213.2.2/24', 'dev', v]);
    const w = ifb([['10.213.3.2/24']]);

    const b = netDevicesBundle({ [a]: { name: 'eth0' }, [v]: { name: 'ctr%d' }, [w]: { name: 'ctr%d' } });
    await withCreated(b, async (id, pid) => {
      const inside = containerInterfaces(pid);
      assert.deepEqual([...inside.keys()].sort(), ['ctr0', 'ctr1', 'eth0', 'lo']);
      const eth0 = inside.get('eth0')!;
      assert.equal(eth0.up, true, 'brought up');
      assert.deepEqual(global(eth0).sort(),
        ['10.213.1.2/24 global', '10.213.1.3/24 global', '10.213.9.2 peer 10.213.9.9/32 global', 'fd77:213::5/64 global']);
      assert.match(ipOf(pid, ['-o', 'addr', 'show', 'eth0']), /10\.213\.9\.2 peer 10\.213\.9\.9\/32 .*eth0:7/, 'the label follows the new name');
      assert.match(ipOf(pid, ['-o', 'addr', 'show', 'eth0']), /10\.213\.1\.3\/24 .*secondary/, 'a secondary stays secondary');
      const link = ipOf(pid, ['link', 'show', 'ctr0']);
      assert.match(link, /mtu 1380 /, 'the MTU moves with the device');
      assert.match(link, /02:00:00:00:21:03/, 'so does the MAC address');
      // The veth took its number first (config order), then the second ifb.
      assert.deepEqual(global(inside.get('ctr0')), ['10.213.2.2/24 global']);
      assert.deepEqual(global(inside.get('ctr1')), ['10.213.3.2/24 global']);
      assert.ok(inside.get('ctr0')!.up && inside.get('ctr1')!.up);

      // The container's own view (busybox ip through exec) agrees.
      const r = await rt.exec(['exec', id, 'ip', '-o', 'addr', 'show', 'eth0']);
      assert.equal(r.code, 0, describeResult(r));
      assert.match(r.stdout, /inet 10\.213\.1\.2\/24/);
      assert.doesNotMatch(r.stdout, /10\.213\.[78]\./, 'host-scope and non-permanent addresses stay behind (and die with the move)');

      const host = hostInterfaces();
      for (const gone of [a, v, w]) assert.equal(host.has(gone), false, `${gone} left the host`);
      assert.equal(host.has(`${v}p`), true, 'the veth peer stays on the host');

      // kill + delete: the namespace dies, and with it these virtual devices (the spec forbids
      // moving them back); the veth's host end goes with its peer. The kernel does it
      // asynchronously, so wait for it.
      await rt.ok(['kill', id, 'KILL']);
      await rt.waitForStatus(id, 'stopped');
      await rt.ok(['delete', id]);
      await waitFor('the veth peer vanished from the host', () => !hostInterfaces().has(`${v}p`));
      const after = hostInterfaces();
      for (const gone of [a, v, w]) assert.equal(after.has(gone), false, `${gone} is destroyed, not returned`);
    });
  });

  test('a container with its own user namespace gets the device too', TEST_TIMEOUT, async () => {
    const a = ifb([['10.213.4.2/24']]);
    const b = netDevicesBundle({ [a]: {} }, {
      namespaces: [{ type: 'user' }, { type: 'pid' }, { type: 'network' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }],
      mutate: (s) => {
        s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        // Mounting a cgroup hierarchy in a user namespace is not what this case is about.
        s.mounts = s.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
      },
    });
    // The mapped root must reach the rootfs.
    fs.chmodSync(b.dir, 0o755);
    fs.chmodSync(b.rootfs, 0o755);
    await withCreated(b, async (_id, pid) => {
      const dev = containerInterfaces(pid).get(a);
      assert.ok(dev, `${a} is in the container`);
      assert.equal(dev.up, true);
      assert.deepEqual(global(dev), ['10.213.4.2/24 global']);
    });
  });

  test('devices are in place before the createRuntime hooks run', TEST_TIMEOUT, async () => {
    const a = ifb();
    const b = netDevicesBundle({ [a]: { name: 'hooked0' } }, {
      mutate: (s) => {
        const script = 'pid=$(sed -e \'s/.*"pid": *\\([0-9]*\\).*/\\1/\'); nsenter --net=/proc/$pid/ns/net ip -o link > "$0"';
        s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', script, '/dev/null'] }] };
      },
    });
    const log = path.join(b.dir, 'hook.out');
    (b.spec.hooks as { createRuntime: { args: string[] }[] }).createRuntime[0].args[3] = log;
    b.writeSpec();
    await withCreated(b, async () => {
      assert.match(fs.readFileSync(log, 'utf8'), /: hooked0: /);
    });
  });

  test('a joined network namespace keeps the device after delete; a name taken there is refused, a "%d" one is not', TEST_TIMEOUT, async () => {
    const joined = addNamespace('j');
    ip(['link', 'add', 'ctr0', 'type', 'ifb'], joined);
    const a = ifb([['10.213.5.2/24']]);
    const joinedNs = (s: { linux: { namespaces: { type: string; path?: string }[] } }): void => {
      s.linux.namespaces = s.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/run/netns/${joined}` } : n));
    };
    await expectRefused(netDevicesBundle({ [a]: { name: 'ctr0' } }, { mutate: joinedNs }),
      [new RegExp(`move network device ${a} into the container: ctr0 already exists in the container's network namespace`)]);
    assert.deepEqual([...hostInterfaces(joined).keys()].sort(), ['ctr0', 'lo'], 'nothing moved into the joined namespace');

    await withCreated(netDevicesBundle({ [a]: { name: 'ctr%d' } }, { mutate: joinedNs }), async (id) => {
      assert.deepEqual(global(hostInterfaces(joined).get('ctr1')), ['10.213.5.2/24 global']);
      await rt.ok(['delete', '--force', id]);
    });
    // The runtime does not manage the namespace it joined: the device stays there.
    const left = hostInterfaces(joined).get('ctr1');
    assert.ok(left, 'still in the joined namespace after delete');
    assert.deepEqual(global(left), ['10.213.5.2/24 global']);
    assert.equal(hostInterfaces().has(a), false);
  });

  test('a create that fails after the move puts the devices back as they were (runtime.md: errors leave no trace)', TEST_TIMEOUT, async () => {
    const a = ifb([['10.213.6.2/24'], ['fd77:213::6/64']]);
    ip(['link', 'set', a, 'up']);
    const b = netDevicesBundle({ [a]: { name: 'eth0' } }, {
      mutate: (s) => { s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }] }; },
    });
    const before = hostInterfaces();
    assert.ok(before.get(a)?.up);
    await expectRefused(b, [/createRuntime/]);
    assert.deepEqual(hostInterfaces().get(a), before.get(a), 'back under its name, up, with both addresses (and the same index)');
  });

  test('a device the kernel will not move fails the create; the ones moved before it come back', TEST_TIMEOUT, async () => {
    const a = ifb([['10.213.10.2/24']]);
    const bridge = ifname('b');
    ip(['link', 'add', bridge, 'type', 'bridge']);
    // A bridge is local to its namespace (NETIF_F_NETNS_LOCAL).
    await expectRefused(netDevicesBundle({ [a]: { name: 'eth0' }, [bridge]: {} }),
      [new RegExp(`move network device ${bridge} into the container: invalid argument`)]);
  });

  describe('refused before anything exists, the device staying on the host with its address', () => {
    test('a device the host does not have', TEST_TIMEOUT, async () => {
      const a = ifb([['10.213.11.2/24']]);
      await expectRefused(netDevicesBundle({ [a]: {}, ndmissing: {} }),
        [/config\.json: \/linux\/netDevices\/ndmissing: no network interface named "ndmissing" in the runtime's network namespace/]);
    });

    test('no network namespace of its own: none at all, or the runtime\'s own joined by path', TEST_TIMEOUT, async () => {
      const a = ifb([['10.213.12.2/24']]);
      await expectRefused(netDevicesBundle({ [a]: {} }, { mutate: (s) => { s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'network'); } }),
        [/config\.json: \/linux\/netDevices: needs a network namespace/]);
      await expectRefused(netDevicesBundle({ [a]: {} }, {
        mutate: (s) => { s.linux.namespaces = s.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: HOST_NS_PATH } : n)); },
      }), [/config\.json: \/linux\/netDevices: the devices cannot move: \/linux\/namespaces\/\d+\/path is the runtime's own network namespace/]);
    });

    test('bad names and two devices with one name', TEST_TIMEOUT, async () => {
      const a = ifb([['10.213.13.2/24']]);
      const c = ifb();
      await expectRefused(netDevicesBundle({ [a]: { name: 'a/b' } }), [new RegExp(`/linux/netDevices/${a}/name: must be an interface name`)]);
      await expectRefused(netDevicesBundle({ [a]: { name: 'x'.repeat(16) } }), [new RegExp(`/linux/netDevices/${a}/name: must be an interface name`)]);
      await expectRefused(netDevicesBundle({ [a]: { name: 'é'.repeat(8) } }), [/must be at most 15 bytes/]);
      await expectRefused(netDevicesBundle({ [a]: { name: 'n%d%d' } }), [/may contain "%" only as one "%d"/]);
      await expectRefused(netDevicesBundle({ [a]: { name: 'lo' } }), [/"lo" is already in every network namespace/]);
      await expectRefused(netDevicesBundle({ [a]: { name: 'same0' }, [c]: { name: 'same0' } }),
        [new RegExp(`/linux/netDevices/${c}/name: "same0" is already the container's name for /linux/netDevices/${a}`)]);
      await expectRefused(netDevicesBundle({ [a]: { name: c }, [c]: {} }),
        [new RegExp(`/linux/netDevices/${c}: "${c}" is already the container's name for /linux/netDevices/${a}`)]);
    });

    test('tsrunc validate reports the same, with the JSON path', TEST_TIMEOUT, async () => {
      const b = netDevicesBundle({ ndabsent: { name: 'eth0' } });
      try {
        const r = await rt.exec(['validate', '--bundle', b.dir]);
        assert.notEqual(r.code, 0);
        assert.match(unquoted(r.stderr), /\/linux\/netDevices\/ndabsent: no network interface named "ndabsent"/);
      } finally {
        b.cleanup();
      }
    });
  });
});

// The launcher checks again what validation checked, since the host can change in between (a
// device deleted, a namespace file replaced). Driven here with plans validation never saw: a child
// node in the private namespace builds the plan and calls launch() as create does.
describe('the launcher refuses on its own (plan driven directly)', () => {
  const DIST = path.resolve(__dirname, '..', '..', '..');
  const script = `
    const fs = require('fs');
    const { buildLaunchPlan, resolveRootfs } = require(${JSON.stringify(`${DIST}/src/plan/build.js`)});
    const { launch } = require(${JSON.stringify(`${DIST}/src/native/launcher.js`)});
    const { Logger } = require(${JSON.stringify(`${DIST}/src/log.js`)});
    const [bundle, fifo] = process.argv.slice(1);
    const spec = JSON.parse(fs.readFileSync(bundle + '/config.json', 'utf8'));
    const plan = buildLaunchPlan(spec, resolveRootfs(spec, bundle), {
      id: 'nd-direct', bundle, execFifo: fifo, noPivot: false, noNewKeyring: false, preserveFds: 0, debug: true,
    });
    try { launch(plan, new Logger(undefined, 'text', true)).abort(); console.log('launched'); } catch (e) { console.log(e.message); }
  `;

  /** The launcher's error, and whether it got as far as an init to move devices to (its debug line). */
  async function launchDirectly(b: Bundle): Promise<{ error: string; initExisted: boolean }> {
    let r: ReturnType<typeof spawnSync> | undefined;
    try {
      await withExecFifo(async (fifo) => {
        const before = hostInterfaces();
        r = spawnSync('nsenter', [`--net=${HOST_NS_PATH}`, process.execPath, '-e', script, b.dir, fifo], { encoding: 'utf8' });
        assert.deepEqual(hostInterfaces(), before, 'the host interfaces are as they were');
      });
    } finally {
      b.cleanup();
    }
    assert.equal(r?.status, 0, String(r?.stderr));
    return { error: String(r.stdout).trim(), initExisted: /moving \d+ network device\(s\) into the network namespace of init/.test(String(r.stderr)) };
  }

  test('a device gone since validation, no network namespace, or the runtime\'s own: before any process exists', TEST_TIMEOUT, async () => {
    const a = ifb([['10.213.14.2/24']]);
    assert.deepEqual(await launchDirectly(netDevicesBundle({ [a]: {}, ndgone: {} })),
      { error: 'move network device ndgone into the container: no such device', initExisted: false });
    assert.deepEqual(await launchDirectly(netDevicesBundle({ [a]: {} }, { mutate: (s) => { s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'network'); } })),
      { error: 'move network devices into the container: the container has no network namespace of its own', initExisted: false });
    assert.deepEqual(await launchDirectly(netDevicesBundle({ [a]: {} }, {
      mutate: (s) => { s.linux.namespaces = s.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: HOST_NS_PATH } : n)); },
    })), { error: `move network devices into the container: the network namespace ${HOST_NS_PATH} is the runtime's own`, initExisted: false });
  });

  test('a name already in the container\'s namespace: found once it exists, before anything moves', TEST_TIMEOUT, async () => {
    const a = ifb([['10.213.15.2/24']]);
    const c = ifb([['10.213.15.3/24']]);
    assert.deepEqual(await launchDirectly(netDevicesBundle({ [c]: {}, [a]: { name: 'lo' } })),
      { error: `move network device ${a} into the container: lo already exists in the container's network namespace`, initExisted: true });
  });
});

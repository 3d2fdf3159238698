// Kubernetes' CRI path end to end: a private containerd 1.6 (test/helpers/e2e/containerd.ts) with
// its CRI plugin enabled and two runtime handlers, as a RuntimeClass would name them: `tsrunc`
// (the runc v2 shim with BinaryName = the runtime under test) and `runc` (the reference), in the
// same daemon. The test drives it as the kubelet does, through the CRI gRPC API (runtime.v1,
// test/helpers/cri/client.ts): a host-network pod with a hand-built pause image, a busybox
// container with limits and volumes, its log file, ExecSync, streaming Exec (stream.ts), stats,
// resource updates, stop, removal; a security context, a hostPID pod, a missing binary, an OOM
// kill; and nothing left, containerd's own directories included once it stops. Every scenario
// runs on both handlers; what each one showed is compared at the end, and one container's
// create→start→stop→remove is timed on each. No image is pulled and no CNI is needed (the pods
// use the host's network).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostMountsMentioning, processAlive, repoRoot, runtimeCommand, sleep } from '../../helpers/runtime';
import { describeCommand, median, which } from '../../helpers/e2e/command';
import { Containerd, containerdMissing } from '../../helpers/e2e/containerd';
import { buildBusyboxImage, buildOciImage } from '../../helpers/e2e/image';
import { cgroupDirs, leftovers, removeCgroupTree } from '../../helpers/e2e/leftovers';
import { CriClient, CriError, type LinuxResources } from '../../helpers/cri/client';
import { streamExec } from '../../helpers/cri/stream';

const T = { timeout: 120_000 };
const MiB = 1 << 20;

interface Handler {
  name: 'tsrunc' | 'runc';
  binary: string;
  /** The shim's `Root` option: the runtime's --root is `<root>/k8s.io`. */
  root: string;
}

function whyNot(): string | undefined {
  const cd = containerdMissing();
  if (cd) return cd;
  if (which('runc') === undefined) return 'runc (the reference handler) is not installed';
  // The limits are read back from cgroup v1 files, swap ones included.
  if (!fs.existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes')) return 'the checks read cgroup v1 memory files with swap accounting; this host has none';
  if (which('cc') === undefined) return 'no C compiler to build the pause binary (test/helpers/cri/pause.c)';
  try {
    require.resolve('@grpc/grpc-js');
    require.resolve('@grpc/proto-loader');
  } catch {
    return 'the npm devDependencies @grpc/grpc-js and @grpc/proto-loader are not installed (npm ci)';
  }
  return undefined;
}
const skip = whyNot();

let base = '';
let cd: Containerd;
let cri: CriClient;
let handlers: Handler[] = [];
const PAUSE_IMAGE = 'localhost/tsrunc-e2e/pause:latest';
const BUSYBOX_IMAGE = 'localhost/tsrunc-e2e/busybox:latest';
let daemonStopped = false;

/** What a handler's run showed, compared between the handlers at the end. */
const seen: Record<string, Record<string, unknown>> = { tsrunc: {}, runc: {} };

function cgroupFile(controller: string, cgroup: string, file: string): string {
  return fs.readFileSync(path.join('/sys/fs/cgroup', controller, cgroup, file), 'utf8').trim();
}

function sandboxConfig(h: Handler, name: string): Record<string, unknown> {
  return {
    metadata: { name: `${name}-${h.name}`, uid: `uid-${name}-${h.name}-${process.pid}`, namespace: 'tsrunc-e2e', attempt: 0 },
    hostname: '',
    log_directory: logDir(h, name),
    linux: {
      // A per-pod parent, as the kubelet's cgroupfs driver makes it; containerd puts the sandbox's
      // and each container's cgroup below it.
      cgroup_parent: podCgroup(h, name),
      security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

function logDir(h: Handler, podName: string): string {
  return path.join(base, 'logs', `${podName}-${h.name}`);
}

function podCgroup(h: Handler, name: string): string {
  return `${cd.cgroupRoot}/${name}-${h.name}`;
}

function containerConfig(name: string, image: string, command: string[], resources: LinuxResources = {}): Record<string, unknown> {
  return {
    metadata: { name, attempt: 0 },
    image: { image },
    command,
    envs: [{ key: 'GREETING', value: 'hello from the pod' }],
    log_path: `${name}.log`,
    linux: { resources },
  };
}

/** The runtime's state directory of a container or sandbox of this handler. */
function stateDir(h: Handler, id: string): string {
  return path.join(h.root, 'k8s.io', id);
}

/** Lines of a CRI log file: `<RFC 3339 time> <stream> <P|F> <text>`. */
function logLines(file: string): { stream: string; tag: string; text: string }[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/.exec(l);
    assert.ok(m, `not a CRI log line: ${JSON.stringify(l)}`);
    assert.ok(!Number.isNaN(Date.parse(m[1])), `not a time: ${m[1]}`);
    return { stream: m[2], tag: m[3], text: m[4] };
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A CRI error's text with the ids and paths of this run taken out, to compare two handlers'. */
function normalised(e: unknown, ids: string[]): string {
  let s = e instanceof CriError ? `${e.code}: ${e.details}` : String(e);
  for (const id of ids) s = s.split(id).join('<id>');
  s = s.replace(/\b[0-9a-f]{64}\b/g, '<exec id>');
  // Each runtime names itself in its error ("runc create failed: ..."): that part may differ.
  s = s.replace(/\b(ts)?runc (create|exec|start) failed\b/g, '<runtime> $2 failed');
  return s.split(base).join('<base>');
}

/** Nothing of a container or sandbox left: runtime state, cgroup, mounts, processes. */
async function expectGone(h: Handler, id: string, cgroup: string): Promise<void> {
  const left = await leftovers({ id, stateDir: stateDir(h, id), cgroup });
  assert.deepEqual(left, [], `${h.name}: ${id} left things behind`);
}

function scenario(hName: Handler['name']): void {
  describe(`the ${hName} handler`, () => {
    let h: Handler;
    let pod = '';
    let podCfg: Record<string, unknown> = {};
    let ctr = '';
    let pid = 0;
    let cg = '';
    const podName = 'pod';

    before(() => {
      const found = handlers.find((x) => x.name === hName);
      assert.ok(found);
      h = found;
    });

    test('RunPodSandbox with the host\'s network: the pause process runs under the handler\'s runtime', T, async () => {
      podCfg = sandboxConfig(h, podName);
      // The kubelet's pod pids limit lives on the pod's parent cgroup (CRI has no per-container
      // pids field): set it as the kubelet would, before the pod starts.
      fs.mkdirSync(path.join('/sys/fs/cgroup/pids', podCgroup(h, podName)), { recursive: true });
      fs.writeFileSync(path.join('/sys/fs/cgroup/pids', podCgroup(h, podName), 'pids.max'), '200');
      pod = await cri.runPodSandbox(podCfg, h.name);
      const st = await cri.podSandboxStatus(pod);
      assert.equal(st.state, 'SANDBOX_READY');
      const spid = await cri.podSandboxPid(pod);
      assert.equal(fs.readlinkSync(`/proc/${spid}/ns/net`), fs.readlinkSync('/proc/self/ns/net'), 'host network');
      assert.notEqual(fs.readlinkSync(`/proc/${spid}/ns/pid`), fs.readlinkSync('/proc/self/ns/pid'), 'own pid namespace');
      // The runtime's start returns once the init is told to exec, maybe before it did.
      await waitFor('the sandbox to exec /pause', () => (fs.readFileSync(`/proc/${spid}/cmdline`, 'utf8') === '/pause\0' ? true : undefined));
      // The handler chose the runtime: its state is in that handler's root.
      assert.ok(fs.existsSync(stateDir(h, pod)), `${stateDir(h, pod)} missing: the sandbox did not run on ${h.name}`);
      assert.match(fs.readFileSync(`/proc/${spid}/cgroup`, 'utf8'), new RegExp(`:memory:${podCgroup(h, podName)}/${pod}$`, 'm'));
    });

    test('CreateContainer with limits, StartContainer, ContainerStatus: the limits are in the cgroup', T, async () => {
      const resources: LinuxResources = {
        memory_limit_in_bytes: 64 * MiB, memory_swap_limit_in_bytes: 96 * MiB,
        cpu_shares: 512, cpu_period: 100_000, cpu_quota: 50_000, cpuset_cpus: '0',
      };
      // sh as PID 1 ignores SIGTERM unless it traps it; the trap makes StopContainer's SIGTERM visible.
      const cmd = ['sh', '-c', 'echo "out: $GREETING"; echo "err: to stderr" >&2; trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done'];
      // Volumes as the kubelet passes them (a hostPath or emptyDir is a host directory).
      const vol = path.join(base, `vol-${h.name}`);
      fs.mkdirSync(path.join(vol, 'rw'), { recursive: true });
      fs.mkdirSync(path.join(vol, 'ro'));
      fs.writeFileSync(path.join(vol, 'ro', 'given'), 'from the host\n');
      const cfg = containerConfig('main', BUSYBOX_IMAGE, cmd, resources);
      cfg.mounts = [
        { container_path: '/data', host_path: path.join(vol, 'rw') },
        { container_path: '/config', host_path: path.join(vol, 'ro'), readonly: true },
      ];
      ctr = await cri.createContainer(pod, cfg, podCfg);
      const created = await cri.containerStatus(ctr);
      assert.equal(created.state, 'CONTAINER_CREATED');
      // containerd makes the task (runtime create, then start) in StartContainer.
      assert.ok(!fs.existsSync(stateDir(h, ctr)), 'a runtime container before StartContainer');
      await cri.startContainer(ctr);
      assert.ok(fs.existsSync(stateDir(h, ctr)), `the container did not go to ${h.name}`);
      const st = await cri.containerStatus(ctr);
      assert.equal(st.state, 'CONTAINER_RUNNING');
      assert.ok(st.started_at >= st.created_at && st.started_at > 0, JSON.stringify(st));
      assert.equal(st.log_path, path.join(logDir(h, podName), 'main.log'));
      pid = await cri.containerPid(ctr);
      cg = `${podCgroup(h, podName)}/${ctr}`;
      assert.match(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), new RegExp(`:memory:${cg}$`, 'm'));
      const limits = {
        memory: cgroupFile('memory', cg, 'memory.limit_in_bytes'),
        memsw: cgroupFile('memory', cg, 'memory.memsw.limit_in_bytes'),
        shares: cgroupFile('cpu', cg, 'cpu.shares'),
        period: cgroupFile('cpu', cg, 'cpu.cfs_period_us'),
        quota: cgroupFile('cpu', cg, 'cpu.cfs_quota_us'),
        cpus: cgroupFile('cpuset', cg, 'cpuset.cpus'),
      };
      assert.deepEqual(limits, { memory: String(64 * MiB), memsw: String(96 * MiB), shares: '512', period: '100000', quota: '50000', cpus: '0' });
      // The pod's pids limit holds the container: its pids cgroup is below the pod's.
      assert.ok(Number(cgroupFile('pids', podCgroup(h, podName), 'pids.current')) >= 2, 'pause and the container counted in the pod');
      assert.equal(cgroupFile('pids', podCgroup(h, podName), 'pids.max'), '200');
      seen[h.name].limits = limits;
    });

    test('the log file: both streams in the CRI format', T, async () => {
      const file = path.join(logDir(h, podName), 'main.log');
      const lines = await waitFor('two log lines', () => {
        const l = logLines(file);
        return l.length >= 2 ? l : undefined;
      });
      const got = lines.map((l) => `${l.stream} ${l.tag} ${l.text}`).sort();
      assert.deepEqual(got, ['stderr F err: to stderr', 'stdout F out: hello from the pod']);
    });

    test('ExecSync: output, stderr, exit codes, the container\'s environment and cgroup', T, async () => {
      const r = await cri.execSync(ctr, ['sh', '-c', 'echo "$GREETING"; echo oops >&2; grep -c memory:/ /proc/self/cgroup; exit 3']);
      assert.equal(r.exit_code, 3);
      assert.equal(r.stdout.toString(), 'hello from the pod\n1\n');
      assert.equal(r.stderr.toString(), 'oops\n');
      const ok = await cri.execSync(ctr, ['true']);
      assert.equal(ok.exit_code, 0);
      let missing: unknown;
      try {
        await cri.execSync(ctr, ['/no/such/binary']);
      } catch (e) {
        missing = e;
      }
      assert.ok(missing instanceof CriError, `exec of a missing binary: ${String(missing)}`);
      assert.match(missing.details, /no such file or directory/);
      seen[h.name].exec = { out: r.stdout.toString(), err: r.stderr.toString(), code: r.exit_code, missing: normalised(missing, [ctr, pod]) };
    });

    test('volumes, containerd\'s /etc files, the pod\'s namespaces', T, async () => {
      const r = await cri.execSync(ctr, ['sh', '-c', [
        'echo written > /data/out && echo rw-ok',
        'cat /config/given',
        '(echo x > /config/x) 2>/dev/null && echo ro-writable || echo ro-refused',
        'grep -E " /(data|config|etc/hosts|etc/hostname|etc/resolv.conf|dev/shm) " /proc/self/mountinfo | awk \'{print $5, $6}\' | sed "s/,.*//" | sort',
      ].join('; ')]);
      assert.equal(r.exit_code, 0, r.stderr.toString());
      const out = r.stdout.toString();
      assert.match(out, /^rw-ok\nfrom the host\nro-refused\n/);
      assert.equal(fs.readFileSync(path.join(base, `vol-${h.name}`, 'rw', 'out'), 'utf8'), 'written\n');
      for (const m of ['/config ro', '/data rw', '/dev/shm rw', '/etc/hostname rw', '/etc/hosts rw', '/etc/resolv.conf rw']) {
        assert.ok(out.split('\n').includes(m), `mount ${m} missing:\n${out}`);
      }
      // The sandbox's IPC and PID namespaces are joined (by path; a container's pid mode is POD
      // unless it asks otherwise); the network is the host's; the mounts its own.
      const spid = await cri.podSandboxPid(pod);
      const ns = (p: number, n: string): string => fs.readlinkSync(`/proc/${p}/ns/${n}`);
      assert.equal(ns(pid, 'ipc'), ns(spid, 'ipc'));
      assert.equal(ns(pid, 'pid'), ns(spid, 'pid'));
      assert.equal(ns(pid, 'net'), ns(process.pid, 'net'));
      assert.notEqual(ns(pid, 'mnt'), ns(spid, 'mnt'));
      seen[h.name].volumes = out;
    });

    test('ExecSync with a timeout: the call ends at the timeout and the process is gone', T, async () => {
      const started = Date.now();
      let err: unknown;
      let res: unknown;
      try {
        res = await cri.execSync(ctr, ['sleep', '37'], 1);
      } catch (e) {
        err = e;
      }
      const took = Date.now() - started;
      assert.ok(took < 20_000, `ExecSync with timeout 1 s took ${took} ms`);
      // containerd 1.6 answers a timed-out ExecSync with an error that names the timeout.
      assert.ok(err instanceof CriError, `expected a timeout error, got ${JSON.stringify(res)}`);
      assert.match(err.details, /timeout 1s exceeded/);
      await waitFor('the timed-out exec to be killed', () => {
        const procs = cgroupFile('pids', cg, 'cgroup.procs').split('\n').filter(Boolean).map(Number);
        return procs.some((p) => { try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep\x0037'); } catch { return false; } }) ? undefined : true;
      });
      seen[h.name].timeout = normalised(err, [ctr, pod]);
    });

    test('streaming Exec (WebSocket, v4.channel.k8s.io): output, exit code, stdin, a tty', T, async () => {
      const plain = await streamExec(await cri.exec(ctr, ['sh', '-c', 'echo "out: $GREETING"; echo err >&2; exit 3']));
      assert.deepEqual({ out: plain.stdout, err: plain.stderr, code: plain.exitCode }, { out: 'out: hello from the pod\n', err: 'err\n', code: 3 }, JSON.stringify(plain));
      const input = await streamExec(await cri.exec(ctr, ['sh', '-c', 'read line; echo "got $line"'], { stdin: true }), 'a line in\n');
      assert.deepEqual({ out: input.stdout, code: input.exitCode }, { out: 'got a line in\n', code: 0 }, JSON.stringify(input));
      // With stdin, as `kubectl exec -it` asks: containerd 1.6 relays no tty output to an exec
      // without stdin (on either runtime).
      const tty = await streamExec(await cri.exec(ctr, ['sh', '-c', 'tty; exit 2'], { tty: true, stdin: true }));
      assert.match(tty.stdout, /^\/dev\/pts\/\d+\r\n$/, JSON.stringify(tty));
      assert.equal(tty.exitCode, 2, JSON.stringify(tty));
      seen[h.name].stream = { plain, input, tty: { ...tty, stdout: tty.stdout.replace(/\d+/, 'N') } };
    });

    test('ContainerStats: cpu and memory figures', T, async () => {
      const s = await cri.containerStats(ctr);
      assert.equal(s.attributes.id, ctr);
      assert.ok((s.cpu?.usage_core_nano_seconds?.value ?? 0) > 0, JSON.stringify(s));
      assert.ok((s.memory?.working_set_bytes?.value ?? 0) > 0, JSON.stringify(s));
    });

    test('UpdateContainerResources: the new limits reach the cgroup (memory raised above the old swap limit)', T, async () => {
      await cri.updateContainerResources(ctr, {
        memory_limit_in_bytes: 128 * MiB, memory_swap_limit_in_bytes: 160 * MiB,
        cpu_shares: 256, cpu_period: 100_000, cpu_quota: 25_000, cpuset_cpus: '0-1',
      });
      const limits = {
        memory: cgroupFile('memory', cg, 'memory.limit_in_bytes'),
        memsw: cgroupFile('memory', cg, 'memory.memsw.limit_in_bytes'),
        shares: cgroupFile('cpu', cg, 'cpu.shares'),
        quota: cgroupFile('cpu', cg, 'cpu.cfs_quota_us'),
        cpus: cgroupFile('cpuset', cg, 'cpuset.cpus'),
      };
      assert.deepEqual(limits, { memory: String(128 * MiB), memsw: String(160 * MiB), shares: '256', quota: '25000', cpus: '0-1' });
      seen[h.name].updated = limits;
      // And lowered again, below the current swap limit: the other order.
      await cri.updateContainerResources(ctr, { memory_limit_in_bytes: 32 * MiB, memory_swap_limit_in_bytes: 48 * MiB });
      assert.equal(cgroupFile('memory', cg, 'memory.limit_in_bytes'), String(32 * MiB));
      assert.equal(cgroupFile('memory', cg, 'memory.memsw.limit_in_bytes'), String(48 * MiB));
    });

    test('StopContainer: SIGTERM reaches the trap, exit code and reason in the status, the log has it', T, async () => {
      await cri.stopContainer(ctr, 30);
      const st = await cri.containerStatus(ctr);
      assert.equal(st.state, 'CONTAINER_EXITED');
      assert.equal(st.exit_code, 7);
      assert.equal(st.reason, 'Error');
      assert.ok(st.finished_at >= st.started_at, JSON.stringify(st));
      assert.ok(!processAlive(pid), `the init ${pid} is still alive`);
      const lines = logLines(path.join(logDir(h, podName), 'main.log'));
      assert.ok(lines.some((l) => l.stream === 'stdout' && l.text === 'got TERM'), JSON.stringify(lines));
      seen[h.name].stopped = { state: st.state, code: st.exit_code, reason: st.reason, message: st.message };
    });

    test('RemoveContainer: nothing left (state, cgroup, mounts, processes); not listed', T, async () => {
      await cri.removeContainer(ctr);
      await expectGone(h, ctr, cg);
      assert.ok(!(await cri.listContainers()).some((c) => c.id === ctr));
    });

    test('a container with a security context: user, groups, read-only root, capabilities, no_new_privs, RuntimeDefault seccomp', T, async () => {
      const cfg = containerConfig('secure', BUSYBOX_IMAGE, ['sleep', '3600']);
      cfg.linux = {
        resources: {},
        security_context: {
          // A PID namespace of its own: its sleep is PID 1.
          namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' },
          run_as_user: { value: 1000 }, run_as_group: { value: 1000 }, supplemental_groups: [4242],
          readonly_rootfs: true, no_new_privs: true,
          capabilities: { drop_capabilities: ['ALL'], add_capabilities: ['NET_BIND_SERVICE', 'KILL'] },
          seccomp: { profile_type: 'RuntimeDefault' },
        },
      };
      const id = await cri.createContainer(pod, cfg, podCfg);
      await cri.startContainer(id);
      const r = await cri.execSync(id, ['sh', '-c', [
        'id -u; id -g; id -G',
        'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status',
        'touch /probe 2>/dev/null && echo root-writable || echo root-read-only',
        // containerd's defaults for every container: masked and read-only parts of /proc.
        '[ -s /proc/kcore ] && echo kcore-visible || echo kcore-masked',
        '(echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null && echo proc-sys-writable || echo proc-sys-read-only',
        'echo "pid 1: $(tr "\\0" " " < /proc/1/cmdline)"',
      ].join('; ')]);
      assert.equal(r.exit_code, 0, r.stderr.toString());
      const out = r.stdout.toString();
      // containerd adds the user's groups from the image's /etc/group (users, wheel) to the asked one.
      assert.match(out, /^1000\n1000\n1000 100 2000 4242\n/);
      // Only the bounding set keeps CAP_KILL (5) and CAP_NET_BIND_SERVICE (10), 0x420: a
      // non-root user gets no effective capabilities without ambient ones.
      assert.match(out, /^CapEff:\t0000000000000000$/m);
      assert.match(out, /^CapBnd:\t0000000000000420$/m);
      assert.match(out, /^NoNewPrivs:\t1$/m);
      assert.match(out, /^Seccomp:\t2$/m);
      assert.match(out, /^root-read-only$/m);
      assert.match(out, /^kcore-masked$/m);
      assert.match(out, /^proc-sys-read-only$/m);
      assert.match(out, /^pid 1: sleep 3600 $/m);
      seen[h.name].secure = out;
      // sleep as PID 1 ignores SIGTERM: a timeout of 0 is containerd's straight SIGKILL.
      await cri.stopContainer(id, 0);
      const st = await cri.containerStatus(id);
      assert.equal(st.exit_code, 137);
      seen[h.name].killed = { state: st.state, code: st.exit_code, reason: st.reason };
      await cri.removeContainer(id);
      await expectGone(h, id, `${podCgroup(h, podName)}/${id}`);
    });

    test('the host\'s PID namespace: a child that outlives the init is killed when the init exits (the shim\'s kill --all)', T, async () => {
      // hostPID is the pod's (containerd joins the container to the sandbox's PID namespace).
      const hostNs = { network: 'NODE', pid: 'NODE', ipc: 'POD' };
      const hpCfg = sandboxConfig(h, 'hostpid');
      (hpCfg.linux as { security_context: Record<string, unknown> }).security_context = { namespace_options: hostNs };
      const hp = await cri.runPodSandbox(hpCfg, h.name);
      const cfg = containerConfig('hostpid', BUSYBOX_IMAGE, ['sh', '-c', 'sleep 301 & echo "child $!"; sleep 0.3']);
      cfg.linux = { resources: {}, security_context: { namespace_options: hostNs } };
      const id = await cri.createContainer(hp, cfg, hpCfg);
      await cri.startContainer(id);
      const file = path.join(logDir(h, 'hostpid'), 'hostpid.log');
      // Without a PID namespace the child's number is the host's.
      const child = await waitFor('the child\'s pid in the log', () => {
        const l = logLines(file).find((x) => x.text.startsWith('child '));
        return l ? Number(l.text.slice(6)) : undefined;
      });
      // (The forked shell may not have exec'd sleep yet.)
      await waitFor(`${child} to be sleep 301`, () => (fs.readFileSync(`/proc/${child}/cmdline`, 'utf8') === 'sleep\x00301\x00' ? true : undefined));
      const st = await waitFor('the init to exit', async () => {
        const x = await cri.containerStatus(id);
        return x.state === 'CONTAINER_EXITED' ? x : undefined;
      }, 30_000);
      assert.equal(st.exit_code, 0);
      // runc's shim runs `kill --all ID 9` on the stopped container: the child must go.
      await waitFor(`the orphaned child ${child} to be killed`, () => (processAlive(child) ? undefined : true), 10_000);
      // ... by that call: a failed `kill --all` is only logged ("failed to kill init's children")
      // and delete's own clean-up would hide it. (Other error lines for a container this short
      // lived are containerd's: its log copy races the exit, "Failed to pipe stdout", whatever
      // the runtime.)
      const errors = cd.log().split('\n').filter((l) => l.includes(id) && /failed to kill|killall failed/i.test(l));
      assert.deepEqual(errors, [], 'the shim could not kill what the init left');
      seen[h.name].hostPid = { code: st.exit_code, reason: st.reason };

      await cri.removeContainer(id);
      await expectGone(h, id, `${podCgroup(h, 'hostpid')}/${id}`);
      await cri.stopPodSandbox(hp);
      await cri.removePodSandbox(hp);
      await expectGone(h, hp, `${podCgroup(h, 'hostpid')}/${hp}`);
      assert.deepEqual(await removeCgroupTree(podCgroup(h, 'hostpid')), []);
    });

    test('a missing binary: StartContainer fails with the runtime\'s message, the status says StartError, nothing left', T, async () => {
      const id = await cri.createContainer(pod, containerConfig('missing', BUSYBOX_IMAGE, ['/no/such/binary']), podCfg);
      let err: unknown;
      try {
        await cri.startContainer(id);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof CriError, `StartContainer of a missing binary: ${String(err)}`);
      assert.match(err.details, /exec: "\/no\/such\/binary": stat \/no\/such\/binary: no such file or directory/);
      const st = await cri.containerStatus(id);
      assert.deepEqual({ state: st.state, code: st.exit_code, reason: st.reason }, { state: 'CONTAINER_EXITED', code: 128, reason: 'StartError' });
      seen[h.name].startError = { error: normalised(err, [id, pod]), message: normalised(st.message, [id, pod]) };
      await cri.removeContainer(id);
      await expectGone(h, id, `${podCgroup(h, podName)}/${id}`);
    });

    test('an OOM kill: exit 137, reason OOMKilled', T, async () => {
      // A second late: the shim watches for OOM only after `start` returns (see e2e-docker's case).
      const cfg = containerConfig('oom', BUSYBOX_IMAGE, ['sh', '-c', 'sleep 1; exec tail /dev/zero'], { memory_limit_in_bytes: 16 * MiB, memory_swap_limit_in_bytes: 16 * MiB });
      const id = await cri.createContainer(pod, cfg, podCfg);
      await cri.startContainer(id);
      const st = await waitFor('the OOM kill', async () => {
        const s = await cri.containerStatus(id);
        return s.state === 'CONTAINER_EXITED' ? s : undefined;
      }, 60_000);
      assert.deepEqual({ code: st.exit_code, reason: st.reason }, { code: 137, reason: 'OOMKilled' });
      seen[h.name].oom = { code: st.exit_code, reason: st.reason };
      await cri.removeContainer(id);
      await expectGone(h, id, `${podCgroup(h, podName)}/${id}`);
    });

    test('StopPodSandbox stops a container still running, RemovePodSandbox removes it: nothing left of the pod', T, async () => {
      const spid = await cri.podSandboxPid(pod);
      const left = await cri.createContainer(pod, containerConfig('left', BUSYBOX_IMAGE, ['sleep', '3600']), podCfg);
      await cri.startContainer(left);
      const leftPid = await cri.containerPid(left);
      await cri.stopPodSandbox(pod);
      assert.equal((await cri.podSandboxStatus(pod)).state, 'SANDBOX_NOTREADY');
      assert.ok(!processAlive(spid), `the pause process ${spid} is still alive`);
      assert.ok(!processAlive(leftPid), `the container's init ${leftPid} is still alive`);
      const st = await cri.containerStatus(left);
      assert.deepEqual({ state: st.state, code: st.exit_code }, { state: 'CONTAINER_EXITED', code: 137 });
      await cri.stopPodSandbox(pod); // idempotent, as the kubelet relies on
      await cri.removePodSandbox(pod);
      assert.ok(!(await cri.listContainers()).some((c) => c.id === left));
      await expectGone(h, left, `${podCgroup(h, podName)}/${left}`);
      await expectGone(h, pod, `${podCgroup(h, podName)}/${pod}`);
      assert.ok(!(await cri.listPodSandboxes()).includes(pod));
      assert.deepEqual(hostMountsMentioning([pod]), []);
      // The pod's parent is the kubelet's to remove; below it nothing may be left.
      for (const dir of cgroupDirs(podCgroup(h, podName))) {
        const children = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
        assert.deepEqual(children, [], `cgroups left under ${dir}`);
      }
      assert.deepEqual(await removeCgroupTree(podCgroup(h, podName)), []);
    });
  });
}

describe('Kubernetes CRI (containerd 1.6, runtime.v1) with a tsrunc runtime handler beside runc', { skip: skip ?? false }, () => {
  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-e2e-cri-'));
    const sut = runtimeCommand('tsrunc').argv;
    // The shim's BinaryName is one executable: the runtime under test itself when it is one.
    const sutBinary = sut.length === 1 ? (which(sut[0]) ?? '') : '';
    assert.ok(sutBinary !== '', `TSRUNC_BIN must be one executable for the CRI handler: ${sut.join(' ')}`);
    handlers = [
      { name: 'tsrunc', binary: sutBinary, root: path.join(base, 'rt-tsrunc') },
      { name: 'runc', binary: which('runc') ?? 'runc', root: path.join(base, 'rt-runc') },
    ];

    // The pause image: one static binary that waits for a signal.
    const pauseRoot = path.join(base, 'pause-root');
    fs.mkdirSync(pauseRoot);
    const cc = spawnSync('cc', ['-static', '-O2', '-o', path.join(pauseRoot, 'pause'), path.join(repoRoot(), 'test', 'helpers', 'cri', 'pause.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, `cc pause.c: ${cc.stderr}`);
    fs.mkdirSync(path.join(base, 'image'));
    const pause = buildOciImage(path.join(base, 'image'), { ref: PAUSE_IMAGE, rootfs: pauseRoot, entrypoint: ['/pause'] });
    const busybox = buildBusyboxImage(path.join(base, 'image'), BUSYBOX_IMAGE);

    cd = new Containerd(path.join(base, 'cd'), { namespace: 'k8s.io', cgroupRoot: `/tsrunc-test-cri-${process.pid}`, criConfig: criConfig(path.join(base, 'cd')) });
    await cd.start();
    for (const img of [pause, busybox]) {
      const r = await cd.ctr(['images', 'import', img.tar]);
      assert.equal(r.code, 0, describeCommand(r));
    }
    cri = new CriClient(cd.socket);
    const v = await cri.version();
    assert.equal(v.runtime_api_version, 'v1');
    // The imported images are the CRI plugin's too.
    for (const ref of [PAUSE_IMAGE, BUSYBOX_IMAGE]) await waitFor(`CRI to see ${ref}`, () => cri.imageId(ref));
  });

  after(async () => {
    const problems: string[] = [];
    if (cri && !daemonStopped) {
      // What a failed test left, removed the kubelet's way first; each one is reported.
      for (const id of await cri.listPodSandboxes().catch(() => [])) {
        problems.push(`pod sandbox ${id} was left`);
        await cri.stopPodSandbox(id).catch(() => undefined);
        await cri.removePodSandbox(id).catch(() => undefined);
      }
    }
    cri?.close();
    if (cd && !daemonStopped) problems.push(...await cd.stop());
    fs.rmSync(base, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'cleanup after the CRI tests had to force things');
  });

  scenario('tsrunc');
  scenario('runc');

  test('what the tsrunc handler showed is what the runc handler showed', T, () => {
    assert.deepEqual(seen.tsrunc, seen.runc);
  });

  test('timing: CRI create, start, stop, remove of one container, tsrunc beside runc (medians of 5)', T, async (t) => {
    const rounds = 5;
    const times: Record<string, number[]> = { tsrunc: [], runc: [] };
    const pods: Record<string, { id: string; cfg: Record<string, unknown> }> = {};
    for (const h of handlers) {
      const cfg = sandboxConfig(h, 'timing');
      pods[h.name] = { id: await cri.runPodSandbox(cfg, h.name), cfg };
    }
    // A failure in between leaves the pods to after(), which reports them.
    for (let i = 0; i < rounds; i += 1) {
      // Interleaved, so that a busy moment of the machine weighs on both alike.
      for (const h of handlers) {
        const p = pods[h.name];
        const started = process.hrtime.bigint();
        // The pause binary stops at SIGTERM at once: the figure is the runtime's, not a grace period.
        const id = await cri.createContainer(p.id, containerConfig(`t${i}`, PAUSE_IMAGE, ['/pause']), p.cfg);
        await cri.startContainer(id);
        await cri.stopContainer(id, 10);
        await cri.removeContainer(id);
        times[h.name].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    for (const h of handlers) {
      await cri.stopPodSandbox(pods[h.name].id);
      await cri.removePodSandbox(pods[h.name].id);
      assert.deepEqual(await removeCgroupTree(podCgroup(h, 'timing')), []);
    }
    const m = median(times.tsrunc);
    const r = median(times.runc);
    t.diagnostic(`CRI create+start+stop+remove: tsrunc median ${m.toFixed(0)} ms, runc median ${r.toFixed(0)} ms, ratio ${(m / r).toFixed(2)}`);
    t.diagnostic(`samples (ms): ${JSON.stringify({ tsrunc: times.tsrunc.map(Math.round), runc: times.runc.map(Math.round) })}`);
  });

  test('containerd stops cleanly: no container state, sandbox, shim, mount or cgroup left', T, async () => {
    assert.deepEqual(await cri.listContainers(), []);
    assert.deepEqual(await cri.listPodSandboxes(), []);
    for (const h of handlers) {
      const root = path.join(h.root, 'k8s.io');
      // Hidden entries are the runtime's own (tsrunc's .cache of compiled seccomp filters).
      const entries = fs.existsSync(root) ? fs.readdirSync(root).filter((e) => !e.startsWith('.')) : [];
      assert.deepEqual(entries, [], `${h.name}'s runtime root still holds state`);
    }
    cri.close();
    daemonStopped = true;
    // Containerd.stop reports whatever it had to force: containers, shims, mounts, cgroups.
    assert.deepEqual(await cd.stop(), []);
    assert.ok(!fs.existsSync(base + '/cd'), 'containerd\'s directories are gone');
    assert.deepEqual(cgroupDirs(cd.cgroupRoot), []);
  });

  function criConfig(dir: string): string[] {
    const cri = 'plugins."io.containerd.grpc.v1.cri"';
    const lines = [
      `[${cri}]`,
      `  sandbox_image = "${PAUSE_IMAGE}"`,
      // Root here lacks CAP_SYS_RESOURCE: the CRI's -998 for the sandbox cannot be written.
      '  restrict_oom_score_adj = true',
    ];
    for (const h of handlers) {
      lines.push(
        `[${cri}.containerd.runtimes.${h.name}]`,
        '  runtime_type = "io.containerd.runc.v2"',
        `[${cri}.containerd.runtimes.${h.name}.options]`,
        `  BinaryName = ${JSON.stringify(h.binary)}`,
        `  Root = ${JSON.stringify(h.root)}`,
        '  SystemdCgroup = false',
      );
    }
    // No CNI: the pods use the host's network; the directories only keep CNI off the host's.
    lines.push(`[${cri}.cni]`, `  bin_dir = ${JSON.stringify(path.join(dir, 'cni-bin'))}`, `  conf_dir = ${JSON.stringify(path.join(dir, 'cni-conf'))}`);
    return lines;
  }
});

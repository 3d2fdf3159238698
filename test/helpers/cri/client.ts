// A small client of the Kubernetes CRI (runtime.v1) for the end-to-end test: the calls the kubelet
// makes to run a pod, over containerd's gRPC socket, with the protocol description kept in the
// repository (test/helpers/cri/api.proto, its source and licence in its header) and loaded at run
// time by @grpc/proto-loader. Messages are plain objects in the proto's field names (snake_case,
// keepCase), 64-bit integers as JS numbers (the values the test uses fit), enums by name.
// Only the fields the test reads are typed.

import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { repoRoot } from '../runtime';

export const CRI_PROTO = path.join(repoRoot(), 'test', 'helpers', 'cri', 'api.proto');

type Msg = Record<string, unknown>;
type Unary = (req: Msg, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Msg) => void) => void;

export interface ContainerStatus {
  id: string;
  state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
  created_at: number;
  started_at: number;
  finished_at: number;
  exit_code: number;
  reason: string;
  message: string;
  log_path: string;
  image: { image: string };
}

export interface PodSandboxStatus {
  id: string;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  network: { ip: string } | null;
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exit_code: number;
}

export interface ContainerStats {
  attributes: { id: string };
  cpu: { timestamp: number; usage_core_nano_seconds: { value: number } | null } | null;
  memory: { timestamp: number; working_set_bytes: { value: number } | null } | null;
  writable_layer: { used_bytes: { value: number } | null } | null;
}

/** The `linux.resources` of CreateContainer and UpdateContainerResources (what the test sets). */
export interface LinuxResources {
  cpu_period?: number;
  cpu_quota?: number;
  cpu_shares?: number;
  memory_limit_in_bytes?: number;
  memory_swap_limit_in_bytes?: number;
  cpuset_cpus?: string;
}

export class CriError extends Error {
  constructor(readonly method: string, readonly code: grpc.status, readonly details: string) {
    super(`CRI ${method}: ${grpc.status[code] ?? code}: ${details}`);
  }
}

export class CriClient {
  private readonly runtime: grpc.Client;
  private readonly images: grpc.Client;

  constructor(socket: string) {
    const def = protoLoader.loadSync(CRI_PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor; ImageService: grpc.ServiceClientConstructor } };
    };
    const target = `unix://${socket}`;
    this.runtime = new pkg.runtime.v1.RuntimeService(target, grpc.credentials.createInsecure());
    this.images = new pkg.runtime.v1.ImageService(target, grpc.credentials.createInsecure());
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }

  /** One unary call; a gRPC error becomes a CriError carrying its status code. */
  call<T = Msg>(method: string, req: Msg, timeoutMs = 60_000, service: 'runtime' | 'images' = 'runtime'): Promise<T> {
    const client = service === 'runtime' ? this.runtime : this.images;
    const fn = (client as unknown as Record<string, Unary>)[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`no CRI method ${method}`));
    return new Promise<T>((resolve, reject) => {
      fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(new CriError(method, err.code, err.details));
        else resolve(res as T);
      });
    });
  }

  version(): Promise<{ runtime_name: string; runtime_version: string; runtime_api_version: string }> {
    return this.call('Version', { version: 'v1' });
  }

  async imageId(image: string): Promise<string | undefined> {
    const r = await this.call<{ image: { id: string } | null }>('ImageStatus', { image: { image } }, 60_000, 'images');
    return r.image?.id;
  }

  async runPodSandbox(config: Msg, runtimeHandler: string): Promise<string> {
    return (await this.call<{ pod_sandbox_id: string }>('RunPodSandbox', { config, runtime_handler: runtimeHandler }, 120_000)).pod_sandbox_id;
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return (await this.call<{ status: PodSandboxStatus }>('PodSandboxStatus', { pod_sandbox_id: id })).status;
  }

  /** The sandbox's process, from containerd's verbose status (its `info` JSON has `pid`). */
  async podSandboxPid(id: string): Promise<number> {
    const r = await this.call<{ info: Record<string, string> }>('PodSandboxStatus', { pod_sandbox_id: id, verbose: true });
    return pidOf(r.info, `sandbox ${id}`);
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', { pod_sandbox_id: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('RemovePodSandbox', { pod_sandbox_id: id });
  }

  async listPodSandboxes(): Promise<string[]> {
    return (await this.call<{ items: { id: string }[] }>('ListPodSandbox', {})).items.map((p) => p.id);
  }

  async createContainer(podSandboxId: string, config: Msg, sandboxConfig: Msg): Promise<string> {
    const r = await this.call<{ container_id: string }>('CreateContainer', { pod_sandbox_id: podSandboxId, config, sandbox_config: sandboxConfig }, 120_000);
    return r.container_id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call('StartContainer', { container_id: id }, 120_000);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return (await this.call<{ status: ContainerStatus }>('ContainerStatus', { container_id: id })).status;
  }

  /** The container's init, from containerd's verbose status. */
  async containerPid(id: string): Promise<number> {
    const r = await this.call<{ info: Record<string, string> }>('ContainerStatus', { container_id: id, verbose: true });
    return pidOf(r.info, `container ${id}`);
  }

  /** `timeout` in seconds as CRI has it (0: none); the call's own deadline is a little longer. */
  execSync(id: string, cmd: string[], timeout = 0): Promise<ExecSyncResponse> {
    return this.call('ExecSync', { container_id: id, cmd, timeout }, (timeout + 60) * 1000);
  }

  /** The streaming server's URL for an exec (test/helpers/cri/stream.ts speaks to it). */
  async exec(id: string, cmd: string[], opts: { tty?: boolean; stdin?: boolean } = {}): Promise<string> {
    const tty = opts.tty ?? false;
    const r = await this.call<{ url: string }>('Exec', { container_id: id, cmd, tty, stdin: opts.stdin ?? false, stdout: true, stderr: !tty });
    return r.url;
  }

  async containerStats(id: string): Promise<ContainerStats> {
    return (await this.call<{ stats: ContainerStats }>('ContainerStats', { container_id: id })).stats;
  }

  async updateContainerResources(id: string, linux: LinuxResources): Promise<void> {
    await this.call('UpdateContainerResources', { container_id: id, linux });
  }

  /** `timeout` in seconds: SIGTERM (or the image's stop signal), then SIGKILL after it. */
  async stopContainer(id: string, timeout: number): Promise<void> {
    await this.call('StopContainer', { container_id: id, timeout }, (timeout + 60) * 1000);
  }

  async removeContainer(id: string): Promise<void> {
    await this.call('RemoveContainer', { container_id: id });
  }

  async listContainers(): Promise<{ id: string; pod_sandbox_id: string; state: string }[]> {
    return (await this.call<{ containers: { id: string; pod_sandbox_id: string; state: string }[] }>('ListContainers', {})).containers;
  }
}

function pidOf(info: Record<string, string>, what: string): number {
  const pid = (JSON.parse(info.info ?? '{}') as { pid?: number }).pid;
  if (typeof pid !== 'number' || pid <= 0) throw new Error(`no pid in the verbose status of ${what}: ${JSON.stringify(info)}`);
  return pid;
}

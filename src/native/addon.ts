// Typed access to the native addon and the launcher executable next to it. The single-file
// executable names their directory (its libexec, see src/executable.ts); run by Node from the
// source tree they are found in build/Release above this file. TSRUNC_ADDON / TSRUNC_LAUNCHER
// override either, and a missing one is a clear error.
import { path } from '../sys/path';
import { TsruncError } from '../errors';
import { access } from '../sys/files';
import { nativeDirectory, nativeModule } from '../sys/native-module';

export interface ExitStatus { exitCode: number | null; signal: number | null }

export interface Addon {
  /** Starts making, on a thread, the sealed copy of the launcher that spawnLauncher will run. */
  prepareLauncher(launcherPath: string): void;
  /** inheritFds: the fds the launcher (and so the container) receives besides its socket. */
  spawnLauncher(launcherPath: string, inheritFds: number[]): { pid: number; fd: number };
  waitPid(pid: number): ExitStatus;
  waitPidAsync(pid: number): Promise<ExitStatus>;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): void;
  /** POLLIN interest on every fd; returns each fd's revents. */
  poll(fds: number[], timeoutMs: number): number[];
  flock(fd: number, mode: 'ex' | 'sh' | 'un', wait: boolean): boolean;
  mkfifo(path: string, mode: number): void;
  setChildSubreaper(): void;
  /** Loads a BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn array) and makes it the only
   * device program attached to the cgroup v2 directory: attached with BPF_F_ALLOW_MULTI first,
   * then the ones attached before are detached. Errors carry errno, path and any verifier log. */
  setDeviceProgram(cgroupDir: string, insns: Buffer): void;
  /** How many device programs are attached to the cgroup directory itself. */
  deviceProgramCount(cgroupDir: string): number;

  // Unix sockets that carry descriptors (the --console-socket protocol) and pty ioctls
  // (cpp/addon/fdpass.cc). Every returned fd is close-on-exec. A negative timeout waits forever;
  // one that passes is an error with code 'ETIMEDOUT'.
  /** A listening stream socket bound at path (which must not exist yet). */
  listenUnix(path: string): number;
  /** Waits for and accepts one connection. */
  acceptUnix(listenFd: number, timeoutMs: number): number;
  /** A stream socket connected to path. */
  connectUnix(path: string): number;
  /** One message carrying exactly one descriptor (SCM_RIGHTS); data is its payload (runc: the
   * pty's name). No descriptor, or more than one, is an error and nothing stays open. */
  recvFd(sock: number, timeoutMs: number): { fd: number; data: string };
  /** One message with data (one NUL byte when empty) and fd as its only descriptor. */
  sendFd(sock: number, fd: number, data: string): void;
  /** TIOCSWINSZ; rows and cols 0..65535. */
  setWinsize(fd: number, rows: number, cols: number): void;
  /** TIOCGWINSZ. */
  getWinsize(fd: number): { rows: number; cols: number };
  /** "/dev/pts/N" of a pty master (TIOCGPTN), numbered in the master's own devpts instance. */
  ptsName(masterFd: number): string;
  /** Clears ONLCR on a terminal (runc does it on a master it proxies itself). */
  clearOnlcr(fd: number): void;
  /** A close-on-exec duplicate of fd (F_DUPFD_CLOEXEC): the same open file description. */
  dupFd(fd: number): number;
  /** Writes all of data to fd on a thread of the addon's own (cpp/addon/ptywrite.cc); resolves
   * with the bytes written, rejects with an errno error (code 'EIO' when the pty has no slave). */
  writeOnThread(fd: number, data: Buffer): Promise<number>;
}

export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

let cached: Addon | undefined;

export function addon(): Addon {
  return cached ??= nativeModule() as Addon;
}

/**
 * create, run and exec call this as they begin: the launcher's sealed copy (1.2 MB copied into a
 * memfd, about 0.5 ms) is then made on a thread of the addon's while their code loads and the
 * config is checked, not when the launcher is spawned. A problem is left for the launch to report.
 */
export function prepareLauncher(): void {
  try {
    addon().prepareLauncher(launcherPath());
  } catch { /* reported by the launch */ }
}

export function launcherPath(): string {
  const file = process.env.TSRUNC_LAUNCHER ?? path.join(nativeDirectory(), 'tsrunc-launcher');
  try {
    access(file, 'x');
  } catch {
    throw new TsruncError(`the launcher ${file} is missing or not executable: run \`npm run build\``);
  }
  return file;
}

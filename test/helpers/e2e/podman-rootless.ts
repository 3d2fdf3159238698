// Rootless podman: podman run by a TestUser (test/helpers/test-user.ts), configured the way such a
// user does it, in files of their own under $HOME/.config/containers (nothing root-owned is read
// for it or written): vfs storage with graphroot and runroot in the home, no network,
// cgroup_manager "cgroupfs" (on this hybrid cgroup v1 host rootless podman then runs without
// cgroups, so no limits), events to a file, and the runtimes under test by path. podman builds its
// user namespace with newuidmap/newgidmap from the user's /etc/subuid range, keeps it alive in
// its pause process, and runs conmon and the runtime inside it as that namespace's root.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { TestUser } from '../test-user';
import { runCommand, shellQuote, which, SERVICE_PATH, type CommandResult } from './command';
import type { RuntimeWrapper } from './wrapper';

/** Why this host cannot run rootless podman (beyond podman itself and the test user), or undefined. */
export function rootlessPodmanSkip(): string | undefined {
  const read = (f: string): string | undefined => { try { return fs.readFileSync(f, 'utf8').trim(); } catch { return undefined; } };
  if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0') return 'kernel.unprivileged_userns_clone is 0: an unprivileged user cannot make a user namespace';
  if (read('/proc/sys/user/max_user_namespaces') === '0') return 'user.max_user_namespaces is 0: no user namespaces can be made';
  if (spawnSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' }).status !== 0) return 'util-linux script (a pty for podman -t) is missing';
  return undefined;
}

export class RootlessPodman {
  readonly user: TestUser;
  readonly confDir: string;
  /** Where the capture files of the commands go (root's; the user never sees them). */
  readonly ioDir: string;

  /** `runtimes` maps names (used with `--runtime NAME`) to wrappers the user can run; the first is the default. */
  constructor(user: TestUser, ioDir: string, runtimes: Record<string, RuntimeWrapper>) {
    this.user = user;
    this.ioDir = ioDir;
    this.confDir = path.join(user.home, '.config', 'containers');
    const q = (s: string): string => JSON.stringify(s);
    const names = Object.keys(runtimes);
    this.writeUserFile('containers.conf', [
      '[containers]',
      'netns = "none"',
      'log_driver = "k8s-file"',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `runtime = ${q(names[0])}`,
      `runtime_supports_json = [${['crun', 'runc', ...names].map(q).join(', ')}]`,
      '[engine.runtimes]',
      ...names.map((n) => `${n} = [${q(runtimes[n].path)}]`),
      '',
    ]);
    this.writeUserFile('storage.conf', [
      '[storage]',
      'driver = "vfs"',
      `graphroot = ${q(this.graphRoot)}`,
      `runroot = ${q(this.runRoot)}`,
      '',
    ]);
  }

  get graphRoot(): string { return path.join(this.user.home, '.local', 'share', 'containers', 'storage'); }
  get runRoot(): string { return path.join(this.user.runtimeDir, 'containers'); }

  /** The user's own file under ~/.config/containers, the directories made as theirs too. */
  private writeUserFile(name: string, lines: string[]): void {
    for (const dir of [path.join(this.user.home, '.config'), this.confDir]) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      fs.chownSync(dir, this.user.uid, this.user.gid);
    }
    const file = path.join(this.confDir, name);
    fs.writeFileSync(file, lines.join('\n'), { mode: 0o644 });
    fs.chownSync(file, this.user.uid, this.user.gid);
  }

  /** The user's environment as a login gives it: HOME, USER, XDG_RUNTIME_DIR, a service PATH; no CONTAINERS_* overrides. */
  env(): NodeJS.ProcessEnv {
    return this.user.env({ PATH: SERVICE_PATH });
  }

  /**
   * podman as the user. With `tty`, util-linux `script` (run as the user too, so the pty is
   * theirs) gives it a terminal: stdout and stderr then arrive together.
   */
  podman(args: string[], opts: { tty?: boolean; timeoutMs?: number } = {}): Promise<CommandResult> {
    const podman = which('podman') ?? 'podman';
    const asUser = ['setpriv', '--reuid', String(this.user.uid), '--regid', String(this.user.gid), '--clear-groups', '--'];
    const argv = opts.tty
      ? [...asUser, 'script', '-qec', [podman, ...args].map(shellQuote).join(' '), '/dev/null']
      : [...asUser, podman, ...args];
    return runCommand(argv, { env: this.env(), ioDir: this.ioDir, cwd: this.user.home, timeoutMs: opts.timeoutMs ?? 90_000 });
  }

  /** The pid of podman's pause process (the holder of its user and mount namespaces), if running. */
  pausePid(): number | undefined {
    try {
      const pid = Number(fs.readFileSync(path.join(this.user.runtimeDir, 'libpod', 'tmp', 'pause.pid'), 'utf8').trim());
      return pid > 0 && fs.existsSync(`/proc/${pid}`) ? pid : undefined;
    } catch {
      return undefined;
    }
  }
}

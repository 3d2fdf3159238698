// Which paths a traced run tried to change: the output of `strace -f -y -e trace=%file,%desc,%process`
// read into one row per attempt (open for writing, create, remove, rename, link, chmod/chown,
// truncate, set times, mount on), each with its process and whether that process was inside the
// container's view by then (after its pivot_root, chroot or setns into a mount namespace, or born
// of a process that was). Attempts count whatever their result: trying to write is the fault.
// strace runs as root so that it can read the arguments of the non-dumpable launcher.
import { spawnSync } from 'node:child_process';

export const straceSkip = spawnSync('sh', ['-c', 'command -v strace']).status === 0
  ? undefined : 'strace is not installed (Debian: strace; scripts/setup.sh installs it)';

/** The strace options that write-trace reads. */
export const STRACE_ARGS = ['-f', '-qq', '-y', '-s', '4096', '-e', 'trace=%file,%desc,%process,unshare'];

export interface WriteAttempt {
  pid: number;
  syscall: string;
  /** The path, made absolute with the directory fd's path (-y) where the call gives one. */
  path: string;
  /** The process had entered the container's mount namespace: its paths are the container's. */
  inContainer: boolean;
  /** The process had a mount namespace of its own (unshare/clone CLONE_NEWNS, setns): its mounts
   * change no one else's view, though the files it writes before pivot_root are the host's. */
  ownMounts: boolean;
  line: string;
}

const WRITE_FLAGS = /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/;
// Syscalls that change the file their first path names (the *at forms after their dirfd).
const CHANGING = new Set([
  'creat', 'mkdir', 'mkdirat', 'mknod', 'mknodat', 'unlink', 'unlinkat', 'rmdir', 'rename', 'renameat', 'renameat2',
  'link', 'linkat', 'symlink', 'symlinkat', 'truncate', 'chmod', 'fchmodat', 'chown', 'lchown', 'fchownat',
  'utimes', 'utimensat', 'futimesat', 'setxattr', 'lsetxattr', 'removexattr', 'lremovexattr', 'mount', 'umount2',
]);

/** `N</path>` (strace -y) or AT_FDCWD, then a quoted path: each path argument of a call, resolved. */
function pathArguments(args: string): string[] {
  const out: string[] = [];
  const re = /(?:((?:AT_FDCWD|\d+)<([^>]*)>|AT_FDCWD),\s*)?"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(args); m; m = re.exec(args)) {
    const [, , dirPath, raw] = m;
    const p = raw.replace(/\\"/g, '"');
    out.push(p.startsWith('/') || dirPath === undefined ? p : `${dirPath.replace(/\/$/, '')}/${p}`);
  }
  return out;
}

export function writeAttempts(log: string): WriteAttempt[] {
  const lines = log.split('\n').filter(Boolean);
  // First pass: who entered the container when (line index), and who was born of whom when.
  const enteredAt = new Map<number, number>();
  const mountsAt = new Map<number, number>();
  const born = new Map<number, { parent: number; at: number }>();
  const callStart = new Map<number, number>();
  lines.forEach((line, i) => {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) return;
    const pid = Number(m[1]);
    const rest = m[2];
    if (/^(pivot_root|chroot)\(/.test(rest) || /^setns\([^,]*,\s*[^)]*CLONE_NEWNS/.test(rest)) {
      if (!enteredAt.has(pid)) enteredAt.set(pid, i);
    }
    if (/^(pivot_root|chroot)\(/.test(rest) || /^(unshare|setns|clone3?)\(.*CLONE_NEWNS/.test(rest)) {
      if (!mountsAt.has(pid)) mountsAt.set(pid, i);
    }
    if (/^(clone3?|fork|vfork)\(/.test(rest)) callStart.set(pid, i);
    const child = /^(?:<\.\.\. (?:clone3?|fork|vfork) resumed>.*|(?:clone3?|fork|vfork)\(.*)\)\s+=\s+(\d+)$/.exec(rest);
    if (child) born.set(Number(child[1]), { parent: pid, at: callStart.get(pid) ?? i });
  });
  const since = (when: Map<number, number>, pid: number, i: number, depth = 0): boolean => {
    const e = when.get(pid);
    if (e !== undefined && e <= i) return true;
    const b = born.get(pid);
    return b !== undefined && depth < 64 && since(when, b.parent, b.at, depth + 1);
  };
  const out: WriteAttempt[] = [];
  lines.forEach((line, i) => {
    const m = /^(\d+)\s+([a-z0-9_]+)\((.*)$/.exec(line);
    if (!m) return;
    const [, pidText, syscall, args] = m;
    const pid = Number(pidText);
    const paths = pathArguments(args);
    let changed: string[] = [];
    if (/^(open|openat|openat2)$/.test(syscall)) changed = WRITE_FLAGS.test(args) ? paths.slice(0, 1) : [];
    else if (syscall === 'mount') changed = paths.slice(1, 2); // the target; the source is only read
    else if (/^(rename|renameat|renameat2|link|linkat|symlink|symlinkat)$/.test(syscall)) changed = syscall.startsWith('symlink') ? paths.slice(1) : paths;
    else if (CHANGING.has(syscall)) changed = paths.slice(0, 1);
    for (const p of changed) out.push({ pid, syscall, path: p, inContainer: since(enteredAt, pid, i), ownMounts: since(mountsAt, pid, i), line });
  });
  return out;
}

/** `p` is `dir` or lies under it. */
export const under = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.replace(/\/$/, '') + '/');

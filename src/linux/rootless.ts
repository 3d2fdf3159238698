// Running as an unprivileged user: when tsrunc counts as rootless, where its state lives, and how
// the new user namespace's id maps can be written by such a user (runc's rules).
import { path } from '../sys/path';
import { DEFAULT_ROOT } from '../context';
import { TsruncError } from '../errors';
import { access, chmod, mkdir, readText } from '../sys/files';
import { userNamer } from './users';
import { isDigits, words } from '../text';

export interface IdRange { containerID: number; hostID: number; size: number }

const euid = (): number => process.geteuid?.() ?? 0;
const egid = (): number => process.getegid?.() ?? 0;

let userNamespaceAnswer: boolean | undefined;

/** Inside a user namespace other than the initial one (whose uid_map covers every id). Read once:
 * a process does not change its user namespace while tsrunc runs. */
export function inUserNamespace(): boolean {
  if (userNamespaceAnswer !== undefined) return userNamespaceAnswer;
  let text: string;
  try {
    text = readText('/proc/self/uid_map');
  } catch {
    return (userNamespaceAnswer = false);
  }
  const map = words(text);
  return (userNamespaceAnswer = !(map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295'));
}

/** --rootless true|false|auto: auto is rootless when not euid 0 or already in a user namespace. */
export function runningRootless(flag: string): boolean {
  if (flag === 'true') return true;
  if (flag === 'false') return false;
  return euid() !== 0 || inUserNamespace();
}

/**
 * The state root when --root is left at its default: $XDG_RUNTIME_DIR/tsrunc for a user, as runc.
 * That one is made (0700) and given the sticky bit here, on every call as runc does: the XDG Base
 * Directory spec lets a session manager prune files there that have neither a fresh access time
 * nor that bit, and a long-lived container's state must not go. A failure is left to the command
 * that uses the root, which names it.
 */
export function defaultStateRoot(root: string): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (root !== DEFAULT_ROOT || !xdg || !userRuntimeDirApplies()) return root;
  const dir = path.join(xdg, 'tsrunc');
  try {
    try { mkdir(dir, 0o700); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
    chmod(dir, 0o1700);
  } catch { /* reported where the root is used */ }
  return dir;
}

/**
 * Whether $XDG_RUNTIME_DIR is a user's (runc's rule): always for a non-root caller; never for the
 * host's root (/run/user/0 stays unused); for root of a user namespace, unless $USER says root.
 * The last is rootless podman, which runs the runtime as root of its own namespace, with the
 * user's XDG_RUNTIME_DIR and no --root.
 */
function userRuntimeDirApplies(): boolean {
  if (euid() !== 0) return true;
  return inUserNamespace() && process.env.USER !== 'root';
}

/** Where a state root came from, for its errors: a user who never gave --root should not be told
 * about --root, but about $XDG_RUNTIME_DIR (set, or not, which left the root's /run/tsrunc). */
export function stateRootOrigin(root: string): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (euid() === 0) return '--root';
  if (xdg && path.resolve(root) === path.resolve(xdg, 'tsrunc')) return `from $XDG_RUNTIME_DIR=${xdg}`;
  if (!xdg && root === DEFAULT_ROOT) return 'the default, as XDG_RUNTIME_DIR is not set; set it or give --root';
  return '--root';
}

/** The caller's ranges in /etc/subuid or /etc/subgid (by name or by number). */
export function subordinateRanges(file: string, name: string, id: number): { start: number; size: number }[] {
  let text = '';
  try { text = readText(file); } catch { return []; }
  const out: { start: number; size: number }[] = [];
  for (const line of text.split('\n')) {
    const [who, start, size] = line.trim().split(':');
    if (who !== name && who !== String(id)) continue;
    if (isDigits(start ?? '') && isDigits(size ?? '')) out.push({ start: Number(start), size: Number(size) });
  }
  return out;
}

function lookPath(name: string): string | undefined {
  for (const dir of (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir || '.', name);
    try { access(p, 'x'); return path.resolve(p); } catch { /* next */ }
  }
  return undefined;
}

const onlyOwnId = (maps: readonly IdRange[], own: number): boolean => maps.length === 1 && maps[0].hostID === own && maps[0].size === 1;

export type RootlessIdMaps = { denySetgroups: true } | { idMapHelpers: { newuidmap: string; newgidmap: string } } | Record<string, never>;

/**
 * How an unprivileged caller gets these maps written: its own single ids directly (setgroups
 * denied, as the kernel requires), anything else through newuidmap/newgidmap, within the ranges
 * /etc/subuid and /etc/subgid delegate to it. A mapping outside them is refused here, naming it,
 * before anything exists.
 */
export function rootlessIdMaps(uidMappings: readonly IdRange[], gidMappings: readonly IdRange[]): RootlessIdMaps {
  const uid = euid();
  const gid = egid();
  // Root of a user namespace (rootless podman's runtime, --userns keep-id) holds CAP_SETUID and
  // CAP_SETGID over the ids its namespace maps: it writes the maps itself, as root does and as
  // runc does there; the kernel refuses ids the namespace lacks. /etc/subuid is about host users.
  if (uid === 0) return {};
  if (onlyOwnId(uidMappings, uid) && onlyOwnId(gidMappings, gid)) return { denySetgroups: true };
  const user = userNamer()(uid) ?? String(uid);
  const check = (maps: readonly IdRange[], key: string, own: number, file: string, who: number): void => {
    const ranges = subordinateRanges(file, user, who);
    maps.forEach((m, i) => {
      if (m.size === 1 && m.hostID === own) return;
      const end = m.hostID + m.size;
      if (ranges.some((r) => m.hostID >= r.start && end <= r.start + r.size)) return;
      const have = ranges.length === 0 ? 'none' : ranges.map((r) => `${r.start}-${r.start + r.size - 1}`).join(', ');
      const ids = m.size === 1 ? `host id ${m.hostID} is` : `host ids ${m.hostID}-${end - 1} are`;
      throw new TsruncError(`config.json: /linux/${key}/${i}: ${ids} not delegated to user ${user} (${who}) in ${file} (it has: ${have}); a rootless container may map only its own id and those ranges`);
    });
  };
  check(uidMappings, 'uidMappings', uid, '/etc/subuid', uid);
  check(gidMappings, 'gidMappings', gid, '/etc/subgid', uid);
  const newuidmap = lookPath('newuidmap');
  const newgidmap = lookPath('newgidmap');
  if (!newuidmap || !newgidmap) {
    throw new TsruncError('config.json: /linux/uidMappings: a rootless container with more than its own id needs newuidmap and newgidmap (the uidmap package) in $PATH');
  }
  return { idMapHelpers: { newuidmap, newgidmap } };
}

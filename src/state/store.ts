// Container state on disk: <root>/<id>/state.json (format: docs/state.md), exec.fifo beside it.
// The directory is created with mkdir (so two creates of one id cannot both win), locked with
// flock for every operation, and state.json is replaced atomically (write a temp file, rename).
import { path } from '../sys/path';
import { errnoText, TsruncError } from '../errors';
import { stateRootOrigin } from '../linux/rootless';
import { addon } from '../native/addon';
import { STATE_ROOT_CACHE } from '../context';
import * as files from '../sys/files';
import { isAsciiLetter, isDigits } from '../text';

export const STATE_FILE = 'state.json';
export const EXEC_FIFO = 'exec.fifo';
export const STATE_FORMAT = 1;

export type Status = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

/** state.json: the OCI state fields first, then what later commands need, under "tsrunc". */
export interface ContainerState {
  ociVersion: string;
  id: string;
  status: Status;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  tsrunc: {
    format: number;
    /** Field 22 of /proc/PID/stat when the init was created: tells a reused PID from ours. */
    initStartTime: string;
    /** /proc/PID/ns/* paths of the init, by namespace type, for joining later (exec). */
    namespacePaths: Record<string, string>;
    /** The container's cgroup directories (absent on a host without cgroups): the cgroup
     * driver's record (cgroups/types.ts CgroupRecord), kept as it is; state/ never looks inside. */
    cgroup?: StoredRecord;
    noPivot: boolean;
    /** create --no-new-keyring: exec'd processes keep their caller's session keyring too (absent: false). */
    noNewKeyring?: boolean;
    /** The config's ociVersion, kept for tools that report it. */
    configOciVersion: string;
  };
}

/** runc's rule for an id, [\w+.-]+, checked by character (src/text.ts says why). */
function isIdText(id: string): boolean {
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (!isAsciiLetter(c) && !isDigits(id[i]) && c !== 0x5f && c !== 0x2b && c !== 0x2e && c !== 0x2d) return false; // _ + . -
  }
  return id.length > 0;
}
/** The id names the state directory, so it must fit in one file name (NAME_MAX). */
const ID_MAX = 255;

export function validateId(id: string | undefined): string {
  if (!id) throw new TsruncError('container id cannot be empty');
  if (!isIdText(id) || id === '.' || id === '..') throw new TsruncError(`invalid container ID format: ${id}`);
  if (id === STATE_ROOT_CACHE) throw new TsruncError(`container ID ${id} is reserved: tsrunc keeps its cache there`);
  // runc only finds out at mkdir ("file name too long"); refused up front like any bad id.
  if (id.length > ID_MAX) throw new TsruncError(`invalid container ID format: ${id} (${id.length} characters; an id has at most ${ID_MAX})`);
  return id;
}

/** The state root cannot be used: the error names it as given and the kernel's reason. */
function rootError(root: string, e: unknown): TsruncError {
  return new TsruncError(`state root ${root} (${stateRootOrigin(root)}): ${errnoText(e)}`);
}

/** Why `root` cannot hold container directories (a file, a path through a file...), or undefined
 * when it is a directory or does not exist (then no container does). Asked only after a failure. */
function rootProblem(root: string): TsruncError | undefined {
  try {
    if (!files.stat(root).isDirectory()) return new TsruncError(`state root ${root} (${stateRootOrigin(root)}): not a directory`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return rootError(root, e);
  }
  return undefined;
}

export function containerDir(root: string, id: string): string {
  return path.join(path.resolve(root), id);
}

/** An open, flock-ed container directory. Closing the fd releases the lock. */
export class ContainerLock {
  private constructor(readonly dir: string, private fd: number) {}

  static acquire(dir: string): ContainerLock {
    let fd: number;
    try {
      fd = files.open(dir, 'directory');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new TsruncError('container does not exist');
      // The root itself may be the problem (`--root /dev/null`); else a stray file has the id's name.
      const ofRoot = rootProblem(path.dirname(dir));
      if (ofRoot) throw ofRoot;
      if (code === 'ENOTDIR') throw new TsruncError('container does not exist');
      throw e;
    }
    addon().flock(fd, 'ex', true);
    return new ContainerLock(dir, fd);
  }

  release(): void {
    if (this.fd >= 0) { files.close(this.fd); this.fd = -1; }
  }
}

/**
 * mkdir -p, made by hand: Node's recursive mkdir never returns for a path whose parent refuses
 * new entries with ENOENT (`/proc/nope/root`); this gives up after one try per component.
 */
function makeDirs(dir: string): void {
  try {
    files.mkdir(dir, 0o711);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && files.stat(dir).isDirectory()) return;
    if (code !== 'ENOENT' || path.dirname(dir) === dir) throw e;
  }
  makeDirs(path.dirname(dir));
  try {
    files.mkdir(dir, 0o711);
  } catch (e) {
    // Another create made it meanwhile.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !files.stat(dir).isDirectory()) throw e;
  }
}

/** Creates <root>/<id> exclusively and locks it. */
export function createContainerDir(root: string, id: string): ContainerLock {
  try {
    makeDirs(path.resolve(root));
  } catch (e) {
    throw rootProblem(root) ?? rootError(root, e);
  }
  const dir = containerDir(root, id);
  try {
    files.mkdir(dir, 0o711);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new TsruncError('container with given ID already exists');
    // Not the id's fault (validated already): the root is unwritable or read-only.
    throw rootError(root, e);
  }
  return ContainerLock.acquire(dir);
}

/** The config the container was created from, as validated: `exec` takes the container's
 * seccomp profile, LSM labels and default process from it, never from a bundle edited since. */
export const CONFIG_COPY = 'config.json';

export function writeConfigCopy(dir: string, spec: unknown): void {
  files.writeText(path.join(dir, CONFIG_COPY), JSON.stringify(spec), { mode: 0o600 });
}

export function readConfigCopy(dir: string): unknown {
  return readConfigCopyIf(dir, () => true);
}

/**
 * The config copy when it may name `key` (start and delete read it only for their hooks), else
 * undefined. The copy is JSON.stringify's, so a key it has appears quoted in its text: without
 * that there is nothing to parse (2 KB to 1 MB of JSON that a command would otherwise parse for
 * nothing).
 */
export function readConfigCopyNaming(dir: string, key: string): unknown {
  return readConfigCopyIf(dir, (text) => text.includes(`"${key}"`));
}

function readConfigCopyIf(dir: string, worthParsing: (text: string) => boolean): unknown {
  try {
    const text = files.readText(path.join(dir, CONFIG_COPY));
    return worthParsing(text) ? JSON.parse(text) : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TsruncError(`${path.join(dir, CONFIG_COPY)} is unreadable: ${(e as Error).message}`);
  }
}

/** Where a create records its cgroups before making them: a crash before state.json exists
 * leaves this behind, and `delete --force` removes the cgroups it names. */
export const CGROUP_INTENT_FILE = 'cgroup.json';

/** A record another layer owns, stored as JSON. */
export type StoredRecord = object;

export function writeCgroupIntent(dir: string, record: StoredRecord): void {
  files.writeText(path.join(dir, CGROUP_INTENT_FILE), JSON.stringify(record), { mode: 0o600 });
}

export function readCgroupIntent(dir: string): StoredRecord | undefined {
  try {
    return JSON.parse(files.readText(path.join(dir, CGROUP_INTENT_FILE))) as StoredRecord;
  } catch {
    return undefined;
  }
}

/** Written before the launcher runs for a container that shares the runtime's mount table (no
 * mount namespace): holds its rootfs, below which a crash may leave mounts for `delete --force`. */
export const HOST_MOUNTS_INTENT_FILE = 'host-mounts';

export function writeHostMountsIntent(dir: string, rootfs: string): void {
  files.writeText(path.join(dir, HOST_MOUNTS_INTENT_FILE), rootfs, { mode: 0o600 });
}

export function readHostMountsIntent(dir: string): string | undefined {
  try {
    return files.readText(path.join(dir, HOST_MOUNTS_INTENT_FILE)) || undefined;
  } catch {
    return undefined;
  }
}

export function writeState(dir: string, state: ContainerState): void {
  const tmp = path.join(dir, `.${STATE_FILE}.${process.pid}`);
  const fd = files.open(tmp, 'w', 0o600);
  // No fsync: the rename makes the update atomic for any crash of tsrunc, and the state root is
  // tmpfs by design (/run), where a power loss takes every container with it anyway.
  try {
    files.write(fd, JSON.stringify(state));
  } finally {
    files.close(fd);
  }
  files.replace(tmp, path.join(dir, STATE_FILE));
}

/**
 * state.json read without the container's lock, as runc's `state` and `list` read it: it is only
 * ever replaced by a rename, so a reader sees the old or the new one whole. A create still running
 * (no state.json yet) is a container that does not exist yet. Errors as ContainerLock.acquire's.
 */
export function readStateUnlocked(dir: string): ContainerState {
  let state: ContainerState | undefined;
  try {
    state = readState(dir);
  } catch (e) {
    throw rootProblem(path.dirname(dir)) ?? e;
  }
  if (!state) throw rootProblem(path.dirname(dir)) ?? new TsruncError('container does not exist');
  return state;
}

/** The stored state, or undefined when the directory has none (a create that never finished). */
export function readState(dir: string): ContainerState | undefined {
  let text: string;
  try {
    text = files.readText(path.join(dir, STATE_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as ContainerState;
  } catch {
    throw new TsruncError(`${path.join(dir, STATE_FILE)} is corrupt; \`tsrunc delete --force\` removes it`);
  }
}

export function removeContainerDir(dir: string): void {
  files.remove(dir, { recursive: true });
}

export function listContainerIds(root: string): string[] {
  try {
    return files.readdir(path.resolve(root))
      .filter((d) => d.isDirectory() && d.name !== STATE_ROOT_CACHE).map((d) => d.name).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw rootProblem(root) ?? rootError(root, e);
  }
}

/** The pid file cannot be written: named as the user gave it, never by its temporary file. */
function pidFileError(file: string, e: unknown): TsruncError {
  return new TsruncError(`pid file ${file}: ${errnoText(e)}`);
}

/**
 * Refuses, before anything is created, a pid file whose directory is missing or is not one, or
 * whose path holds something other than a file or a symbolic link. The pid file replaces what is
 * there, as runc's does; in place of a device node, a fifo, a socket or a directory that is a
 * mistake to stop at rather than to carry out (runc given `--pid-file /dev/null` leaves a regular
 * file where the null device was).
 */
export function checkPidFilePath(file: string): void {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  let st: files.FileStat;
  try {
    st = files.stat(dir);
  } catch (e) {
    throw pidFileError(file, e);
  }
  if (!st.isDirectory()) throw new TsruncError(`pid file ${file}: ${dir} is not a directory`);
  let there: files.FileStat | undefined;
  try {
    there = files.lstat(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw pidFileError(file, e);
  }
  if (there && !there.isFile() && !there.isSymbolicLink()) {
    throw new TsruncError(`pid file ${file}: it exists and is not a regular file, and writing the pid file would replace it`);
  }
}

/** Writes the pid file the way clients expect: the bare decimal pid, atomically. */
export function writePidFile(file: string, pid: number): void {
  const abs = path.resolve(file);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}`);
  try {
    files.writeText(tmp, String(pid), { mode: 0o644 });
    files.rename(tmp, abs);
  } catch (e) {
    files.remove(tmp);
    throw pidFileError(file, e);
  }
}

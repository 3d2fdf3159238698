// The file calls of every module the lifecycle's commands (create, run, exec, state, list, start,
// kill, delete, pause) load at start, made through the addon rather than node:fs: in the
// executable, Bun's node:fs and node:path cost each command about a millisecond before it does
// anything (docs/performance.md), more than all of `state`'s own work. Errors are shaped as Node's
// system errors (code, errno, syscall, path, message), so errors.ts words both alike; everything is
// synchronous and every fd is close-on-exec.
import { nativeModule } from './native-module';

interface RawStat { mode: number; uid: number; gid: number; size: number; dev: number; ino: number }

type ConstantName = 'O_RDONLY' | 'O_WRONLY' | 'O_RDWR' | 'O_CREAT' | 'O_EXCL' | 'O_TRUNC' | 'O_APPEND' |
  'O_DIRECTORY' | 'O_NONBLOCK' | 'O_NOFOLLOW' | 'F_OK' | 'R_OK' | 'W_OK' | 'X_OK' | 'S_IFMT' | 'S_IFDIR' |
  'S_IFREG' | 'S_IFLNK' | 'S_IFSOCK';

/** What cpp/addon/files.cc exports as `files`. */
interface NativeFiles {
  readFile(path: string): string;
  writeFile(path: string, data: string, flags: number, mode: number): void;
  open(path: string, flags: number, mode: number): number;
  close(fd: number): void;
  read(fd: number, max: number): string;
  write(fd: number, text: string): number;
  stat(path: string): RawStat;
  lstat(path: string): RawStat;
  /** name, type, name, type...: type is the entry's S_IFMT bits, 0 when the file system does not say. */
  readdir(path: string): (string | number)[];
  mkdir(path: string, mode: number): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  rename(from: string, to: string): void;
  replace(from: string, to: string): void;
  readlink(path: string): string;
  realpath(path: string): string;
  access(path: string, mode: number): void;
  chmod(path: string, mode: number): void;
  constants: Record<ConstantName, number>;
  signals: Record<string, number>;
}

let files: NativeFiles | undefined;
function native(): NativeFiles {
  return files ??= (nativeModule() as { files: NativeFiles }).files;
}

/** How a file is opened, in Node's words where Node has them. */
export type OpenFlag = 'r' | 'r+' | 'w' | 'wx' | 'a' | 'directory' | 'r-nonblocking';

function flagBits(flag: OpenFlag): number {
  const c = native().constants;
  switch (flag) {
    case 'r': return c.O_RDONLY;
    case 'r+': return c.O_RDWR;
    case 'w': return c.O_WRONLY | c.O_CREAT | c.O_TRUNC;
    case 'wx': return c.O_WRONLY | c.O_CREAT | c.O_TRUNC | c.O_EXCL;
    case 'a': return c.O_WRONLY | c.O_CREAT | c.O_APPEND;
    case 'directory': return c.O_RDONLY | c.O_DIRECTORY;
    case 'r-nonblocking': return c.O_RDONLY | c.O_NONBLOCK;
  }
}

/** A file's type, owner, size and identity (dev and ino). */
export class FileStat {
  constructor(readonly mode: number, readonly uid: number, readonly gid: number, readonly size: number,
    readonly dev: number, readonly ino: number) {}
  private type(): number { return this.mode & native().constants.S_IFMT; }
  isDirectory(): boolean { return this.type() === native().constants.S_IFDIR; }
  isFile(): boolean { return this.type() === native().constants.S_IFREG; }
  isSymbolicLink(): boolean { return this.type() === native().constants.S_IFLNK; }
  isSocket(): boolean { return this.type() === native().constants.S_IFSOCK; }
}

/** A directory entry: its name and type (without following a symbolic link). */
export interface DirEntry {
  name: string;
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
}

const toStat = (s: RawStat): FileStat => new FileStat(s.mode, s.uid, s.gid, s.size, s.dev, s.ino);

export function readText(path: string): string {
  return native().readFile(path);
}

/** Writes data in one write(2) where the kernel takes it whole (cgroup files parse each write). */
export function writeText(path: string, data: string, options: { flag?: 'w' | 'wx' | 'a' | 'r+'; mode?: number } = {}): void {
  native().writeFile(path, data, flagBits(options.flag ?? 'w'), options.mode ?? 0o666);
}

export function open(path: string, flag: OpenFlag, mode = 0o666): number {
  return native().open(path, flagBits(flag), mode);
}

export function close(fd: number): void {
  native().close(fd);
}

/** One read(2) of up to max bytes, as text: "" at the end of the file. */
export function readChunk(fd: number, max: number): string {
  return native().read(fd, max);
}

/** Writes all of text. */
export function write(fd: number, text: string): number {
  return native().write(fd, text);
}

export function stat(path: string): FileStat {
  return toStat(native().stat(path));
}

export function lstat(path: string): FileStat {
  return toStat(native().lstat(path));
}

/** Whether path exists (following symbolic links), as node:fs's existsSync says. */
export function exists(path: string): boolean {
  try {
    native().access(path, native().constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export function readdir(path: string): DirEntry[] {
  const raw = native().readdir(path);
  const entries: DirEntry[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    let mode = raw[i + 1] as number;
    // Some file systems give no type in the entry: lstat is asked only when the type is wanted.
    const type = (): number => {
      if (mode === 0) {
        try { mode = native().lstat(`${path}/${name}`).mode; } catch { mode = -1; }
      }
      return mode & native().constants.S_IFMT;
    };
    entries.push({
      name,
      isDirectory: () => type() === native().constants.S_IFDIR,
      isFile: () => type() === native().constants.S_IFREG,
      isSymbolicLink: () => type() === native().constants.S_IFLNK,
    });
  }
  return entries;
}

/** The names in a directory, unsorted. */
export function readdirNames(path: string): string[] {
  return native().readdir(path).filter((_, i) => i % 2 === 0) as string[];
}

export function mkdir(path: string, mode = 0o777): void {
  native().mkdir(path, mode);
}

export function rmdir(path: string): void {
  native().rmdir(path);
}

export function unlink(path: string): void {
  native().unlink(path);
}

export function rename(from: string, to: string): void {
  native().rename(from, to);
}

/** `from` takes the place of `to` atomically, as with rename, without a rename over a file (see
 * files.cc: that makes ext4 write the new file out, and unlinking it later slow). */
export function replace(from: string, to: string): void {
  native().replace(from, to);
}

export function readlink(path: string): string {
  return native().readlink(path);
}

/** The absolute path without symbolic links, . or ..; the file must exist. */
export function realpath(path: string): string {
  return native().realpath(path);
}

/** Throws unless the caller may use path as asked ('x': execute, 'r', 'w', 'f': exists). */
export function access(path: string, what: 'f' | 'r' | 'w' | 'x'): void {
  const c = native().constants;
  native().access(path, { f: c.F_OK, r: c.R_OK, w: c.W_OK, x: c.X_OK }[what]);
}

export function chmod(path: string, mode: number): void {
  native().chmod(path, mode);
}

/** Removes a file, or with recursive a directory and all below it (symbolic links are removed,
 * never followed); nothing there is not an error. As node:fs's rmSync with force. */
export function remove(path: string, options: { recursive?: boolean } = {}): void {
  let st: FileStat;
  try {
    st = lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isDirectory()) { ignoreMissing(() => unlink(path)); return; }
  if (!options.recursive) {
    throw Object.assign(new Error(`EISDIR: is a directory, rm '${path}'`), { code: 'EISDIR', syscall: 'rm', path });
  }
  removeTree(path);
}

/** A directory and everything below it, by the entries' own types (no stat of each). */
function removeTree(dir: string): void {
  let entries: DirEntry[] = [];
  try { entries = readdir(dir); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; throw e; }
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) removeTree(p);
    else ignoreMissing(() => unlink(p));
  }
  ignoreMissing(() => rmdir(dir));
}

function ignoreMissing(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** This machine's signal numbers by name (SIGKILL: 9), as <signal.h> has them. */
export function signalNumbers(): Readonly<Record<string, number>> {
  return native().signals;
}

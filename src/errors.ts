// One error type for everything the CLI reports: the message is what the user (or a client that
// parses it) reads; exitCode is what tsrunc exits with.
export class TsruncError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'TsruncError';
  }
}

/** A failure reported by the native side: the syscall, the path it acted on, and errno. */
export interface NativeFailure {
  op: string;
  path?: string;
  errno: number;
  /** Human text for errno (strerror), supplied by the native side. */
  error: string;
  /** What the launcher was doing, e.g. "mount /proc", "pivot_root", "exec". */
  step?: string;
  /** A complete message that stands instead of op/path/error (e.g. exec lookup failures). */
  message?: string;
}

export function describeNativeFailure(f: NativeFailure): string {
  if (f.message) return f.step ? `${f.step}: ${f.message}` : f.message;
  const subject = f.path ? `${f.op} ${f.path}` : f.op;
  const text = `${subject}: ${f.error}`;
  return f.step && !text.startsWith(f.step) ? `${f.step}: ${text}` : text;
}

// glibc's strerror texts, lower-cased as Go (and so runc) prints them; Node's own texts (libuv's)
// differ ("resource busy or locked"), and clients match runc's words.
const STRERROR: Readonly<Record<string, string>> = {
  EPERM: 'operation not permitted', ENOENT: 'no such file or directory', ESRCH: 'no such process',
  EINTR: 'interrupted system call', EIO: 'input/output error', E2BIG: 'argument list too long',
  EBADF: 'bad file descriptor', EAGAIN: 'resource temporarily unavailable', ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied', EBUSY: 'device or resource busy', EEXIST: 'file exists', ENODEV: 'no such device',
  ENOTDIR: 'not a directory', EISDIR: 'is a directory', EINVAL: 'invalid argument', ENFILE: 'too many open files in system',
  EMFILE: 'too many open files', ENOSPC: 'no space left on device', EROFS: 'read-only file system',
  ERANGE: 'numerical result out of range', ENAMETOOLONG: 'file name too long', ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links', EOPNOTSUPP: 'operation not supported', ENOTSUP: 'operation not supported',
  ENOSYS: 'function not implemented', ETIMEDOUT: 'connection timed out', ECONNREFUSED: 'connection refused', EXDEV: 'invalid cross-device link',
};

/** The kernel's reason for a failed call, in strerror's words; Node's message when unknown. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return (err.code && STRERROR[err.code]) ?? err.message ?? String(e);
}

// Node names some system calls differently from Go (and so runc's messages).
const GO_SYSCALL: Readonly<Record<string, string>> = { scandir: 'open', opendir: 'open', copyfile: 'copy', rmdir: 'unlinkat', unlink: 'unlinkat' };

/**
 * The message of any error, fit for the user: a Node system error becomes "open /x/y: no such file
 * or directory" (the call, the path, the kernel's reason in strerror's words), never Node's
 * "ENOENT: no such file or directory, open '/x/y'" with its code.
 */
export function plainMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException | undefined;
  if (err instanceof Error && typeof err.code === 'string' && typeof err.syscall === 'string') {
    const dest = (err as { dest?: unknown }).dest;
    const subject = [GO_SYSCALL[err.syscall] ?? err.syscall, err.path, typeof dest === 'string' ? dest : undefined].filter(Boolean).join(' ');
    const reason = STRERROR[err.code] ?? /^E[A-Z0-9]+: ([^,]+)/.exec(err.message)?.[1] ?? err.code.toLowerCase();
    return `${subject}: ${reason}`;
  }
  return err?.message ?? String(e);
}

/**
 * A message with any Node system-error text inside it ("...: ENOENT: no such file or directory,
 * open '/x'") rewritten as Go would print it ("...: open /x: no such file or directory"): the last
 * net under messages that wrapped a Node error's text, so its code never reaches the user.
 */
export function withoutNodeCodes(message: string): string {
  return message.replace(/\b(E[A-Z0-9]{2,}): ([^,'\n]+)(?:, (\w+)(?: '([^']*)')?(?: -> '([^']*)')?)?/g,
    (_m, code: string, text: string, syscall: string | undefined, file: string | undefined, dest: string | undefined, at: number) => {
      const reason = STRERROR[code] ?? text;
      if (!syscall) return reason;
      const subject = [GO_SYSCALL[syscall] ?? syscall, file, dest].filter(Boolean).join(' ');
      // "open /x: EROFS: ..., open '/x'" already says which call on which file.
      return message.slice(0, at).endsWith(`${subject}: `) ? reason : `${subject}: ${reason}`;
    });
}

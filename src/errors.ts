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

// --pidfd-socket (runc 1.2): whoever listens on the socket receives a pidfd of the container's
// process, a handle that goes on naming that process after its number is reused, so it can be
// signalled and waited for safely. The wire format is runc's: one message whose data names the
// kind of process ("standard" for an init, "setns" for an exec'd one) and whose only SCM_RIGHTS
// descriptor is the pidfd, exactly what --console-socket sends with the pty's name.
import * as files from '../sys/files';
import { errnoText, TsruncError } from '../errors';
import { addon } from '../native/addon';

/** runc's names for its two kinds of process, sent as the message's data. */
export type PidfdKind = 'standard' | 'setns';

export class PidfdSocket {
  private fd: number | undefined;

  private constructor(readonly socketPath: string, fd: number) {
    this.fd = fd;
  }

  /**
   * Connects at once (before anything is created, as runc dials it before starting the process),
   * so a path nobody listens on fails with nothing to undo. The path is used as given, relative
   * ones from the working directory, as runc does.
   */
  static connect(socketPath: string): PidfdSocket {
    try {
      return new PidfdSocket(socketPath, addon().connectUnix(socketPath));
    } catch (e) {
      throw new TsruncError(`--pidfd-socket ${socketPath}: connect: ${whyNotConnected(socketPath, e)}`);
    }
  }

  /**
   * Sends a pidfd of `pid`. The caller guarantees the number cannot have been reused: the process
   * is the launcher's child and the launcher, still waiting for `commit`, has not reaped it (a
   * process that already exited stays a zombie under that number, and its pidfd says so).
   */
  send(pid: number, kind: PidfdKind): void {
    if (this.fd === undefined) throw new Error('PidfdSocket.send after close');
    let pidfd: number;
    try {
      pidfd = addon().pidfdOpen(pid);
    } catch (e) {
      throw new TsruncError(`--pidfd-socket ${this.socketPath}: pidfd_open ${pid}: ${errnoText(e)}`);
    }
    try {
      addon().sendFd(this.fd, pidfd, kind);
    } catch (e) {
      throw new TsruncError(`--pidfd-socket ${this.socketPath}: sendmsg: ${errnoText(e)}`);
    } finally {
      files.close(pidfd);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    files.close(this.fd);
    this.fd = undefined;
  }
}

/** connect's reason, plus what the path is when it exists but is no socket (connect only says "refused"). */
function whyNotConnected(socketPath: string, e: unknown): string {
  const reason = errnoText(e);
  if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED') return reason;
  try {
    const st = files.stat(socketPath);
    if (!st.isSocket()) return `${reason} (${st.isDirectory() ? 'a directory' : 'not a socket'})`;
    return `${reason} (nothing listens on it)`;
  } catch {
    return reason;
  }
}

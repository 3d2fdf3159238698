// runc-compatible logging. Text lines look like logrus's (`time="..." level=error msg="..."`),
// JSON lines like `{"level":"error","msg":"...","time":"..."}`. containerd shows the msg of the last
// error line of the --log file, so the root cause must be in that line.
import { errnoText } from './errors';
import { open, write } from './sys/files';

export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warning' | 'error';

export class Logger {
  private fd: number;
  private readonly toStderr: boolean;

  constructor(readonly path: string | undefined, readonly format: LogFormat, readonly debugEnabled: boolean) {
    this.toStderr = !path || path === '/dev/stderr';
    this.fd = 2;
    if (!this.toStderr) {
      try {
        this.fd = open(path as string, 'a', 0o644);
      } catch (e) {
        this.fd = 2;
        this.toStderr = true;
        this.warn(`cannot open log file ${path}: ${errnoText(e)}`);
      }
    }
  }

  debug(msg: string): void { if (this.debugEnabled) this.write('debug', msg); }
  /** A debug line with fields after msg, as logrus prints them (`key=value`, or JSON keys). */
  debugFields(msg: string, fields: Record<string, string | number>): void {
    if (this.debugEnabled) this.write('debug', msg, fields);
  }
  info(msg: string): void { this.write('info', msg); }
  warn(msg: string): void { this.write('warning', msg); }

  /** Logs an error; like runc, a fatal error also goes to stderr as plain text when logs go elsewhere. */
  error(msg: string): void {
    this.write('error', msg);
    if (!this.toStderr) writeAll(2, msg + '\n');
  }

  private write(level: Level, msg: string, fields: Record<string, string | number> = {}): void {
    // Whole seconds, as logrus prints them: "2026-12-07T18:41:28Z" (toISOString has milliseconds).
    const time = new Date().toISOString().slice(0, 19) + 'Z';
    let extra = '';
    for (const k of Object.keys(fields)) extra += ` ${k}=${typeof fields[k] === 'number' ? fields[k] : quoteLogfmt(String(fields[k]))}`;
    const line = this.format === 'json'
      ? JSON.stringify({ level, msg, time, ...fields }) + '\n'
      : `time="${time}" level=${level} msg=${quoteLogfmt(msg)}${extra}\n`;
    writeAll(this.fd, line);
  }
}

function quoteLogfmt(msg: string): string {
  return JSON.stringify(msg);
}

function writeAll(fd: number, text: string): void {
  try {
    write(fd, text);
  } catch {
    // Without the addon (a broken install) its own error must still be seen: console.error needs
    // nothing loaded. A closed stderr must not turn an error into a crash either.
    if (fd === 2) {
      try { console.error(text.replace(/\n$/, '')); } catch { /* nowhere left to say it */ }
    }
  }
}

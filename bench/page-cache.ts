// The state of the runtimes' executables in the page cache, made the same for both before a bench
// measures them. It moves every figure: on this machine (kernel 6.18, ext4, AMD) a file written by
// a program (a build, cp, a package manager) sits in the cache in large folios, and one read back
// by the page faults of exec (after a reboot, or after the cache dropped it) in small ones, and
// every command of the 113 MB tsrunc executable ran 1 to 2 ms slower from the second (runc's 10 MB
// about 0.5 to 1), with 4 to 5 MB less peak RSS. This machine also shrinks its page cache by
// itself (`Cached` in /proc/meminfo falls while it is idle, with no reclaim counted), so a build
// from an hour ago is in neither state. By default (BENCH_PAGE_CACHE=evicted) the bench therefore
// drops each measured file from the cache first, so that every one is read back as after a reboot,
// the state a long-running host is in; BENCH_PAGE_CACHE=as-is leaves the cache alone (to measure a
// fresh build, for example, as the previous sessions' figures mostly did).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type PageCacheMode = 'evicted' | 'as-is';

export function pageCacheMode(): PageCacheMode {
  const v = process.env.BENCH_PAGE_CACHE ?? 'evicted';
  if (v !== 'evicted' && v !== 'as-is') throw new Error(`BENCH_PAGE_CACHE must be evicted or as-is, not ${JSON.stringify(v)}`);
  return v;
}

/** The file a command name runs (a bare name is looked up in PATH), undefined if none. */
function resolveCommand(cmd: string): string | undefined {
  if (cmd.includes('/')) return fs.existsSync(cmd) ? path.resolve(cmd) : undefined;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir || '.', cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* not here */ }
  }
  return undefined;
}

/** An executable and what it loads at run time: tsrunc's addon and launcher in ../libexec/tsrunc. */
export function filesOfCommand(cmd: string): string[] {
  const exe = resolveCommand(cmd);
  if (!exe) return [];
  const real = fs.realpathSync(exe);
  const libexec = path.join(path.dirname(real), '..', 'libexec', 'tsrunc');
  const extra = fs.existsSync(libexec) ? fs.readdirSync(libexec).map((f) => path.join(libexec, f)) : [];
  return [real, ...extra];
}

/**
 * Puts the files in the state `mode` asks for; returns a line for the bench's header. Dropping
 * uses GNU dd's `iflag=nocache count=0` (posix_fadvise DONTNEED on the whole file); pages some
 * running process has mapped stay, which is why it is done before the bench starts anything.
 */
export function preparePageCache(mode: PageCacheMode, files: string[]): string {
  if (mode === 'as-is') return 'page cache: as found (BENCH_PAGE_CACHE=as-is)';
  const failed: string[] = [];
  for (const f of files) {
    const r = spawnSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none'], { encoding: 'utf8' });
    if (r.status !== 0) failed.push(`${f}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  }
  if (failed.length) throw new Error(`cannot drop from the page cache: ${failed.join('; ')}`);
  return `page cache: ${files.length} files dropped first, read back by page faults as after a reboot (BENCH_PAGE_CACHE=as-is to skip)`;
}

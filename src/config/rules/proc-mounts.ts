// Mounts onto /proc (CVE-2019-16884), as far as the config's text shows them: a destination that
// names /proc or a place below it. The launcher checks again where each destination really leads
// inside the rootfs (through the image's symlinks), which only it can see (cpp/launcher/procmount.cc).
import { path } from '../../sys/path';
import type { Findings } from '../findings';
import { show } from '../pointer';
import { asArray, asObject, asString, get, type RuleInput } from './guards';
import { eachOf, mapped, withoutTrailingSlashes } from '../../text';

/** What lxcfs emulates, and runc's two additions: the only files under /proc a mount may cover. */
const COVERABLE_PROC_FILES: readonly string[] = [
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/sys/kernel/ns_last_pid', '/proc/sys/crypto/fips_enabled',
];

export function checkProcMounts(input: RuleInput, out: Findings): void {
  eachOf(asArray(get(input.spec, 'mounts')) ?? [], (item, i) => {
    const m = asObject(item);
    const destination = m && asString(get(m, 'destination'));
    if (!m || !destination) return;
    const at = `/mounts/${i}/destination`;
    const resolved = withoutTrailingSlashes(path.posix.normalize('/' + destination)) || '/';
    const options = mapped(asArray(get(m, 'options')) ?? [], asString);
    const bind = options.includes('bind') || options.includes('rbind') || get(m, 'type') === 'bind';
    if (resolved === '/proc') {
      // A bind's source may be a procfs: that only the launcher can tell.
      if (!bind && get(m, 'type') !== 'proc') out.problem(at, `only a procfs may be mounted on /proc, not ${show(asString(get(m, 'type')) ?? 'nothing')}`);
      return;
    }
    if (resolved.startsWith('/proc/') && !COVERABLE_PROC_FILES.includes(resolved)) {
      out.problem(at, `${show(destination)} is inside the container's procfs; only /proc itself and ${COVERABLE_PROC_FILES.join(', ')} may be mounted on`);
    }
  });
}

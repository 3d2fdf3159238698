// A container without a mount namespace shares the runtime's mount table (config-linux.md: a
// namespace not listed is inherited), so the mounts of its config land there, below its rootfs,
// and outlive its processes. `delete` (and a failed `create`) detaches them. Every mount below the
// rootfs in the runtime's table is taken for the container's: nothing else of the host is meant
// to be mounted inside a container's rootfs.
import type { Logger } from '../log';
import { detachMounts } from '../native/launcher-modes';
import { readText } from '../sys/files';
import { unescapeOctal } from '../text';

/** Mount points strictly below `rootfs` in a mountinfo text, last mounted first (so stacked
 * mounts and children go before what they cover). */
export function mountPointsBelow(rootfs: string, mountinfo: string): string[] {
  const prefix = rootfs.endsWith('/') ? rootfs : `${rootfs}/`;
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    // mountinfo escapes space, tab, newline and backslash as \ooo.
    const point = unescapeOctal(field);
    if (point.startsWith(prefix)) out.push(point);
  }
  return out.reverse();
}

/** Detaches what a container without a mount namespace mounted below `rootfs`. Lazy detaching of a
 * parent takes its children along, so a second look finds what a failed pass left. */
export function detachHostMounts(rootfs: string, log: Logger): void {
  const below = () => mountPointsBelow(rootfs, readText('/proc/self/mountinfo'));
  let lastError = '';
  for (let pass = 0; pass < 3; pass++) {
    const points = below();
    if (points.length === 0) return;
    try {
      detachMounts(points);
    } catch (e) {
      lastError = `: ${(e as Error).message}`;
    }
  }
  const left = below();
  if (left.length > 0) log.warn(`mounts left below ${rootfs}: ${left.join(', ')}${lastError}`);
}

/** Whether a container's record says it shares the runtime's mount table. */
export function sharesHostMountTable(namespacePaths: Record<string, string>): boolean {
  return namespacePaths.mount === undefined;
}

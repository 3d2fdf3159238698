// The launcher's two one-shot modes, run as a child process: --features (what it was built with)
// and --detach-mounts. Apart from the launch protocol (native/launcher.ts) so that delete, which
// may detach mounts, does not load the channel and its node:fs.
import { launcherPath } from './addon';

export interface SeccompBuild { libseccomp: string; archs: string[]; /** The kernel has mount_setattr(2) (id-mapped mounts). */ idmapMounts?: boolean }

/** What the launcher was built with (its libseccomp version and the architectures it knows). */
export function launcherFeatures(): SeccompBuild {
  // Loaded here only: create and the other hot commands never need child_process.
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  return JSON.parse(execFileSync(launcherPath(), ['--features'], { encoding: 'utf8' })) as SeccompBuild;
}

/** umount2(MNT_DETACH) of each path, by the launcher (Node has no umount). Throws with the
 * launcher's stderr when one could not be detached. */
export function detachMounts(paths: readonly string[]): void {
  if (paths.length === 0) return;
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  execFileSync(launcherPath(), ['--detach-mounts', ...paths], { stdio: ['ignore', 'ignore', 'pipe'] });
}

// What systemd says about a unit, through systemctl, for the guest files of the systemd lane
// (test/guest/cgroups-systemd.guest.ts, systemd-engines.guest.ts).
import { spawnSync } from 'node:child_process';

/** `systemctl show -pA -pB unit` as { A: ..., B: ... } (a property printed twice keeps the last). */
export function show(unit: string, props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', ...props.map((p) => `-p${p}`), unit], { encoding: 'utf8' });
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) { const i = line.indexOf('='); if (i > 0) out[line.slice(0, i)] = line.slice(i + 1); }
  return out;
}

/** Every value of a property systemctl prints once per entry (DeviceAllow=, IOReadBandwidthMax=...). */
export function showAll(unit: string, prop: string): string[] {
  const r = spawnSync('systemctl', ['show', `-p${prop}`, unit], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.startsWith(`${prop}=`)).map((l) => l.slice(prop.length + 1));
}

/** The unit's line in `systemctl list-units --all` (loaded units, failed ones included), or ''. */
export const listed = (unit: string): string => spawnSync('systemctl', ['list-units', '--all', '--no-legend', unit], { encoding: 'utf8' }).stdout.trim();

/** LoadState "not-found" and ActiveState "inactive": systemd has forgotten the unit. */
export function unitGone(unit: string): boolean {
  const s = show(unit, ['LoadState', 'ActiveState']);
  return s.LoadState === 'not-found' && s.ActiveState === 'inactive';
}

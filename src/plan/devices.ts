// The devices every container gets, as runc creates them, merged with linux.devices.
import type { Device } from '../config/types';
import type { PlanDevice, PlanDeviceType } from './types';

const DEFAULT_DEVICES: readonly PlanDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
];

export function planDevices(configured: Device[] | undefined): PlanDevice[] {
  const byPath = new Map<string, PlanDevice>();
  for (const d of DEFAULT_DEVICES) byPath.set(d.path, { ...d });
  for (const d of configured ?? []) {
    byPath.set(d.path, {
      path: d.path,
      // One of c, b, u, p: the config schema's enum.
      type: d.type as PlanDeviceType,
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      fileMode: d.fileMode ?? 0o666,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
    });
  }
  return [...byPath.values()];
}

// state.json keeps the cgroup driver's record without looking inside (state/ sits beside cgroups/,
// not above it); the container layer, which knows both, gives it its type back. Type-only, so the
// commands that never touch a cgroup do not load the drivers.
import type { CgroupRecord } from '../cgroups/types';
import type { StoredRecord } from '../state/store';

export function cgroupRecord(stored: StoredRecord | undefined): CgroupRecord | undefined {
  return stored as CgroupRecord | undefined;
}

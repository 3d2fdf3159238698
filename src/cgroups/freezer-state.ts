// Whether a container's cgroup is frozen, read straight from its record: every command derives
// "paused" from this (state, list, kill, delete), so it stays apart from the drivers and what
// they load.
import { readCgroupFile } from './files';
import type { CgroupRecord, FreezerState } from './types';

export type { FreezerState } from './types';

export function v1FreezerState(freezerDir: string | undefined): FreezerState {
  const state = freezerDir ? readCgroupFile(freezerDir, 'freezer.state') : undefined;
  if (state === 'FROZEN') return 'frozen';
  if (state === 'FREEZING') return 'freezing';
  return 'thawed';
}

/** v2: cgroup.freeze says what was asked, `frozen 1` in cgroup.events that it is done. */
export function v2FreezerState(dir: string): FreezerState {
  const wanted = readCgroupFile(dir, 'cgroup.freeze');
  if (wanted === undefined || wanted.trim() !== '1') return 'thawed';
  return /^frozen 1$/m.test(readCgroupFile(dir, 'cgroup.events') ?? '') ? 'frozen' : 'freezing';
}

export function freezerStateOf(record: CgroupRecord | undefined): FreezerState {
  if (!record) return 'thawed';
  return record.driver === 'v2' ? v2FreezerState(record.dirs.unified) : v1FreezerState(record.dirs.freezer);
}

// STUB (replaced by the helper's module)
import type { Resources } from '../config/types';
import type { CgroupReader, CgroupWrite } from './types';
export function v1Writes(r: Resources, _current?: CgroupReader): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  if (r.memory?.limit !== undefined) out.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: String(r.memory.limit) });
  if (r.pids?.limit !== undefined) out.push({ controller: 'pids', file: 'pids.max', value: r.pids.limit > 0 ? String(r.pids.limit) : 'max' });
  if (r.cpu?.shares !== undefined) out.push({ controller: 'cpu', file: 'cpu.shares', value: String(r.cpu.shares) });
  if (r.cpu?.realtimeRuntime !== undefined) out.push({ controller: 'cpu', file: 'cpu.rt_runtime_us', value: String(r.cpu.realtimeRuntime) });
  return out;
}

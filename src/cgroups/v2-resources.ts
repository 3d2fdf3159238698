// STUB
import type { Resources } from '../config/types';
import type { CgroupReader, CgroupWrite } from './types';
export function v2Writes(r: Resources, _current?: CgroupReader): { writes: CgroupWrite[]; controllers: string[] } {
  const writes: CgroupWrite[] = [];
  if (r.memory?.limit !== undefined) writes.push({ controller: 'memory', file: 'memory.max', value: String(r.memory.limit) });
  if (r.pids?.limit !== undefined) writes.push({ controller: 'pids', file: 'pids.max', value: r.pids.limit > 0 ? String(r.pids.limit) : 'max' });
  for (const h of r.hugepageLimits ?? []) writes.push({ controller: 'hugetlb', file: `hugetlb.${h.pageSize}.max`, value: String(h.limit) });
  return { writes, controllers: [...new Set(writes.map((w) => w.controller))] };
}

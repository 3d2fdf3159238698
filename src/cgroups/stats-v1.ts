// STUB
import type { Stats } from './stats';
export function readStatsV1(_dirs: Record<string, string>): Stats { return {}; }
export function readOomKillCount(_dir: string, _kind: 'v1' | 'v2'): number { return 0; }

// STUB
export interface Stats { hugetlb?: Record<string, unknown>; pids?: { current?: number; limit?: number } }

// Small helpers the bench modes share (bench.ts, curves.ts, parallel.ts).

/** A whole number from the environment: dflt when unset or empty; 0 only when zeroOk. */
export function positiveInt(v: string | undefined, dflt: number, zeroOk = false): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1)) throw new Error(`bad number ${JSON.stringify(v)}`);
  return n;
}

export function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// The executable starts with JavaScriptCore's tier-up thresholds raised a hundredfold
// (--compile-jit-policy, scripts/bun-compile-flags.js): a short command's code runs once, and
// compiling it cost more than it saved (measured: `run` 3 to 4 ms less CPU and 4 MB less peak
// RSS, `exec` 2 ms and 4 MB). Work that repeats a lot still gets compiled. A command that goes on
// working after its setup (relaying a terminal, streaming events) returns to the usual thresholds.

interface BunUnsafe { unsafe?: { setJITPolicy?: (scale: number) => void } }

/** Back to JavaScriptCore's usual tier-up thresholds (a no-op under Node). */
export function useUsualJitPolicy(): void {
  (globalThis as { Bun?: BunUnsafe }).Bun?.unsafe?.setJITPolicy?.(1);
}

/** Wall-clock and CPU time of one call, in ms. */
export interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/**
 * CPU time of this process in ms (user + system, all threads), or wall time where the runtime has
 * no `process.cpuUsage`. On a machine shared with other jobs, CPU time is what a call cost; wall
 * time also counts the time the scheduler gave to others.
 */
export function cpuNowMs(): number {
  const usage = (
    globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }
  ).process?.cpuUsage?.();
  return usage === undefined ? performance.now() : (usage.user + usage.system) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Medians of `runs` timings of `fn` after `warmup` untimed calls. */
export function medianTiming(fn: () => void, runs: number, warmup: number): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const wallStart = performance.now();
    const cpuStart = cpuNowMs();
    fn();
    cpu.push(cpuNowMs() - cpuStart);
    wall.push(performance.now() - wallStart);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

/**
 * One clock for every thread of a run: microseconds since the run's epoch (a wall-clock instant in ms,
 * handed to each worker). `performance.timeOrigin` differs per worker thread, so the offset is computed per
 * thread once; each read after that is one `performance.now()`.
 */
import { performance } from "node:perf_hooks";

export type MicroClock = () => number;

export function microClock(epochMs: number): MicroClock {
  const offsetMs = performance.timeOrigin - epochMs;
  return () => Math.round((offsetMs + performance.now()) * 1000);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

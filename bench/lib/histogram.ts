/**
 * A log-linear latency histogram in microseconds (like HdrHistogram, about 1.6% relative error): constant
 * memory, O(1) record, and mergeable across worker threads by adding the count arrays.
 */
const SUB_BITS = 6; // 64 linear sub-buckets per power of two
const SUB = 1 << SUB_BITS;
const MAX_EXP = 40; // up to 2^40 µs, far past any run
export const HISTOGRAM_SIZE = (MAX_EXP + 1) * SUB;

function bucketOf(us: number): number {
  if (us < SUB) return us < 0 ? 0 : Math.floor(us);
  const exp = Math.floor(Math.log2(us)) - SUB_BITS + 1; // >= 1
  const sub = Math.floor(us / 2 ** exp); // in [SUB/2, SUB)
  return Math.min(exp * SUB + sub, HISTOGRAM_SIZE - 1);
}

/** The upper edge of a bucket, so percentiles never flatter the server. */
function valueOf(bucket: number): number {
  const exp = Math.floor(bucket / SUB);
  const sub = bucket % SUB;
  return exp === 0 ? sub : (sub + 1) * 2 ** exp - 1;
}

export class Histogram {
  readonly counts: Float64Array;
  count = 0;
  max = 0;
  sum = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Float64Array(HISTOGRAM_SIZE);
    if (counts) {
      for (let i = 0; i < HISTOGRAM_SIZE; i++) {
        const c = counts[i] ?? 0;
        this.counts[i] = c;
        this.count += c;
      }
    }
  }

  record(us: number): void {
    this.counts[bucketOf(us)]! += 1;
    this.count++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  merge(other: { counts: ArrayLike<number>; count: number; max: number; sum: number }): void {
    for (let i = 0; i < HISTOGRAM_SIZE; i++) this.counts[i]! += other.counts[i] ?? 0;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The latency (µs) at or below which `p` (0..100) percent of samples lie; 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }

  toJSON(): { counts: number[]; count: number; max: number; sum: number } {
    return { counts: Array.from(this.counts), count: this.count, max: this.max, sum: this.sum };
  }
}

export interface LatencySummary {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(h: Histogram): LatencySummary {
  const ms = (us: number): number => Math.round(us / 10) / 100;
  return {
    p50Ms: ms(h.percentile(50)),
    p90Ms: ms(h.percentile(90)),
    p99Ms: ms(h.percentile(99)),
    maxMs: ms(h.max),
    meanMs: ms(h.count ? h.sum / h.count : 0),
  };
}

/**
 * Token-bucket rate limits keyed by string (account, address, user). The cluster implementation keeps
 * the buckets in Redis so that limits count across nodes.
 */
import type { Clock } from "../clock.js";

export interface LimiterRule {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Bucket size. */
  burst: number;
}

export interface Limiter {
  /** Takes `cost` tokens; resolves 0 when allowed, else the ms until it would be. Nothing taken on refusal. */
  take(key: string, cost?: number): Promise<number>;
  /** Like take, but takes nothing: ms until `cost` tokens are there (0 if now). */
  peek(key: string, cost?: number): Promise<number>;
  /**
   * Gives back `cost` tokens taken earlier (never past the burst). With take-before-work and give-back on
   * success, a limit on failures holds under concurrency: every attempt in flight holds a token, so
   * no more attempts than the burst can be under way at once, and a success costs nothing.
   */
  give(key: string, cost?: number): Promise<void>;
  reset(key: string): Promise<void>;
  /** `take` without a promise, where the limiter is in-process (the message path's fast case). */
  takeSync?(key: string, cost?: number): number;
  /**
   * Told that a request was refused for want of this limiter's tokens, where an empty `take` alone does
   * not mean a refusal (domain/password-guard.ts). Optional: the metrics count refusals through it.
   */
  refused?(key: string): void;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class LocalLimiter implements Limiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rule: LimiterRule,
    private readonly clock: Clock,
  ) {}

  private refill(key: string): Bucket {
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.rule.burst, at: now };
    bucket.tokens = Math.min(
      this.rule.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * this.rule.ratePerSecond,
    );
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 100_000) this.sweep(now);
    return bucket;
  }

  private waitFor(bucket: Bucket, cost: number): number {
    if (bucket.tokens >= cost) return 0;
    return Math.ceil(((cost - bucket.tokens) / this.rule.ratePerSecond) * 1000);
  }

  async take(key: string, cost = 1): Promise<number> {
    return this.takeSync(key, cost);
  }

  /** Synchronous form for per-connection limits on the hot path. */
  takeSync(key: string, cost = 1): number {
    const bucket = this.refill(key);
    const wait = this.waitFor(bucket, cost);
    if (wait === 0) bucket.tokens -= cost;
    return wait;
  }

  async peek(key: string, cost = 1): Promise<number> {
    return this.waitFor(this.refill(key), cost);
  }

  async give(key: string, cost = 1): Promise<void> {
    const bucket = this.refill(key);
    bucket.tokens = Math.min(this.rule.burst, bucket.tokens + cost);
  }

  async reset(key: string): Promise<void> {
    this.buckets.delete(key);
  }

  // Full buckets carry no information; dropping them bounds memory under address churn.
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      const tokens = bucket.tokens + ((now - bucket.at) / 1000) * this.rule.ratePerSecond;
      if (tokens >= this.rule.burst) this.buckets.delete(key);
    }
  }
}

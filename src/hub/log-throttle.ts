/**
 * Logs a recurring condition (connections refused, storage refusing writes) once per interval, with how
 * often it happened meanwhile, instead of once per occurrence: a flood must not become a log flood.
 */
import type { Logger } from "pino";
import type { Clock } from "./clock.js";

export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
  ) {}

  /** Logs at `level` unless `key` was logged within the interval; then only counts it. */
  log(log: Logger, level: "warn" | "error" | "info", key: string, fields: object, message: string): void {
    const now = this.clock.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    if (this.last.size > 10_000) this.last.clear();
    log[level]({ ...fields, ...(suppressed > 0 && { alsoSinceLastLog: suppressed }) }, message);
  }
}

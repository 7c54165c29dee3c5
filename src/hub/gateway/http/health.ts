/**
 * `GET /healthz` and `GET /readyz` on the hub's own port, unauthenticated, for load balancers, Docker
 * and systemd. Both are cheap by construction: healthz answers from memory (is the event loop turning?);
 * readyz asks the store and the bus, but at most once per `probeIntervalMs` whatever the request rate —
 * a flood of probes costs the store one round trip a second.
 */
import type { ServerResponse } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { HttpRouter } from "./router.js";

/** One dependency's readiness: resolves with nothing when ready, or a reason a person can act on. */
export type ReadinessCheck = () => Promise<string | undefined>;

export interface HealthOptions {
  /** Named checks, e.g. store and bus; each runs with `checkTimeoutMs`. */
  checks: Record<string, ReadinessCheck>;
  /** How long a readiness answer is reused (default 1 s). */
  probeIntervalMs?: number;
  /** A check slower than this counts as failed (default 2 s). */
  checkTimeoutMs?: number;
  /** healthz fails when the event loop lagged longer than this at the 99th percentile (default 1 s). */
  maxLoopDelayMs?: number;
}

export interface Readiness {
  ready: boolean;
  /** Per check: "ok" or why not. */
  checks: Record<string, string>;
}

export class Health {
  private cached: { at: number; value: Promise<Readiness> } | undefined;
  private readonly loop = monitorEventLoopDelay({ resolution: 20 });
  private readonly loopTimer: NodeJS.Timeout;
  private worstLoopDelayMs = 0;

  constructor(private readonly options: HealthOptions) {
    this.loop.enable();
    // The histogram is sampled and reset every few seconds, so healthz reports the recent past only.
    this.loopTimer = setInterval(() => {
      this.worstLoopDelayMs = this.loop.percentile(99) / 1e6;
      this.loop.reset();
    }, 5_000);
    this.loopTimer.unref();
  }

  /** Recent event-loop delay (99th percentile, ms). */
  get loopDelayMs(): number {
    return this.worstLoopDelayMs;
  }

  readiness(): Promise<Readiness> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= (this.options.probeIntervalMs ?? 1_000)) {
      this.cached = { at: now, value: this.probe() };
    }
    return this.cached.value;
  }

  private async probe(): Promise<Readiness> {
    const timeoutMs = this.options.checkTimeoutMs ?? 2_000;
    const entries = await Promise.all(
      Object.entries(this.options.checks).map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
        });
        try {
          const reason = await Promise.race([check().catch((err: unknown) => errorText(err)), late]);
          return [name, reason ?? "ok"] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([, v]) => v === "ok"), checks };
  }

  /** Adds `GET /healthz` and `GET /readyz` to the hub's HTTP router. */
  install(router: HttpRouter): void {
    router.get("/healthz", (_req, res) => {
      const maxMs = this.options.maxLoopDelayMs ?? 1_000;
      const lag = Math.round(this.worstLoopDelayMs);
      if (lag > maxMs) send(res, 503, { status: "unhealthy", reason: `event loop lagging ${lag} ms` });
      else send(res, 200, { status: "ok" });
    });
    router.get("/readyz", async (_req, res) => {
      const r = await this.readiness().catch((err: unknown): Readiness => ({
        ready: false,
        checks: { hub: errorText(err) },
      }));
      send(res, r.ready ? 200 : 503, { status: r.ready ? "ready" : "not ready", checks: r.checks });
    });
  }

  close(): void {
    clearInterval(this.loopTimer);
    this.loop.disable();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

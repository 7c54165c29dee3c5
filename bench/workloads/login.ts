/**
 * The `login` workload: K connections log in again and again (each login verifies an Argon2id hash on
 * the hub) for a fixed time; reports logins/s and login latency.
 */
import type { Account } from "../lib/accounts.js";
import { microClock, sleep } from "../lib/clock.js";
import type { ServerInfo } from "../lib/connect.js";
import { Histogram, summarize, type LatencySummary } from "../lib/histogram.js";
import { ParleyConn } from "../lib/parley.js";
import { cpuShare, sampleProcess, SelfCpu } from "../lib/proc.js";

export interface LoginOptions {
  server: ServerInfo & { pid: number };
  accounts: Account[];
  concurrency: number;
  durationMs: number;
}

export interface LoginResult {
  workload: "login";
  server: string;
  concurrency: number;
  logins: number;
  failures: number;
  firstFailure?: string;
  loginsPerSec: number;
  latency: LatencySummary;
  serverCpu: number;
  generatorCpu: number;
}

export async function runLogin(opts: LoginOptions): Promise<LoginResult> {
  const clock = microClock(Date.now());
  const conns = await Promise.all(
    Array.from({ length: opts.concurrency }, () => ParleyConn.connect(opts.server, clock)),
  );
  const hist = new Histogram();
  let logins = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const before = sampleProcess(opts.server.pid);
  const self = new SelfCpu();
  const t0 = performance.now();
  const end = t0 + opts.durationMs;
  try {
    await Promise.all(
      conns.map(async (conn, c) => {
        for (let k = 0; performance.now() < end; k++) {
          const account = opts.accounts[(c + k * opts.concurrency) % opts.accounts.length]!;
          const s = performance.now();
          try {
            await conn.login(account.username, account.password);
            logins++;
            hist.record((performance.now() - s) * 1000);
          } catch (err) {
            failures++;
            firstFailure ??= String(err);
            await sleep(10);
          }
        }
      }),
    );
    const wall = performance.now() - t0;
    const after = sampleProcess(opts.server.pid);
    return {
      workload: "login",
      server: opts.server.name,
      concurrency: opts.concurrency,
      logins,
      failures,
      ...(firstFailure ? { firstFailure } : {}),
      loginsPerSec: Math.round(logins / (wall / 1000)),
      latency: summarize(hist),
      serverCpu: Math.round(cpuShare(before, after) * 100) / 100,
      generatorCpu: Math.round(self.share() * 100) / 100,
    };
  } finally {
    for (const c of conns) c.close();
  }
}

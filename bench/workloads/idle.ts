/**
 * The `idle` workload: C idle authenticated connections (Parley: hello + resume; IRC: registered; bare:
 * connected). Reports the server's RSS growth per connection, from /proc/PID/status.
 */
import type { Account } from "../lib/accounts.js";
import { microClock, sleep } from "../lib/clock.js";
import type { ServerInfo } from "../lib/connect.js";
import { IrcConn } from "../lib/irc.js";
import { ParleyConn } from "../lib/parley.js";
import { forEachLimited } from "../lib/pool.js";
import { sampleProcess } from "../lib/proc.js";
import { RawWs } from "../lib/ws-raw.js";

export interface IdleOptions {
  server: ServerInfo & { pid: number };
  connections: number;
  accounts?: Account[];
  settleMs?: number;
}

export interface IdleResult {
  workload: "idle";
  server: string;
  connections: number;
  setupMs: number;
  connectionsPerSec: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  perConnectionKiB: number;
}

export async function runIdle(opts: IdleOptions): Promise<IdleResult> {
  const clock = microClock(Date.now());
  const { server, connections: n } = opts;
  const closers: Array<() => void> = [];
  await sleep(opts.settleMs ?? 1500);
  const before = sampleProcess(server.pid);
  const t0 = performance.now();
  try {
    // InspIRCd completes registrations on a one-second timer, so IRC needs many in flight to set up fast.
    await forEachLimited(n, server.proto === "irc" ? 1000 : 32, async (i) => {
      if (server.proto === "parley") {
        const account = opts.accounts?.[i];
        if (!account) throw new Error(`idle needs ${n} accounts`);
        const conn = await ParleyConn.connect(server, clock);
        closers.push(() => conn.close());
        await conn.resume(account.token);
      } else if (server.proto === "irc") {
        const conn = await IrcConn.connect(server.host, server.port, clock);
        closers.push(() => conn.close());
        await conn.register(`idle${i}`);
      } else {
        const ws = await RawWs.connect(
          { host: server.host, port: server.port, path: "/?room=idle", tls: false },
          clock,
        );
        closers.push(() => ws.close());
      }
    });
    const setupMs = performance.now() - t0;
    // Let the server finish its per-connection work (presence, buffers) before reading its memory.
    await sleep(opts.settleMs ?? 1500);
    const after = sampleProcess(server.pid);
    return {
      workload: "idle",
      server: server.name,
      connections: n,
      setupMs: Math.round(setupMs),
      connectionsPerSec: Math.round(n / (setupMs / 1000)),
      rssBeforeKiB: before.rssKiB,
      rssAfterKiB: after.rssKiB,
      perConnectionKiB: Math.round(((after.rssKiB - before.rssKiB) / n) * 10) / 10,
    };
  } finally {
    for (const close of closers) close();
    await sleep(300);
  }
}

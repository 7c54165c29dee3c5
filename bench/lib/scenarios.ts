/** The workloads' sizes, full and `--quick`, shared by `npm run bench` and `npm run bench:compare`. */
import type { FanoutResult } from "../workloads/fanout.js";
import type { FilesResult } from "../workloads/files.js";
import type { HistoryResult } from "../workloads/history.js";
import type { SearchResult } from "../workloads/search.js";
import type { IdleResult } from "../workloads/idle.js";
import type { LoginResult } from "../workloads/login.js";
import type { StormResult } from "../workloads/reconnect-storm.js";
import { fmtInt, table, type Cell } from "./report.js";

export interface FanoutScenario {
  name: string;
  clients: number;
  rooms: number;
  messages: number;
  /** msg/s across all senders; 0 = burst. */
  rate: number;
  /** What the target is, for the report. */
  target: string;
  /** Bursts: least deliveries/s as a share of the bare server's. */
  minVsBare?: number;
  /** Bursts: least deliveries per server CPU-second as a share of InspIRCd's. */
  minCpuVsIrc?: number;
}

/** The fan-out scenarios, optionally only those named in `only` (comma-separated). */
export function fanoutScenarios(quick: boolean, only?: string): FanoutScenario[] {
  const all = allFanoutScenarios(quick);
  if (!only) return all;
  const names = only.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length)
    throw new Error(`unknown scenario ${unknown.join(", ")}: use ${all.map((s) => s.name).join(", ")}`);
  return all.filter((s) => names.includes(s.name));
}

/** Issue #11's burst targets. */
const BURST_ONE_ROOM = {
  target: "≥ 0.9× bare; ≥ 1.0× InspIRCd per CPU-s",
  minVsBare: 0.9,
  minCpuVsIrc: 1.0,
};
const BURST_MANY_ROOMS = { target: "≥ 0.7× bare", minVsBare: 0.7 };

function allFanoutScenarios(quick: boolean): FanoutScenario[] {
  // Paced runs last `seconds`; each client sends rate × seconds / clients messages.
  const seconds = quick ? 3 : 10;
  const paced = (clients: number, rate: number): number => Math.ceil((rate * seconds) / clients);
  return quick
    ? [
        {
          name: "burst-200x1",
          clients: 200,
          rooms: 1,
          messages: 10,
          rate: 0,
          ...BURST_ONE_ROOM,
        },
        {
          name: "burst-500x10",
          clients: 500,
          rooms: 10,
          messages: 10,
          rate: 0,
          ...BURST_MANY_ROOMS,
        },
        {
          name: "paced-500-200",
          clients: 200,
          rooms: 1,
          messages: paced(200, 500),
          rate: 500,
          target: "p99 ≤ 10 ms",
        },
        {
          name: "paced-1000-10x50",
          clients: 500,
          rooms: 10,
          messages: paced(500, 1000),
          rate: 1000,
          target: "p99 ≤ 40 ms",
        },
      ]
    : [
        {
          name: "burst-200x1",
          clients: 200,
          rooms: 1,
          messages: 20,
          rate: 0,
          ...BURST_ONE_ROOM,
        },
        {
          name: "burst-1000x20",
          clients: 1000,
          rooms: 20,
          messages: 20,
          rate: 0,
          ...BURST_MANY_ROOMS,
        },
        {
          name: "paced-500-200",
          clients: 200,
          rooms: 1,
          messages: paced(200, 500),
          rate: 500,
          target: "p99 ≤ 10 ms",
        },
        {
          name: "paced-2000-20x50",
          clients: 1000,
          rooms: 20,
          messages: paced(1000, 2000),
          rate: 2000,
          target: "p99 ≤ 40 ms",
        },
      ];
}

export const sizes = (quick: boolean) => ({
  idleConnections: quick ? 500 : 5000,
  loginConcurrency: 16,
  loginMs: quick ? 2000 : 5000,
  historyMessages: quick ? 100_000 : 1_000_000,
  historyRequests: quick ? 300 : 2000,
  historyConnections: 4,
  searchMessages: quick ? 100_000 : 1_000_000,
  searchRequests: quick ? 400 : 2000,
  stormClients: quick ? 200 : 1000,
  stormRooms: quick ? 4 : 20,
  stormMissed: quick ? 5 : 20,
  filesMiB: quick ? 16 : 64,
  filesRounds: quick ? 3 : 5,
});

const mib = (kib: number): string => (kib / 1024).toFixed(0);
const ms = (n: number): string => n.toFixed(n < 10 ? 2 : 1);

export function fanoutTable(results: Array<FanoutResult & { scenario?: string }>): string {
  return table(
    [
      "scenario",
      "server",
      "clients × rooms",
      "msgs/client",
      "deliveries/s",
      "loss",
      "order viol.",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "max ms",
      "server CPU",
      "deliveries / CPU-s",
      "server RSS MiB",
      "generator CPU",
    ],
    results.map((r): Cell[] => [
      r.scenario ?? r.label,
      r.server,
      `${r.clients} × ${r.rooms}`,
      r.mode === "paced" ? `${r.messagesPerClient} @ ${r.rate}/s` : `${r.messagesPerClient} burst`,
      fmtInt(r.deliveriesPerSec),
      r.loss +
        (r.sendErrors ? ` (${r.sendErrors} send errors)` : "") +
        (r.closedEarly ? ` (${r.closedEarly} closed)` : ""),
      r.orderViolations,
      ms(r.latency.p50Ms),
      ms(r.latency.p90Ms),
      ms(r.latency.p99Ms),
      ms(r.latency.maxMs),
      r.serverCpu.toFixed(2),
      fmtInt(r.deliveriesPerCpuSec ?? 0),
      mib(r.serverRssKiB),
      r.generatorCpu.toFixed(2),
    ]),
  );
}

export function idleTable(results: IdleResult[]): string {
  return table(
    ["server", "connections", "RSS before MiB", "RSS after MiB", "KiB per connection", "connections/s"],
    results.map((r) => [
      r.server,
      r.connections,
      mib(r.rssBeforeKiB),
      mib(r.rssAfterKiB),
      r.perConnectionKiB.toFixed(1),
      fmtInt(r.connectionsPerSec),
    ]),
  );
}

export function loginTable(results: LoginResult[]): string {
  return table(
    ["server", "connections", "logins/s", "p50 ms", "p99 ms", "failures", "server CPU", "generator CPU"],
    results.map((r) => [
      r.server,
      r.concurrency,
      fmtInt(r.loginsPerSec),
      ms(r.latency.p50Ms),
      ms(r.latency.p99Ms),
      r.failures + (r.firstFailure ? ` (${r.firstFailure})` : ""),
      r.serverCpu.toFixed(2),
      r.generatorCpu.toFixed(2),
    ]),
  );
}

/** Paged reads (history pages, search results): the same columns for both workloads. */
export function historyTable(results: Array<Omit<HistoryResult, "workload">>): string {
  return table(
    [
      "server",
      "stored",
      "page",
      "requests",
      "requests/s",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "max ms",
      "wrong pages",
      "server CPU",
    ],
    results.map((r) => [
      r.server,
      fmtInt(r.storedMessages),
      r.pageSize,
      r.requests,
      fmtInt(r.requestsPerSec),
      ms(r.latency.p50Ms),
      ms(r.latency.p90Ms),
      ms(r.latency.p99Ms),
      ms(r.latency.maxMs),
      r.wrongPages + (r.firstWrong ? ` (${r.firstWrong})` : ""),
      r.serverCpu.toFixed(2),
    ]),
  );
}

export function searchTable(results: SearchResult[]): string {
  const overall = historyTable(results);
  const byQuery = table(
    ["server", "query", "p50 ms", "p99 ms", "max ms"],
    results.flatMap((r) =>
      r.byQuery.map((q) => [r.server, q.name, ms(q.latency.p50Ms), ms(q.latency.p99Ms), ms(q.latency.maxMs)]),
    ),
  );
  return `${overall}\n\n${byQuery}`;
}

export function stormTable(results: StormResult[]): string {
  return table(
    [
      "server",
      "clients × rooms",
      "missed each",
      "all caught up ms",
      "p50 ms",
      "p99 ms",
      "missing",
      "duplicates",
      "failed",
      "server CPU",
    ],
    results.map((r) => [
      r.server,
      `${r.clients} × ${r.rooms}`,
      r.missedPerClient,
      fmtInt(r.allCaughtUpMs),
      ms(r.catchUp.p50Ms),
      ms(r.catchUp.p99Ms),
      r.missing,
      r.duplicates,
      r.failedResumes + (r.firstFailure ? ` (${r.firstFailure})` : ""),
      r.serverCpu.toFixed(2),
    ]),
  );
}

export function filesTable(results: FilesResult[]): string {
  const mbps = (r: { median: number; min: number; max: number }) => `${r.median} (${r.min}–${r.max})`;
  return table(
    [
      "server",
      "file MiB",
      "rounds",
      "upload MB/s",
      "download MB/s",
      "server CPU",
      "RSS growth MiB",
      "failures",
    ],
    results.map((r) => [
      r.server,
      r.sizeMiB,
      r.rounds,
      mbps(r.uploadMBps),
      mbps(r.downloadMBps),
      r.serverCpu.toFixed(2),
      r.rssGrowthMiB,
      r.failures,
    ]),
  );
}

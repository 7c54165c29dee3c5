/** The tables of `npm run bench:cluster`: every run, then the two-node/one-node ratios per scenario. */
import type { ClusterFanoutResult } from "./cluster-fanout.js";
import { fmtInt, fmtRatio, table, type Cell } from "./report.js";

export interface Topology {
  /** Command-line name: sqlite, pg1, pg2. */
  key: string;
  /** Report name. */
  name: string;
  nodes: number;
  /** PostgreSQL + Redis (else SQLite + in-process bus). */
  cluster: boolean;
}

type Row = ClusterFanoutResult & { scenario: string };

const ms = (n: number): string => n.toFixed(n < 10 ? 2 : 1);
const mib = (kib: number): string => (kib / 1024).toFixed(0);

/**
 * CPU (ms, all cores) that the hub side spent per 1,000 deliveries: the nodes, PostgreSQL and Redis.
 * The cost of the cluster path, comparable between topologies whatever limited the throughput.
 */
export function cpuPerKDeliveries(r: ClusterFanoutResult): number {
  const cpu = r.serverCpu + r.postgresCpu + r.redisCpu;
  return r.delivered > 0 ? (cpu * r.sampleMs * 1000) / r.delivered : 0;
}

function runsTable(rows: Row[]): string {
  return table(
    [
      "scenario",
      "topology",
      "clients × rooms",
      "msgs/client",
      "deliveries/s",
      "loss",
      "order viol.",
      "p50 ms",
      "p99 ms",
      "node CPU",
      "node RSS MiB",
      "PostgreSQL CPU",
      "Redis CPU",
      "generator CPU",
      "hub-side CPU ms / 1k deliveries",
    ],
    rows.map((r): Cell[] => [
      r.scenario,
      r.topology,
      `${r.clients} × ${r.rooms}`,
      r.mode === "paced" ? `${r.messagesPerClient} @ ${r.rate}/s` : `${r.messagesPerClient} burst`,
      fmtInt(r.deliveriesPerSec),
      r.loss +
        (r.sendErrors ? ` (${r.sendErrors} send errors)` : "") +
        (r.closedEarly ? ` (${r.closedEarly} closed)` : ""),
      r.orderViolations,
      ms(r.latency.p50Ms),
      ms(r.latency.p99Ms),
      r.nodes.map((n) => n.cpu.toFixed(2)).join(" + "),
      r.nodes.map((n) => mib(n.rssKiB)).join(" + "),
      r.topology.startsWith("sqlite") ? "—" : r.postgresCpu.toFixed(2),
      r.topology.startsWith("sqlite") ? "—" : r.redisCpu.toFixed(2),
      r.generatorCpu.toFixed(2),
      cpuPerKDeliveries(r).toFixed(1),
    ]),
  );
}

function ratioTable(rows: Row[], names: { one: string; two: string; sqlite: string }): string {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const out: Cell[][] = [];
  for (const sc of scenarios) {
    const of = (t: string) => rows.find((r) => r.scenario === sc && r.topology === t);
    const one = of(names.one);
    const two = of(names.two);
    const lite = of(names.sqlite);
    out.push([
      sc,
      one && two ? fmtRatio(two.deliveriesPerSec, one.deliveriesPerSec) : "n/a",
      one && two ? fmtRatio(two.latency.p50Ms, one.latency.p50Ms) : "n/a",
      one && two ? fmtRatio(two.latency.p99Ms, one.latency.p99Ms) : "n/a",
      one && two ? fmtRatio(cpuPerKDeliveries(two), cpuPerKDeliveries(one)) : "n/a",
      one && lite ? fmtRatio(one.deliveriesPerSec, lite.deliveriesPerSec) : "n/a",
      one && lite ? fmtRatio(cpuPerKDeliveries(one), cpuPerKDeliveries(lite)) : "n/a",
    ]);
  }
  return table(
    [
      "scenario",
      "deliveries/s ×2 / ×1",
      "p50 ×2 / ×1",
      "p99 ×2 / ×1",
      "CPU per delivery ×2 / ×1",
      "deliveries/s pg ×1 / sqlite",
      "CPU per delivery pg ×1 / sqlite",
    ],
    out,
  );
}

export function clusterMarkdown(
  rows: Row[],
  names = { one: "pg+redis ×1", two: "pg+redis ×2", sqlite: "sqlite ×1" },
): string {
  const checks = rows.filter((r) => r.loss > 0 || r.orderViolations > 0 || r.sendErrors > 0 || r.misrouted);
  return [
    `## Runs\n\n${runsTable(rows)}`,
    "node CPU and RSS: one figure per node (1.00 = one core busy over the run). PostgreSQL CPU: all of the " +
      "machine's `postgres` processes; Redis CPU: the `redis-server` on the bus's port. Hub-side CPU per " +
      "1k deliveries: (nodes + PostgreSQL + Redis) CPU time over the run / deliveries × 1,000.",
    `## Two nodes / one node\n\n${ratioTable(rows, names)}`,
    checks.length
      ? `**Not clean:** ${checks.map((r) => `${r.scenario} on ${r.topology}: loss ${r.loss}, order ${r.orderViolations}, send errors ${r.sendErrors}${r.firstSendError ? ` (${r.firstSendError})` : ""}, misrouted ${r.misrouted}${r.shortExamples.length ? `; e.g. ${r.shortExamples.join(", ")}` : ""}`).join("; ")}`
      : "Every run: no loss, no order violation, no send error, nothing misrouted.",
  ].join("\n\n");
}

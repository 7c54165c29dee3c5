/**
 * `npm run bench:cluster`: the `fanout` workload against two hub nodes vs one, both on the machine's
 * PostgreSQL + Redis, and one node on the default SQLite + in-process bus for reference. The clients of a
 * two-node run are spread evenly over both nodes (each client on one node, every room on both), so each
 * delivery to the other node's half of a room crosses Redis. Writes bench/results/cluster-*.md and .json.
 *
 *   npm run bench:cluster -- [--quick] [--scenarios a,b] [--topologies sqlite,pg1,pg2] [--workers 2]
 *                            [--tls] [--dist]
 *
 * --quick       the quick scenario sizes of bench/lib/scenarios.ts (a few minutes)
 * --scenarios   only these fan-out scenarios (names as in `npm run bench`)
 * --topologies  sqlite (one node, SQLite + in-process bus), pg1 (one node, PostgreSQL + Redis),
 *               pg2 (two nodes, same PostgreSQL + Redis)
 * --workers     generator worker threads, a multiple of 2 so both topologies run the same generator
 *               (default 2); 0 runs one generator slice per node in the coordinator's thread
 * --tls         wss:// with each node's self-signed certificate pinned (default: plaintext, --insecure)
 * --dist        run the built hub (`npm run build` first)
 *
 * Isolation on the shared services: each PostgreSQL run gets its own schema (`?schema=bench_…`,
 * dropped after the run) holding its accounts, and its own Redis key prefix (`?prefix=bench_…`,
 * its keys deleted after the run); nothing else on Redis is touched. Accounts are registered through the
 * protocol on a PostgreSQL-backed node started with `--no-rate-limits`.
 */
import { execSync } from "node:child_process";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createAccounts, createTemplate, copyTemplate, type Account, type Template } from "./lib/accounts.js";
import { runClusterFanout, type ClusterFanoutResult } from "./lib/cluster-fanout.js";
import { clusterMarkdown, type Topology } from "./lib/cluster-report.js";
import { checkServices, freshPrefix, freshSchema, type Isolated } from "./lib/cluster-services.js";
import { metaLines, runMeta, writeResults } from "./lib/report.js";
import { fanoutScenarios } from "./lib/scenarios.js";
import { ROOT, startParley, type Server } from "./lib/servers.js";

const TOPOLOGIES: Record<string, Topology> = {
  sqlite: { key: "sqlite", name: "sqlite ×1", nodes: 1, cluster: false },
  pg1: { key: "pg1", name: "pg+redis ×1", nodes: 1, cluster: true },
  pg2: { key: "pg2", name: "pg+redis ×2", nodes: 2, cluster: true },
};

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    scenarios: { type: "string" },
    topologies: { type: "string", default: "sqlite,pg1,pg2" },
    workers: { type: "string", default: "2" },
    tls: { type: "boolean", default: false },
    dist: { type: "boolean", default: false },
  },
});
const quick = values.quick ?? false;
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 0 || workers % 2 !== 0)
  throw new Error("--workers must be 0 or an even number (both topologies run the same generator)");
const topologies = values.topologies!.split(",").map((t) => {
  const topo = TOPOLOGIES[t.trim()];
  if (!topo) throw new Error(`unknown topology ${t}: use ${Object.keys(TOPOLOGIES).join(",")}`);
  return topo;
});
const insecure = !(values.tls ?? false);
const preferDist = values.dist ?? false;
const scenarios = fanoutScenarios(quick, values.scenarios);
const log = (s: string): void => console.log(s);

/**
 * Starts one hub through the benchmark suite's `startParley` (same flags: --no-rate-limits, warn logs),
 * choosing store, bus and node id by the hub's PARLEY_* environment variables, which startParley passes
 * on to the child as it spawns it. Nodes start one at a time, so the temporary environment is never
 * shared by two starts.
 */
async function startNode(
  topo: Topology,
  env: Record<string, string | undefined>,
  dataDir?: string,
): Promise<Server> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    const server = await startParley({ insecure, preferDist, ...(dataDir ? { dataDir } : {}) });
    return { ...server, name: `${topo.key}-${env.PARLEY_NODE_ID ?? "node"}` };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const clusterEnv = (schema: Isolated, prefix: Isolated, nodeId: string) => ({
  PARLEY_STORE: schema.url,
  PARLEY_BUS: prefix.url,
  PARLEY_NODE_ID: nodeId,
});
// The reference node must not pick up a cluster setting from the caller's environment.
const sqliteEnv = { PARLEY_STORE: undefined, PARLEY_BUS: undefined, PARLEY_NODE_ID: undefined };

/**
 * Registers `count` accounts through the protocol on a PostgreSQL-backed node of their own (stopped
 * before the run, so the nodes under test start cold and the Argon2 work stays out of their RSS).
 */
async function pgAccounts(topo: Topology, schema: Isolated, count: number): Promise<Account[]> {
  const t0 = Date.now();
  const prefix = freshPrefix();
  try {
    const hub = await startNode(topo, clusterEnv(schema, prefix, "accounts"));
    try {
      const accounts = await createAccounts(hub, count, "user", 8, (n) => log(`  ${n}/${count} accounts`));
      log(`  ${count} accounts in ${((Date.now() - t0) / 1000).toFixed(1)} s (schema ${schema.name})`);
      return accounts;
    } finally {
      await hub.stop();
    }
  } finally {
    await prefix.drop();
  }
}

/**
 * One scenario on one topology, from a clean slate. Every PostgreSQL run has its own schema: accounts
 * reused across runs would still be members of the earlier runs' rooms, and `resume` would replay those
 * rooms' unread messages into the measurement (seen as misrouted messages and order violations).
 */
async function runOne(
  topo: Topology,
  template: Template | undefined,
  sc: (typeof scenarios)[number],
): Promise<ClusterFanoutResult> {
  const schema = topo.cluster ? freshSchema() : undefined;
  const prefix = topo.cluster ? freshPrefix() : undefined;
  // A fresh copy of the SQLite template per run, like `npm run bench`.
  const dataDir = template ? copyTemplate(template) : undefined;
  const nodes: Server[] = [];
  try {
    const accounts = schema ? await pgAccounts(topo, schema, sc.clients) : template!.accounts;
    for (let i = 0; i < topo.nodes; i++) {
      // One at a time (two cores, and the environment trick in startNode).
      nodes.push(
        schema && prefix
          ? await startNode(topo, clusterEnv(schema, prefix, `node${i + 1}`))
          : await startNode(topo, sqliteEnv, dataDir),
      );
    }
    return await runClusterFanout({
      topology: topo.name,
      nodes,
      clients: sc.clients,
      rooms: sc.rooms,
      messages: sc.messages,
      rate: sc.rate,
      workers,
      accounts,
      label: sc.name,
    });
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await prefix?.drop();
    await schema?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (topologies.some((t) => t.cluster)) await checkServices();
  if (preferDist) {
    log("building (npm run build)…");
    execSync("npm run --silent build", { cwd: ROOT, stdio: "inherit" });
  }
  const meta = runMeta(`npm run bench:cluster -- ${process.argv.slice(2).join(" ")}`.trim(), quick, workers);
  meta.notes.push(
    `hubs ${insecure ? "plaintext (--insecure)" : "TLS"}; PostgreSQL and Redis are the machine's own, shared with the team; each PostgreSQL run on its own schema (accounts registered through the protocol) and its own Redis prefix`,
    `${os.cpus().length} cores for everything: the hub node(s), PostgreSQL, Redis and the generator share them, so two nodes measure the cost of the cluster path (Redis fan-out, PostgreSQL commits), not scale-out`,
  );
  const results: Array<ClusterFanoutResult & { scenario: string }> = [];
  let template: Template | undefined;
  try {
    if (topologies.some((t) => !t.cluster)) {
      const count = Math.max(...scenarios.map((s) => s.clients));
      log(`creating ${count} accounts on a SQLite template…`);
      template = await createTemplate(count, log);
    }
    // Interleaved per scenario, so each ratio is taken minutes apart at most.
    for (const sc of scenarios) {
      for (const topo of topologies) {
        log(`fanout ${sc.name} on ${topo.name}…`);
        const r = await runOne(topo, topo.cluster ? undefined : template, sc);
        results.push({ ...r, scenario: sc.name });
        log(
          `  ${r.deliveriesPerSec} deliveries/s, loss ${r.loss}, order ${r.orderViolations}, misrouted ${r.misrouted}, ` +
            `p99 ${r.latency.p99Ms} ms, nodes CPU ${r.nodes.map((n) => n.cpu).join("+")}, pg ${r.postgresCpu}, redis ${r.redisCpu}`,
        );
      }
    }
  } finally {
    template?.dispose();
  }

  meta.finishedAt = new Date().toISOString();
  meta.loadEnd = Math.round(os.loadavg()[0]! * 100) / 100;
  const markdown = `# Parley cluster benchmark: two nodes vs one\n\n${metaLines(meta)}\n\n${clusterMarkdown(results)}\n`;
  const files = writeResults("cluster", meta, markdown, results);
  console.log("\n" + markdown);
  console.log(`written: ${path.relative(ROOT, files.md)}, ${path.relative(ROOT, files.json)}`);
}

await main();

/**
 * `npm run bench`: the benchmark suite against Parley, plaintext (`--insecure`) and TLS, each workload on
 * a fresh hub. Writes a Markdown table and JSON to bench/results/.
 *
 *   npm run bench -- [--quick] [--only fanout,idle,login,history,search,storm,files,abuse,e2e]
 *                    [--search-messages N]
 *                    [--servers parley,parley-tls]
 *                    [--scenarios a,b] [--workers 1] [--dist] [--cpu-prof DIR]
 *
 * --quick     small sizes (a couple of minutes); the default sizes are the (5000 idle, 1M history…)
 * --search-messages  how many messages the search workload seeds (default 1M, --quick 100k)
 * --scenarios only these fan-out scenarios (e.g. burst-200x1,paced-500-200)
 * --workers   generator threads for fan-out (0 = the coordinator's own thread)
 * --dist      run the built hub (`npm run build` first) instead of the TypeScript source through tsx
 * --cpu-prof  write V8 CPU profiles of the hub during fan-out to DIR (open in Chrome DevTools)
 */
import { execSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { copyTemplate, createTemplate, type Template } from "./lib/accounts.js";
import { metaLines, runMeta, writeResults } from "./lib/report.js";
import {
  fanoutScenarios,
  fanoutTable,
  filesTable,
  historyTable,
  searchTable,
  idleTable,
  loginTable,
  sizes,
  stormTable,
} from "./lib/scenarios.js";
import { ROOT, startParley, type Server } from "./lib/servers.js";
import { runFanout, type FanoutResult } from "./workloads/fanout.js";
import { runFiles, type FilesResult } from "./workloads/files.js";
import { runHistory, seedHistory, type HistoryResult } from "./workloads/history.js";
import { runSearch, seedSearch, type SearchResult } from "./workloads/search.js";
import { runIdle, type IdleResult } from "./workloads/idle.js";
import { runLogin, type LoginResult } from "./workloads/login.js";
import { runStorm, type StormResult } from "./workloads/reconnect-storm.js";
import { abuseTable, runAbuse, type AbuseResult } from "./workloads/abuse.js";
import { runE2e, type E2eResult } from "./workloads/e2e.js";
import { e2eScenarios, e2eTable } from "./lib/e2e-report.js";

const WORKLOADS = ["fanout", "idle", "login", "history", "search", "storm", "files", "abuse", "e2e"] as const;
type Workload = (typeof WORKLOADS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    servers: { type: "string", default: "parley,parley-tls" },
    workers: { type: "string", default: "1" },
    scenarios: { type: "string" },
    dist: { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    "search-messages": { type: "string" },
  },
});
const quick = values.quick ?? false;
const only = (values.only?.split(",") ?? [...WORKLOADS]) as Workload[];
for (const w of only)
  if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}: use ${WORKLOADS.join(",")}`);
const servers = values.servers!.split(",").map((s) => s.trim());
for (const s of servers) if (s !== "parley" && s !== "parley-tls") throw new Error(`unknown server ${s}`);
const workers = Number(values.workers);
const size = sizes(quick);
const profDir = values["cpu-prof"] ? path.resolve(values["cpu-prof"]) : undefined;

const log = (s: string): void => console.log(s);

if (values.dist) {
  log("building (npm run build)…");
  execSync("npm run --silent build", { cwd: ROOT, stdio: "inherit" });
}

async function withHub<T>(
  insecure: boolean,
  dataDir: string,
  fn: (hub: Server) => Promise<T>,
  nodeFlags: string[] = [],
  args: string[] = [],
): Promise<T> {
  const hub = await startParley({ insecure, dataDir, preferDist: values.dist ?? false, nodeFlags, args });
  try {
    return await fn(hub);
  } finally {
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function accountsNeeded(): number {
  let n = 2;
  if (only.includes("fanout"))
    n = Math.max(n, ...fanoutScenarios(quick, values.scenarios).map((s) => s.clients));
  if (only.includes("idle")) n = Math.max(n, size.idleConnections);
  if (only.includes("login")) n = Math.max(n, size.loginConcurrency * 4);
  if (only.includes("storm")) n = Math.max(n, size.stormClients + size.stormRooms);
  if (only.includes("e2e")) n = Math.max(n, ...e2eScenarios(quick).map((s) => s.devices));
  return n;
}

async function main(): Promise<void> {
  const meta = runMeta(`npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(), quick, workers);
  const fanout: Array<FanoutResult & { scenario: string }> = [];
  const idle: IdleResult[] = [];
  const login: LoginResult[] = [];
  const history: HistoryResult[] = [];
  const search: SearchResult[] = [];
  const storm: StormResult[] = [];
  const fileRuns: FilesResult[] = [];
  const abuse: AbuseResult[] = [];
  const e2e: E2eResult[] = [];
  const targets = servers.map((s) => ({ name: s, insecure: s === "parley" }));

  const count = accountsNeeded();
  log(`creating ${count} accounts on a template hub…`);
  const tpl: Template = await createTemplate(count, log);
  try {
    if (only.includes("fanout")) {
      for (const sc of fanoutScenarios(quick, values.scenarios)) {
        for (const t of targets) {
          log(`fanout ${sc.name} on ${t.name}…`);
          // One folder per run: under tsx the loader thread writes a profile too (the small one).
          const dir = profDir ? path.join(profDir, `${sc.name}-${t.name}`) : undefined;
          if (dir) mkdirSync(dir, { recursive: true });
          const flags = dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
          const r = await withHub(
            t.insecure,
            copyTemplate(tpl),
            (hub) =>
              runFanout({
                server: hub,
                clients: sc.clients,
                rooms: sc.rooms,
                messages: sc.messages,
                rate: sc.rate,
                workers,
                accounts: tpl.accounts,
                label: sc.name,
              }),
            flags,
          );
          fanout.push({ ...r, scenario: sc.name });
          log(
            `  ${r.deliveriesPerSec} deliveries/s, loss ${r.loss}, order ${r.orderViolations}, p99 ${r.latency.p99Ms} ms`,
          );
        }
      }
    }
    if (only.includes("idle")) {
      for (const t of targets) {
        log(`idle ${size.idleConnections} on ${t.name}…`);
        const r = await withHub(t.insecure, copyTemplate(tpl), (hub) =>
          runIdle({ server: hub, connections: size.idleConnections, accounts: tpl.accounts }),
        );
        idle.push(r);
        log(`  ${r.perConnectionKiB} KiB per connection`);
      }
    }
    if (only.includes("login")) {
      for (const t of targets) {
        log(`login on ${t.name}…`);
        const r = await withHub(t.insecure, copyTemplate(tpl), (hub) =>
          runLogin({
            server: hub,
            accounts: tpl.accounts.slice(0, size.loginConcurrency * 4),
            concurrency: size.loginConcurrency,
            durationMs: size.loginMs,
          }),
        );
        login.push(r);
        log(`  ${r.loginsPerSec} logins/s`);
      }
    }
    if (only.includes("history")) {
      const seeded = copyTemplate(tpl);
      try {
        log(`seeding ${size.historyMessages} messages…`);
        const seed = await seedHistory(seeded, tpl.accounts[0]!.username, size.historyMessages);
        log(`  seeded in ${seed.ms} ms (${seed.perSec}/s)`);
        meta.notes.push(
          `history: ${size.historyMessages} messages seeded through the Store API at ${seed.perSec}/s`,
        );
        for (const t of targets) {
          log(`history on ${t.name}…`);
          const dir = mkdtempSync(path.join(tmpdir(), "parley-bench-history-"));
          cpSync(seeded, dir, { recursive: true });
          const r = await withHub(t.insecure, dir, (hub) =>
            runHistory({
              server: hub,
              owner: tpl.accounts[0]!,
              messages: size.historyMessages,
              requests: size.historyRequests,
              connections: size.historyConnections,
              limit: 100,
            }),
          );
          history.push(r);
          log(`  p99 ${r.latency.p99Ms} ms, wrong pages ${r.wrongPages}`);
        }
      } finally {
        rmSync(seeded, { recursive: true, force: true });
      }
    }
    if (only.includes("search")) {
      const seeded = copyTemplate(tpl);
      const count = values["search-messages"] ? Number(values["search-messages"]) : size.searchMessages;
      try {
        log(`seeding ${count} messages for search…`);
        const seed = await seedSearch(seeded, tpl.accounts[0]!.username, count);
        log(`  seeded in ${seed.ms} ms (${seed.perSec}/s)`);
        meta.notes.push(`search: ${count} messages seeded through the Store API at ${seed.perSec}/s`);
        for (const t of targets) {
          log(`search on ${t.name}…`);
          const dir = mkdtempSync(path.join(tmpdir(), "parley-bench-search-"));
          cpSync(seeded, dir, { recursive: true });
          const r = await withHub(t.insecure, dir, (hub) =>
            runSearch({
              server: hub,
              owner: tpl.accounts[0]!,
              messages: count,
              requests: size.searchRequests,
              // One request at a time: the latency of a search, not of a queue of them.
              connections: 1,
              limit: 50,
            }),
          );
          search.push(r);
          log(`  p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms, wrong pages ${r.wrongPages}`);
        }
      } finally {
        rmSync(seeded, { recursive: true, force: true });
      }
    }
    if (only.includes("storm")) {
      for (const t of targets) {
        log(`reconnect-storm ${size.stormClients} on ${t.name}…`);
        const r = await withHub(t.insecure, copyTemplate(tpl), (hub) =>
          runStorm({
            server: hub,
            accounts: tpl.accounts,
            clients: size.stormClients,
            rooms: size.stormRooms,
            missed: size.stormMissed,
            label: "storm",
          }),
        );
        storm.push(r);
        log(`  all caught up in ${r.allCaughtUpMs} ms, missing ${r.missing}`);
      }
    }
    if (only.includes("files")) {
      const bytes = size.filesMiB * 1024 * 1024;
      const limits = [
        "--max-file-bytes",
        String(bytes),
        "--file-quota-bytes",
        String(bytes * (size.filesRounds + 1)),
      ];
      for (const t of targets) {
        log(`files ${size.filesRounds} × ${size.filesMiB} MiB on ${t.name}…`);
        const r = await withHub(
          t.insecure,
          copyTemplate(tpl),
          (hub) =>
            runFiles({
              server: hub,
              account: tpl.accounts[0]!,
              sizeMiB: size.filesMiB,
              rounds: size.filesRounds,
            }),
          [],
          limits,
        );
        fileRuns.push(r);
        log(
          `  upload ${r.uploadMBps.median} MB/s, download ${r.downloadMBps.median} MB/s, RSS +${r.rssGrowthMiB} MiB`,
        );
      }
    }
    if (only.includes("e2e")) {
      for (const sc of e2eScenarios(quick)) {
        for (const t of targets) {
          log(`e2e ${sc.label} on ${t.name}…`);
          const r = await withHub(t.insecure, copyTemplate(tpl), (hub) =>
            runE2e({ server: hub, accounts: tpl.accounts, ...sc }),
          );
          e2e.push(r);
          log(
            `  ${r.messagesPerSec} msg/s, ${r.deliveriesPerSec} deliveries/s, p99 ${r.latency.p99Ms} ms, loss ${r.loss}, doubles ${r.duplicates}`,
          );
        }
      }
    }
    if (only.includes("abuse")) {
      for (const t of targets) {
        log(`abuse on ${t.name}…`);
        // Limits on (the point of it), per-address limits on loopback too; a fresh data folder.
        const hub = await startParley({
          insecure: t.insecure,
          preferDist: values.dist ?? false,
          limits: true,
          args: ["--limit-loopback"],
        });
        try {
          const url = `${hub.tls ? "wss" : "ws"}://${hub.host}:${hub.port}/v1`;
          const r = await runAbuse({
            server: { name: t.name, url },
            samples: quick ? 150 : 400,
            warmupMs: quick ? 1500 : 3000,
          });
          abuse.push(r);
          for (const row of r.rows)
            log(`  ${row.attack}: p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms`);
        } finally {
          await hub.stop();
        }
      }
    }
  } finally {
    tpl.dispose();
  }

  meta.finishedAt = new Date().toISOString();
  meta.loadEnd = Math.round(os.loadavg()[0]! * 100) / 100;
  const sections = [`# Parley benchmarks\n\n${metaLines(meta)}`];
  if (fanout.length) sections.push(`## fanout\n\n${fanoutTable(fanout)}`);
  if (idle.length) sections.push(`## idle\n\n${idleTable(idle)}`);
  if (login.length) sections.push(`## login\n\n${loginTable(login)}`);
  if (history.length) sections.push(`## history\n\n${historyTable(history)}`);
  if (search.length) sections.push(`## search\n\n${searchTable(search)}`);
  if (storm.length) sections.push(`## reconnect-storm\n\n${stormTable(storm)}`);
  if (fileRuns.length) sections.push(`## files\n\n${filesTable(fileRuns)}`);
  if (e2e.length) sections.push(`## e2e (end-to-end encrypted rooms)\n\n${e2eTable(e2e)}`);
  if (abuse.length)
    sections.push(`## abuse (bystander round trips under one hostile user)\n\n${abuseTable(abuse)}`);
  const markdown = sections.join("\n\n") + "\n";
  const files = writeResults("bench", meta, markdown, [
    ...fanout,
    ...idle,
    ...login,
    ...history,
    ...search,
    ...storm,
    ...fileRuns,
    ...abuse,
    ...e2e,
  ]);
  console.log("\n" + markdown);
  console.log(`written: ${path.relative(ROOT, files.md)}, ${path.relative(ROOT, files.json)}`);
}

await main();

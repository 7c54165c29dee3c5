/**
 * `npm run bench:compare`: the `fanout` and `idle` workloads against Parley (plaintext, and TLS beside
 * it), InspIRCd (Debian's `inspircd`, plaintext IRC) and the bare `ws` reference, interleaved per
 * scenario so that every ratio is taken minutes apart at most. Prints the ratios Parley/InspIRCd and
 * Parley/bare and checks the issue's targets. Writes bench/results/compare-*.md and .json.
 *
 *   npm run bench:compare -- [--quick] [--only fanout,idle]
 *                            [--servers parley,parley-tls,parley-irc,inspircd,bare]
 *                            [--scenarios a,b] [--repeat 3] [--naive] [--workers 1] [--dist]
 *
 * parley-metrics (not in the default set) is the plaintext hub with --metrics-port: the cost of metrics.
 * --servers parley-irc  also the plaintext hub's IRC gateway (`--irc-port`), driven by the same IRC load
 *           generator as InspIRCd (clients log in with PASS to the template's accounts); fan-out only, not
 *           in the default set (its slower runs and 1,000 password logins per run add about half to the
 *           fan-out's time; docs/performance.md)
 * --repeat  runs per scenario and server, interleaved (default 3, 1 with --quick); the tables show the
 *           median run, the JSON has every run
 * --naive   also run the bare server's slower modes: `bare-naive` (one `ws.send()` per recipient) and
 *           `bare-corked` (the same inside a per-turn cork, as Parley's gateway does)
 * --baseline DIR  also run the plaintext hub from another checkout (`parley-base`), interleaved with
 *           `parley`, and print the A/B change with each side's spread: how a change is measured
 *
 * Besides deliveries/s it reports deliveries per second of server CPU (all threads) for every server —
 * on two cores the generator competes for CPU, so this is the cost of a delivery whatever the load —
 * and, for Parley hubs (a GC probe loaded with --import), bytes allocated on the main thread's heap and
 * scavenges per 1,000 messages.
 */
import { execSync } from "node:child_process";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { BENCH_PASSWORD, copyTemplate, createTemplate, type Template } from "./lib/accounts.js";
import { fmtInt, fmtRatio, metaLines, runMeta, table, writeResults, type Cell } from "./lib/report.js";
import { fanoutScenarios, fanoutTable, idleTable, sizes, type FanoutScenario } from "./lib/scenarios.js";
import {
  findInspircd,
  INSPIRCD_INSTALL_HINT,
  ROOT,
  startBare,
  startInspircd,
  startParley,
  type Server,
} from "./lib/servers.js";
import { runFanout, type FanoutResult } from "./workloads/fanout.js";
import { runIdle, type IdleResult } from "./workloads/idle.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string", default: "fanout,idle" },
    servers: { type: "string", default: "parley,parley-tls,inspircd,bare" },
    naive: { type: "boolean", default: false },
    workers: { type: "string", default: "1" },
    repeat: { type: "string" },
    scenarios: { type: "string" },
    dist: { type: "boolean", default: false },
    baseline: { type: "string" },
  },
});
const quick = values.quick ?? false;
const only = values.only!.split(",");
const workers = Number(values.workers);
const repeat = Number(values.repeat ?? (quick ? 1 : 3));
let servers = values.servers!.split(",").map((s) => s.trim());
if (values.naive) servers.push("bare-corked", "bare-naive");
const baseline = values.baseline ? path.resolve(values.baseline) : undefined;
if (baseline && !servers.includes("parley-base"))
  servers.splice(servers.indexOf("parley") + 1, 0, "parley-base");
const log = (s: string): void => console.log(s);

if (values.dist) execSync("npm run --silent build", { cwd: ROOT, stdio: "inherit" });

const notes: string[] = [];
if (servers.includes("inspircd") && !findInspircd()) {
  console.log(INSPIRCD_INSTALL_HINT);
  console.log("Comparing with the bare reference only.\n");
  notes.push(`InspIRCd not installed: ${INSPIRCD_INSTALL_HINT}`);
  servers = servers.filter((s) => s !== "inspircd");
}

async function start(name: string, tpl: Template | undefined): Promise<Server> {
  switch (name) {
    case "parley":
    case "parley-tls":
      return startParley({
        insecure: name === "parley",
        dataDir: copyTemplate(tpl!),
        preferDist: values.dist ?? false,
        gcProbe: true,
      });
    case "parley-metrics":
      // The plaintext hub with Prometheus metrics on (their own listener, an ephemeral port): beside
      // `parley` it measures what metrics cost the hot path.
      return startParley({
        insecure: true,
        name,
        dataDir: copyTemplate(tpl!),
        preferDist: values.dist ?? false,
        gcProbe: true,
        args: ["--metrics-port", "0"],
      });
    case "parley-irc":
      // The same hub with its IRC gateway: the generator speaks IRC to it as to InspIRCd, logging in to
      // the template's accounts with PASS (rooms are created over the WebSocket first, then JOINed).
      return startParley({
        insecure: true,
        dataDir: copyTemplate(tpl!),
        preferDist: values.dist ?? false,
        gcProbe: true,
        ircPassword: BENCH_PASSWORD,
      });
    case "parley-base":
      if (!baseline) throw new Error("parley-base needs --baseline DIR");
      return startParley({
        insecure: true,
        name,
        root: baseline,
        dataDir: copyTemplate(tpl!),
        preferDist: values.dist ?? false,
        gcProbe: true,
      });
    case "inspircd": {
      const s = await startInspircd();
      if (!s) throw new Error(INSPIRCD_INSTALL_HINT);
      return s;
    }
    case "bare":
      return startBare("batched");
    case "bare-corked":
      return startBare("corked");
    case "bare-naive":
      return startBare("naive");
    default:
      throw new Error(`unknown server ${name}`);
  }
}

async function withServer<T>(
  name: string,
  tpl: Template | undefined,
  fn: (s: Server) => Promise<T>,
): Promise<T> {
  const server = await start(name, tpl);
  try {
    return await fn(server);
  } finally {
    await server.stop();
    if (server.dataDir) rmSync(server.dataDir, { recursive: true, force: true });
  }
}

type Fanout = FanoutResult & { scenario: string };

/**
 * Per scenario and server, the median of the repeated runs (by deliveries/s for bursts, by p99 for paced
 * runs): other work on a shared machine makes single runs swing by 2× and more. A run with loss or order
 * violations is never hidden: then that run is the one reported.
 */
function medianRuns(all: Fanout[], scenarios: FanoutScenario[]): Fanout[] {
  const out: Fanout[] = [];
  for (const sc of scenarios) {
    for (const name of new Set(all.map((r) => r.server))) {
      const runs = all.filter((r) => r.scenario === sc.name && r.server === name);
      if (runs.length === 0) continue;
      const bad = runs.find((r) => r.loss > 0 || r.orderViolations > 0 || r.sendErrors > 0);
      const key = (r: Fanout): number => (sc.rate === 0 ? r.deliveriesPerSec : -r.latency.p99Ms);
      const sorted = [...runs].sort((a, b) => key(a) - key(b));
      out.push({ ...(bad ?? sorted[Math.floor((sorted.length - 1) / 2)]!), runs: runs.length });
    }
  }
  return out;
}

function ratioRows(sc: FanoutScenario, rs: Fanout[]): Cell[][] {
  const get = (name: string): Fanout | undefined =>
    rs.find((r) => r.scenario === sc.name && r.server === name);
  const p = get("parley");
  const tls = get("parley-tls");
  const pirc = get("parley-irc");
  const irc = get("inspircd");
  const bare = get("bare");
  const clean = (r: Fanout | undefined): boolean =>
    !!r && r.loss === 0 && r.orderViolations === 0 && r.sendErrors === 0;
  if (sc.rate === 0) {
    const vsBare = p && bare ? p.deliveriesPerSec / bare.deliveriesPerSec : undefined;
    const cpuVsIrc = p && irc ? p.deliveriesPerCpuSec / irc.deliveriesPerCpuSec : undefined;
    const pass =
      clean(p) &&
      (vsBare === undefined || vsBare >= (sc.minVsBare ?? 0)) &&
      (cpuVsIrc === undefined || cpuVsIrc >= (sc.minCpuVsIrc ?? 0));
    const row = (measure: string, f: (r: Fanout) => number, verdict: boolean): Cell[] => [
      sc.name,
      measure,
      p ? fmtInt(f(p)) : "–",
      tls ? fmtInt(f(tls)) : "–",
      pirc ? fmtInt(f(pirc)) : "–",
      irc ? fmtInt(f(irc)) : "–",
      bare ? fmtInt(f(bare)) : "–",
      p && irc ? fmtRatio(f(p), f(irc)) : "–",
      pirc && irc ? fmtRatio(f(pirc), f(irc)) : "–",
      p && bare ? fmtRatio(f(p), f(bare)) : "–",
      verdict ? sc.target : "",
      verdict && p ? (pass ? "pass" : "**miss**") : "",
    ];
    return [
      row("deliveries/s", (r) => r.deliveriesPerSec, true),
      row("deliveries / CPU-s", (r) => r.deliveriesPerCpuSec, false),
    ];
  }
  const limit = Number(/≤ (\d+) ms/.exec(sc.target)?.[1] ?? Infinity);
  const pass = clean(p) && !!p && p.latency.p99Ms <= limit;
  return [
    [
      sc.name,
      "p99 ms",
      p ? p.latency.p99Ms : "–",
      tls ? tls.latency.p99Ms : "–",
      pirc ? pirc.latency.p99Ms : "–",
      irc ? irc.latency.p99Ms : "–",
      bare ? bare.latency.p99Ms : "–",
      p && irc ? fmtRatio(p.latency.p99Ms, irc.latency.p99Ms) : "–",
      pirc && irc ? fmtRatio(pirc.latency.p99Ms, irc.latency.p99Ms) : "–",
      p && bare ? fmtRatio(p.latency.p99Ms, bare.latency.p99Ms) : "–",
      sc.target,
      p ? (pass ? "pass" : "**miss**") : "–",
    ],
  ];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Per burst scenario: each side's median and min–max over its runs, and the change of the medians. */
function abTable(all: Fanout[], scenarios: FanoutScenario[]): string {
  const rows: Cell[][] = [];
  for (const sc of scenarios.filter((s) => s.rate === 0)) {
    const runs = (name: string) => all.filter((r) => r.scenario === sc.name && r.server === name);
    const [a, b] = [runs("parley-base"), runs("parley")];
    if (a.length === 0 || b.length === 0) continue;
    const fmt = (n: number) => (n >= 100 ? fmtInt(n) : String(Math.round(n * 10) / 10));
    const measures: Array<[string, (r: Fanout) => number]> = [
      ["deliveries/s", (r) => r.deliveriesPerSec],
      ["deliveries / CPU-s", (r) => r.deliveriesPerCpuSec],
      ["KiB allocated / 1k msgs", (r) => r.gc?.allocatedKiBPer1000 ?? 0],
      ["scavenges / 1k msgs", (r) => r.gc?.scavengesPer1000 ?? 0],
    ];
    for (const [measure, f] of measures) {
      const [ma, mb] = [median(a.map(f)), median(b.map(f))];
      const spread = (xs: Fanout[]) => `${fmt(Math.min(...xs.map(f)))}–${fmt(Math.max(...xs.map(f)))}`;
      rows.push([
        sc.name,
        measure,
        fmt(ma),
        spread(a),
        fmt(mb),
        spread(b),
        ma > 0 ? `${mb >= ma ? "+" : ""}${(((mb - ma) / ma) * 100).toFixed(1)} %` : "–",
      ]);
    }
  }
  return table(
    ["scenario", "measure", "base median", "base min–max", "new median", "new min–max", "change"],
    rows,
  );
}

async function main(): Promise<void> {
  const meta = runMeta(`npm run bench:compare -- ${process.argv.slice(2).join(" ")}`.trim(), quick, workers);
  meta.notes.push(...notes);
  if (repeat > 1)
    meta.notes.push(
      `fan-out: ${repeat} interleaved runs per scenario and server; tables show the median run`,
    );
  const size = sizes(quick);
  const scenarios = fanoutScenarios(quick, values.scenarios);
  const needParley = servers.some((s) => s.startsWith("parley"));
  const count = Math.max(
    only.includes("fanout") ? Math.max(...scenarios.map((s) => s.clients)) : 0,
    only.includes("idle") ? size.idleConnections : 0,
  );
  let tpl: Template | undefined;
  if (needParley) {
    log(`creating ${count} Parley accounts on a template hub…`);
    tpl = await createTemplate(count, log);
  }
  const allFanout: Fanout[] = [];
  const fanout: Fanout[] = [];
  const idle: IdleResult[] = [];
  try {
    if (only.includes("fanout")) {
      for (let round = 1; round <= repeat; round++) {
        for (const sc of scenarios) {
          for (const name of servers) {
            log(`fanout ${sc.name} on ${name}${repeat > 1 ? ` (round ${round}/${repeat})` : ""}…`);
            const r = await withServer(name, tpl, (server) =>
              runFanout({
                server,
                clients: sc.clients,
                rooms: sc.rooms,
                messages: sc.messages,
                rate: sc.rate,
                workers,
                ...(tpl ? { accounts: tpl.accounts } : {}),
                label: sc.name,
              }),
            );
            allFanout.push({ ...r, scenario: sc.name });
            log(
              `  ${fmtInt(r.deliveriesPerSec)} deliveries/s, loss ${r.loss}, order ${r.orderViolations}, p99 ${r.latency.p99Ms} ms`,
            );
          }
        }
      }
      fanout.push(...medianRuns(allFanout, scenarios));
    }
    if (only.includes("idle")) {
      // The idle workload's IRC clients do not log in: parley-irc is measured for fan-out only.
      for (const name of servers.filter((s) => s !== "parley-irc")) {
        log(`idle ${size.idleConnections} on ${name}…`);
        const r = await withServer(name, tpl, (server) =>
          runIdle({ server, connections: size.idleConnections, ...(tpl ? { accounts: tpl.accounts } : {}) }),
        );
        idle.push(r);
        log(`  ${r.perConnectionKiB} KiB per connection`);
      }
    }
  } finally {
    tpl?.dispose();
  }

  meta.finishedAt = new Date().toISOString();
  meta.loadEnd = Math.round(os.loadavg()[0]! * 100) / 100;
  const ratioHeaders = [
    "scenario",
    "measure",
    "parley",
    "parley-tls",
    "parley-irc",
    "inspircd",
    "bare",
    "parley/inspircd",
    "parley-irc/inspircd",
    "parley/bare",
    "target",
    "parley",
  ];
  const sections = [`# Parley compared with InspIRCd and a bare ws server\n\n${metaLines(meta)}`];
  if (fanout.length) {
    sections.push(
      `## ratios and targets\n\n${table(
        ratioHeaders,
        scenarios.flatMap((sc) => ratioRows(sc, fanout)),
      )}`,
    );
  }
  if (idle.length) {
    const p = idle.find((r) => r.server === "parley");
    const irc = idle.find((r) => r.server === "inspircd");
    const bare = idle.find((r) => r.server === "bare");
    const t = idle.find((r) => r.server === "parley-tls");
    sections.push(
      `## idle memory per connection (target ≤ 16 KiB at 5,000, plaintext)\n\n` +
        table(
          [
            "connections",
            "parley KiB",
            "parley-tls KiB",
            "inspircd KiB",
            "bare KiB",
            "parley/inspircd",
            "parley/bare",
            "parley",
          ],
          [
            [
              size.idleConnections,
              p?.perConnectionKiB ?? "–",
              t?.perConnectionKiB ?? "–",
              irc?.perConnectionKiB ?? "–",
              bare?.perConnectionKiB ?? "–",
              p && irc ? fmtRatio(p.perConnectionKiB, irc.perConnectionKiB) : "–",
              p && bare ? fmtRatio(p.perConnectionKiB, bare.perConnectionKiB) : "–",
              p ? (p.perConnectionKiB <= 16 ? "pass" : "**miss**") : "–",
            ],
          ],
        ),
    );
  }
  const probed = fanout.filter((r) => r.gc);
  if (probed.length) {
    sections.push(
      `## hub garbage per 1,000 messages (main thread, median run)\n\n` +
        table(
          ["scenario", "server", "KiB allocated", "scavenges", "GC ms"],
          probed.map((r) => [
            r.scenario,
            r.server,
            fmtInt(r.gc!.allocatedKiBPer1000),
            r.gc!.scavengesPer1000,
            r.gc!.gcMsPer1000,
          ]),
        ),
    );
  }
  if (baseline)
    sections.push(
      `## A/B: this checkout (parley) against ${baseline} (parley-base)\n\n${abTable(allFanout, scenarios)}`,
    );
  if (fanout.length) sections.push(`## fanout details\n\n${fanoutTable(fanout)}`);
  if (idle.length) sections.push(`## idle details\n\n${idleTable(idle)}`);
  const markdown = sections.join("\n\n") + "\n";
  const files = writeResults("compare", meta, markdown, [...allFanout, ...idle]);
  console.log("\n" + markdown);
  console.log(`written: ${path.relative(ROOT, files.md)}, ${path.relative(ROOT, files.json)}`);
}

await main();

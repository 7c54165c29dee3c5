/**
 * Summarizes a V8 CPU profile (`.cpuprofile`, from `npm run bench -- --cpu-prof DIR`): the functions with
 * the most self time, and the source files with the most self time, so hot spots can be quoted as evidence.
 *
 *   npx tsx bench/profile-summary.ts FILE.cpuprofile [--top 25] [--from-ms A] [--to-ms B]
 *
 * The profile covers the hub's whole life (start-up, clients connecting, the measured phase, shutdown);
 * the timeline it prints (busy share per 250 ms) shows where the measured phase is, and --from-ms/--to-ms
 * (from the profile's start) restrict the summary to it.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "25" },
    "from-ms": { type: "string", default: "0" },
    "to-ms": { type: "string", default: "1e12" },
  },
});
const file = positionals[0];
if (!file) {
  console.error("usage: tsx bench/profile-summary.ts FILE.cpuprofile [--top 25]");
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;

const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
const fromUs = Number(values["from-ms"]) * 1000;
const toUs = Number(values["to-ms"]) * 1000;

// Self time per node from the sample deltas (more exact than hitCount × interval), inside the window;
// and a timeline of how busy the thread was.
const selfUs = new Map<number, number>();
const bucketUs = 250_000;
const busy: number[] = [];
let t = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  const b = Math.floor(t / bucketUs);
  while (busy.length <= b) busy.push(0);
  if (!idleIds.has(id)) busy[b]! += dt;
  if (t < fromUs || t > toUs) continue;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
}
console.log("timeline (busy share per 250 ms, from the profile's start):");
console.log(
  busy
    .map((us, i) => `${((i * bucketUs) / 1000).toFixed(0)}:${Math.round((us / bucketUs) * 100)}%`)
    .join(" "),
);
console.log();
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const shortUrl = (url: string): string =>
  url.replace(/^file:\/\/.*?\/(src|node_modules)\//, "$1/") || "(native)";

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || "(anonymous)"} ${shortUrl(url)}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const f = url ? shortUrl(url) : `(${functionName})`;
  byFile.set(f, (byFile.get(f) ?? 0) + us);
}

const pct = (us: number): string => `${((us / total) * 100).toFixed(1)}%`.padStart(6);
console.log(`profile ${file}: ${(total / 1e6).toFixed(2)} s sampled\n`);
console.log("self time by function:");
for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${pct(us)}  ${k}`);
console.log("\nself time by file:");
for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);

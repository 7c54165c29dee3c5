/** Markdown tables and JSON files for benchmark results, and the facts about the machine they need. */
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./servers.js";

export interface RunMeta {
  command: string;
  startedAt: string;
  finishedAt?: string;
  node: string;
  cpus: string;
  cores: number;
  memoryGiB: number;
  gitCommit: string;
  /** 1-minute load average at start and end: other work on the machine skews absolute figures. */
  loadStart: number;
  loadEnd?: number;
  quick: boolean;
  workers: number;
  notes: string[];
}

export function runMeta(command: string, quick: boolean, workers: number): RunMeta {
  let gitCommit = "unknown";
  try {
    gitCommit = execSync("git rev-parse --short HEAD", { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // not a git checkout: leave it unknown
  }
  return {
    command,
    startedAt: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    gitCommit,
    loadStart: Math.round(os.loadavg()[0]! * 100) / 100,
    quick,
    workers,
    notes: [],
  };
}

export type Cell = string | number;

export function table(headers: string[], rows: Cell[][]): string {
  const line = (cells: Cell[]): string => `| ${cells.map((c) => String(c)).join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US");
export const fmtRatio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : "n/a");

export function metaLines(meta: RunMeta): string {
  return [
    `- command: \`${meta.command}\`${meta.quick ? " (quick)" : ""}; commit ${meta.gitCommit}`,
    `- started ${meta.startedAt}, finished ${meta.finishedAt ?? "?"}`,
    `- machine: ${meta.cores} × ${meta.cpus}, ${meta.memoryGiB} GiB; Node ${meta.node}`,
    `- load average (1 min) at start ${meta.loadStart}, at end ${meta.loadEnd ?? "?"} — absolute figures move with it; compare ratios within one run`,
    `- generator: ${meta.workers === 0 ? "in the coordinator thread" : `${meta.workers} worker thread(s)`}, sharing the machine with the server under test`,
    ...meta.notes.map((n) => `- ${n}`),
  ].join("\n");
}

export function writeResults(
  name: string,
  meta: RunMeta,
  markdown: string,
  results: unknown[],
): { md: string; json: string } {
  const dir = path.join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const stamp = meta.startedAt.replace(/[:.]/g, "-").replace(/Z$/, "");
  const md = path.join(dir, `${name}-${stamp}.md`);
  const json = path.join(dir, `${name}-${stamp}.json`);
  writeFileSync(md, markdown);
  writeFileSync(json, JSON.stringify({ meta, results }, null, 2) + "\n");
  return { md, json };
}

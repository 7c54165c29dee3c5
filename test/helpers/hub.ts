/** Starts real hubs for tests: in-process (fast) or as a child process (for kill/restart tests). */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import type { HubConfigInput } from "../../src/hub/config.js";
import { createHub, type HubOptions, type RunningHub } from "../../src/hub/server.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = join(ROOT, "src/cli/main.ts");

export interface TestHub {
  url: string;
  port: number;
  fingerprint: string | undefined;
  dataDir: string;
  stop(): Promise<void>;
}

export async function tempDir(prefix = "parley-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface StartOptions {
  dataDir?: string;
  insecure?: boolean;
  config?: HubConfigInput;
  options?: HubOptions;
}

/** An in-process hub on port 0 with a temporary data folder (removed on stop unless given). */
export async function startHub(opts: StartOptions = {}): Promise<TestHub & { hub: RunningHub }> {
  const dataDir = opts.dataDir ?? (await tempDir());
  // PARLEY_SQLITE_APPEND=worker runs the in-process hubs' appends in the writer thread, as it does
  // for `parley serve` (spawnHub), so any suite can be run both ways.
  const append = process.env["PARLEY_SQLITE_APPEND"];
  const hub = await createHub(
    {
      host: "127.0.0.1",
      port: 0,
      dataDir,
      insecure: opts.insecure ?? false,
      ...(append === "worker" || append === "thread" ? { sqliteAppend: append } : {}),
      ...opts.config,
    },
    { log: pino({ level: process.env["PARLEY_TEST_LOG"] ?? "silent" }), ...opts.options },
  );
  return {
    hub,
    url: hub.url,
    port: hub.port,
    fingerprint: hub.fingerprint,
    dataDir,
    stop: async () => {
      await hub.close();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SpawnedHub extends TestHub {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Sends the signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnOptions {
  dataDir?: string;
  insecure?: boolean;
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** The real CLI (`parley serve`) as a child process. The data folder is kept: it is the caller's to remove. */
export async function spawnHub(opts: SpawnOptions = {}): Promise<SpawnedHub> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const args = ["--import", "tsx", CLI, "serve", "--host", "127.0.0.1", "--data-dir", dataDir];
  if (!(opts.args ?? []).includes("--port")) args.push("--port", "0");
  if (opts.insecure) args.push("--insecure");
  args.push(...(opts.args ?? []));
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PARLEY_LOG_LEVEL: process.env["PARLEY_TEST_LOG"] ?? "warn", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`hub did not start in time:\n${out}\n${err}`)),
      opts.timeoutMs ?? 20_000,
    );
    const check = () => {
      const match = /listening on (\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        proc.stdout.off("data", check);
        resolve(match[1]);
      }
    };
    proc.stdout.on("data", check);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}:\n${out}\n${err}`));
    });
  });
  const fingerprint = /fingerprint: ([0-9A-F:]+)/.exec(out)?.[1];
  return {
    proc,
    url,
    port: Number(new URL(url).port),
    fingerprint,
    dataDir,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
    },
    kill: async (signal: NodeJS.Signals = "SIGKILL") => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

/** A logger whose lines are kept in memory, for tests that check what the hub logs. */
export function capturedLog(level = "info"): { log: Logger; text: () => string } {
  let logged = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged += chunk.toString();
      done();
    },
  });
  return { log: pino({ level }, sink), text: () => logged };
}

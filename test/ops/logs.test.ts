/** `parley serve` logs: readable lines for people, JSON lines for machines. */
import { rm } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readableLogs } from "../../src/hub/server.js";
import { until } from "../cluster/cluster.js";
import { spawnHub } from "../helpers/hub.js";

async function startedLog(args: string[]): Promise<string> {
  const hub = await spawnHub({ insecure: true, args, env: { PARLEY_LOG_LEVEL: "info" } });
  try {
    // The line is written asynchronously: wait for it rather than race the shutdown.
    await until("the hub-started log line", () => hub.stderr().includes("hub started"), 20_000);
    await hub.stop();
    return hub.stderr();
  } finally {
    await rm(hub.dataDir, { recursive: true, force: true });
  }
}

describe("log format", () => {
  it("writes JSON lines when stderr is not a terminal", async () => {
    const log = await startedLog([]);
    const started = log
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; level: number })
      .find((l) => l.msg === "hub started");
    expect(started?.level).toBe(30);
  });

  it("writes readable lines with --log-format pretty", async () => {
    const log = await startedLog(["--log-format", "pretty"]);
    expect(log).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hub started$/m);
    expect(log).not.toMatch(/^\{"level"/m);
  });

  it("chooses readable lines at a terminal only, and never for a log file", () => {
    const tty = process.stderr.isTTY;
    try {
      process.stderr.isTTY = true;
      expect(readableLogs({ logFormat: "auto" })).toBe(true);
      expect(readableLogs({ logFormat: "auto", logFile: "/tmp/x.log" })).toBe(false);
      expect(readableLogs({ logFormat: "json" })).toBe(false);
      process.stderr.isTTY = false;
      expect(readableLogs({ logFormat: "auto" })).toBe(false);
      expect(readableLogs({ logFormat: "pretty", logFile: "/tmp/x.log" })).toBe(true);
    } finally {
      process.stderr.isTTY = tty;
    }
  });
});

/**
 * SIGTERM always ends the real `parley serve` (issue 9, item 7): it stops accepting first, drains,
 * force-closes what is left and exits within its deadline — with a client reconnecting during the
 * drain, and with its log pipe closed (EPIPE at exit used to spin forever in the log's sync flush).
 */
import { afterEach, describe, expect, it } from "vitest";
import { TestClient, registerAndLogin } from "../helpers/client.js";
import { ROOT, spawnHub, type SpawnedHub } from "../helpers/hub.js";
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { join } from "node:path";

const hubs: SpawnedHub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) {
    await hub.kill("SIGKILL");
    await rm(hub.dataDir, { recursive: true, force: true });
  }
});

/** Resolves with the ms from now until the process exits, or rejects after `limitMs`. */
function exitWithin(hub: SpawnedHub, limitMs: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    if (hub.proc.exitCode !== null || hub.proc.signalCode !== null) return resolve(0);
    const timer = setTimeout(() => reject(new Error(`hub still running after ${limitMs} ms`)), limitMs);
    hub.proc.once("exit", () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

describe("SIGTERM", () => {
  it("ends the hub although a client keeps reconnecting during the drain", async () => {
    const hub = await spawnHub({ args: ["--shutdown-timeout-ms", "5000"] });
    hubs.push(hub);
    // A client that stops reading: it never answers the hub's close, so the drain lasts its 2 s.
    const stubborn = await registerAndLogin(hub.url, "stubborn");
    (stubborn.ws as unknown as { _socket: Socket })._socket.pause();
    await waitForSignalHandler(hub);
    hub.proc.kill("SIGTERM");
    const exited = exitWithin(hub, 20_000);
    let running = true;
    void exited.finally(() => (running = false));
    // Reconnect ~300 ms after the signal, and keep trying while the process lives; a client that
    // gets in stays connected, as a real one would.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const accepted: TestClient[] = [];
    while (running) {
      const again = await TestClient.connect(hub.url).catch(() => undefined);
      if (again) accepted.push(again);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await exited).toBeLessThan(6_000);
    expect(accepted).toHaveLength(0);
    expect(hub.proc.exitCode).toBe(0);
  });

  it("ends the hub with its log pipe closed (EPIPE), neither hanging nor crashing", async () => {
    const hub = await spawnHub({ env: { PARLEY_LOG_LEVEL: "info" } });
    hubs.push(hub);
    await waitForSignalHandler(hub);
    // The hub's stderr is a pipe; closing our end makes its every further write fail with EPIPE.
    hub.proc.stderr!.destroy();
    const clients = await Promise.all([0, 1, 2].map(() => TestClient.connect(hub.url)));
    hub.proc.kill("SIGTERM");
    expect(await exitWithin(hub, 15_000)).toBeLessThan(11_000);
    expect(hub.proc.exitCode).toBe(0);
    await Promise.all(clients.map((c) => c.closed));
  });

  it("exits at once when its log destination is a closed pipe (no endless EPIPE retry)", async () => {
    const proc = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "test/integration/fixtures/log-then-exit.ts")],
      { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    // Started (tsx can take a while on a loaded machine): close our end of its stderr, let it go on.
    await new Promise<void>((resolve) => proc.stdout.once("data", () => resolve()));
    const killer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    proc.stderr.destroy();
    proc.stdin.end();
    const code = await exited;
    clearTimeout(killer);
    expect(code).toBe(0);
  });
});

/** The hub prints its last start-up line after installing its signal handlers. */
async function waitForSignalHandler(hub: SpawnedHub): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!hub.stdout().includes("data folder:")) {
    if (performance.now() > deadline) throw new Error("hub did not finish starting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

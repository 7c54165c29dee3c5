/**
 * Two hosts for real: each peer in its own network namespace, joined by a veth pair, so the direct
 * path crosses an actual (virtual) network link and each side discovers and announces its interface
 * address rather than loopback. Needs root (or CAP_NET_ADMIN) and iproute2.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/hub.js";

const suffix = `${process.pid % 10_000}`;
const nsA = `parley-a-${suffix}`;
const nsB = `parley-b-${suffix}`;
const subnet = `10.${100 + (process.pid % 100)}.${process.pid % 250}`;

function ip(...args: string[]): boolean {
  return spawnSync("ip", args, { stdio: "ignore", timeout: 10_000 }).status === 0;
}

/** Probed once: creating a namespace is exactly what the test needs to be allowed to do. */
const probe = `parley-probe-${suffix}`;
const canNetns = ip("netns", "add", probe) && ip("netns", "del", probe);

// Skipped, with this reason, where namespaces cannot be created (not root, no CAP_NET_ADMIN, no iproute2).
describe.skipIf(!canNetns)("two network namespaces as two hosts", () => {
  beforeAll(() => {
    const steps: string[][] = [
      ["netns", "add", nsA],
      ["netns", "add", nsB],
      ["link", "add", `pa${suffix}`, "type", "veth", "peer", "name", `pb${suffix}`],
      ["link", "set", `pa${suffix}`, "netns", nsA],
      ["link", "set", `pb${suffix}`, "netns", nsB],
      ["-n", nsA, "addr", "add", `${subnet}.1/24`, "dev", `pa${suffix}`],
      ["-n", nsB, "addr", "add", `${subnet}.2/24`, "dev", `pb${suffix}`],
      ["-n", nsA, "link", "set", `pa${suffix}`, "up"],
      ["-n", nsB, "link", "set", `pb${suffix}`, "up"],
      ["-n", nsA, "link", "set", "lo", "up"],
      ["-n", nsB, "link", "set", "lo", "up"],
    ];
    for (const step of steps) if (!ip(...step)) throw new Error(`ip ${step.join(" ")} failed`);
  });

  afterAll(() => {
    ip("netns", "del", nsA);
    ip("netns", "del", nsB);
  });

  function peerIn(ns: string, role: "accept" | "connect", count: number) {
    const proc: ChildProcess = spawn(
      "ip",
      [
        "netns",
        "exec",
        ns,
        process.execPath,
        "--import",
        "tsx",
        "test/peer/helpers/netns-peer.ts",
        role,
        String(count),
      ],
      { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] },
    );
    const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
    const queue: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    lines.on("line", (line) => {
      queue.push(JSON.parse(line) as Record<string, unknown>);
      waiters.splice(0).forEach((w) => w());
    });
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const next = async (): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + 25_000;
      while (queue.length === 0) {
        if (Date.now() > deadline || proc.exitCode !== null)
          throw new Error(`${ns} ${role}: no output\n${stderr}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return queue.shift() as Record<string, unknown>;
    };
    return { proc, next, send: (value: object) => proc.stdin?.write(`${JSON.stringify(value)}\n`) };
  }

  it("chats directly across the veth link, each side announcing its own interface address", async () => {
    const count = 20;
    const b = peerIn(nsB, "accept", count);
    const a = peerIn(nsA, "connect", count);
    try {
      const readyB = await b.next();
      const readyA = await a.next();
      expect(readyB).toMatchObject({ type: "ready" });
      // Bound to 0.0.0.0, each announces the address of its veth end, not 127.0.0.1.
      expect((readyB["endpoints"] as Array<{ host: string }>).map((e) => e.host)).toEqual([`${subnet}.2`]);
      expect((readyA["endpoints"] as Array<{ host: string }>).map((e) => e.host)).toEqual([`${subnet}.1`]);

      b.send({ peerKey: readyA["key"] });
      a.send({ peerKey: readyB["key"], endpoints: readyB["endpoints"] });
      const [doneA, doneB] = await Promise.all([a.next(), b.next()]);
      const sent = Array.from({ length: count }, (_, i) => `hello ${i}`);
      expect(doneB).toEqual({ type: "done", received: sent, path: "direct" });
      expect(doneA).toEqual({
        type: "done",
        received: sent.map((s) => `echo: ${s}`),
        path: "direct",
        receipts: count,
      });
    } finally {
      a.proc.kill();
      b.proc.kill();
    }
  });
});

/**
 * One hostile user against a hub, and a bystander who measures round trips meanwhile (issue 9): used by
 * the `abuse` benchmark and by test/e2e/hostile.test.ts. The attacker runs in its own process
 * (bench/lib/abuse-attacker.ts) so that its client-side work does not slow the bystander's measuring.
 *
 * Addresses: the hub runs with --limit-loopback; the attacker connects from 127.0.0.1 and the
 * bystander from 127.0.0.2 (any 127.x address reaches the loopback interface), so per-address limits
 * tell them apart without a proxy.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

export const ATTACKS = ["connections", "rooms", "listing", "messages", "passwords"] as const;
export type Attack = (typeof ATTACKS)[number];

export const BYSTANDER_ADDRESS = "127.0.0.2";
export const BYSTANDER_ROOM = "bystanders";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Reply {
  re: number;
  ok: boolean;
  error?: { code: string; retryAfterMs?: number };
  [key: string]: unknown;
}

/** A minimal wire client: requests by id, replies as promises. */
export class WireClient {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  readonly closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once("close", () => resolve()));
    ws.on("message", (data, binary) => {
      if (binary) return;
      const frame = JSON.parse(data.toString()) as Partial<Reply>;
      if (typeof frame.re === "number") {
        this.pending.get(frame.re)?.(frame as Reply);
        this.pending.delete(frame.re);
      }
    });
    void this.closed.then(() => {
      for (const resolve of this.pending.values()) resolve({ re: 0, ok: false, error: { code: "CLOSED" } });
      this.pending.clear();
    });
  }

  static connect(url: string, localAddress?: string): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, ["parley.v1"], {
        rejectUnauthorized: false,
        ...(localAddress && { localAddress }),
      });
      ws.once("open", () => resolve(new WireClient(ws)));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode}`));
      });
    });
  }

  request(op: string, params: Record<string, unknown> = {}): Promise<Reply> {
    if (this.ws.readyState !== WebSocket.OPEN) {
      return Promise.resolve({ re: 0, ok: false, error: { code: "CLOSED" } });
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, op, ...params }));
    });
  }

  async call(op: string, params: Record<string, unknown> = {}): Promise<Reply> {
    const reply = await this.request(op, params);
    if (!reply.ok) throw new Error(`${op}: ${reply.error?.code ?? "failed"}`);
    return reply;
  }

  close(): void {
    this.ws.terminate();
  }
}

export const BYSTANDER_PASSWORD = "bystander password 7447";
export const ROOM_PASSWORD = "the bystanders' room secret";

/** The bystander: an account in its own password-protected room, connected from BYSTANDER_ADDRESS. */
export async function bystander(url: string): Promise<WireClient> {
  const client = await WireClient.connect(url, BYSTANDER_ADDRESS);
  await client.call("hello", { client: "abuse-bystander", protocol: 1 });
  const registered = await client.request("register", {
    username: "bystander",
    password: BYSTANDER_PASSWORD,
  });
  if (!registered.ok && registered.error?.code !== "USERNAME_TAKEN") throw new Error("bystander register");
  await client.call("login", { username: "bystander", password: BYSTANDER_PASSWORD });
  const created = await client.request("room.create", { name: BYSTANDER_ROOM, password: ROOM_PASSWORD });
  if (!created.ok && created.error?.code !== "ROOM_EXISTS") throw new Error("bystander room");
  return client;
}

export interface RoundTrips {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * `count` round trips (msg.send to the bystander's room, then room.history of it, alternately), one
 * every `intervalMs` — inside the bystander's own message and request limits.
 */
export async function measure(client: WireClient, count: number, intervalMs = 60): Promise<RoundTrips> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const reply =
      i % 2 === 0
        ? await client.request("msg.send", {
            room: BYSTANDER_ROOM,
            body: `ping ${i}`,
            cid: `${Date.now()}-${i}`,
          })
        : await client.request("room.history", { room: BYSTANDER_ROOM, limit: 20 });
    const took = performance.now() - started;
    if (!reply.ok)
      throw new Error(`bystander ${i % 2 === 0 ? "msg.send" : "room.history"}: ${reply.error?.code}`);
    times.push(took);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - took)));
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] ?? 0;
  return { samples: times.length, p50: at(0.5), p99: at(0.99), max: times.at(-1) ?? 0 };
}

/** What the attacker saw: how often each limit engaged. */
export type AttackReport = Record<string, number>;

/** Starts the attacker process; `stop()` ends it and resolves its report. */
export function startAttacker(
  url: string,
  attacks: readonly Attack[],
): { ready: Promise<void>; stop: () => Promise<AttackReport>; proc: ChildProcess } {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "bench/lib/abuse-attacker.ts"), url, attacks.join(",")],
    { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] },
  );
  let out = "";
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (out.includes("attacking\n")) resolve();
    };
    proc.stdout!.on("data", check);
    void exited.then(() => reject(new Error(`attacker exited before attacking:\n${out}`)));
  });
  return {
    proc,
    ready,
    stop: async () => {
      proc.stdin!.end();
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      return line ? (JSON.parse(line) as AttackReport) : {};
    },
  };
}

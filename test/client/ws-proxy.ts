/**
 * A WebSocket proxy in front of a real (insecure, ws://) hub that forwards every frame both ways, except
 * what a test asks it to treat otherwise: `refuse("msg.send", error)` answers the next such request with
 * that error reply and never forwards it, the way a hub whose storage refuses writes does; `hold(op)`
 * keeps the next such request back until `release()`; `drop(ev)` loses the hub's events of that name.
 */
import WebSocket, { WebSocketServer, type RawData } from "ws";
import type { WireError } from "../../src/protocol/index.js";
import { SUBPROTOCOL } from "../../src/protocol/limits.js";

export interface WsProxy {
  /** ws://127.0.0.1:PORT/v1 */
  url: string;
  /** Answers the next `count` requests of `op` with `error` instead of forwarding them. */
  refuse(op: string, error: WireError, count?: number): void;
  /** How many requests of `op` were answered by the proxy. */
  refused(op: string): number;
  /** Keeps the next request of `op` back; resolves once it was held. */
  hold(op: string): Promise<void>;
  /** Forwards what `hold` kept back. */
  release(): void;
  /** Loses every event named `ev` from the hub. */
  drop(ev: string): void;
  /** Rewrites every text frame from the hub (a tampering middlebox; null from it drops the frame); null stops. */
  rewriteDown(fn: ((text: string) => string | null) | null): void;
  /** Holds back every frame from the hub while on (a slow path); off forwards them, in order. */
  pauseDown(on: boolean): void;
  close(): Promise<void>;
}

export async function startWsProxy(hubUrl: string): Promise<WsProxy> {
  const refusals = new Map<string, { error: WireError; left: number }>();
  const counts = new Map<string, number>();
  const holding = new Map<string, () => void>();
  const held: Array<() => void> = [];
  const dropped = new Set<string>();
  let rewrite: ((text: string) => string | null) | null = null;
  let paused: Array<() => void> | null = null;
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  server.on("connection", (client, req) => {
    const upstream = new WebSocket(new URL(req.url ?? "/v1", hubUrl), [SUBPROTOCOL]);
    const early: Array<{ data: RawData; binary: boolean }> = [];
    upstream.on("open", () => {
      for (const f of early.splice(0)) upstream.send(f.data, { binary: f.binary });
    });
    upstream.on("message", (data, binary) => {
      if (paused) {
        paused.push(() => client.send(data, { binary }));
        return;
      }
      if (!binary && dropped.size > 0) {
        const ev = (JSON.parse(data.toString()) as { ev?: unknown }).ev;
        if (typeof ev === "string" && dropped.has(ev)) return;
      }
      if (!binary && rewrite) {
        const text = rewrite(data.toString());
        if (text !== null) client.send(text, { binary: false });
        return;
      }
      client.send(data, { binary });
    });
    client.on("message", (data, binary) => {
      if (!binary) {
        const frame = JSON.parse(data.toString()) as { id?: unknown; op?: unknown };
        const refusal = typeof frame.op === "string" ? refusals.get(frame.op) : undefined;
        if (refusal && refusal.left > 0 && typeof frame.op === "string") {
          refusal.left -= 1;
          counts.set(frame.op, (counts.get(frame.op) ?? 0) + 1);
          client.send(JSON.stringify({ re: frame.id, ok: false, error: refusal.error }));
          return;
        }
        const onHeld = typeof frame.op === "string" ? holding.get(frame.op) : undefined;
        if (onHeld && typeof frame.op === "string") {
          holding.delete(frame.op);
          held.push(() => upstream.send(data, { binary }));
          onHeld();
          return;
        }
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
      else early.push({ data, binary });
    });
    const end = (): void => {
      client.close();
      upstream.close();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/v1`,
    refuse: (op, error, count = 1) => refusals.set(op, { error, left: count }),
    refused: (op) => counts.get(op) ?? 0,
    hold: (op) => new Promise<void>((resolve) => holding.set(op, resolve)),
    release: () => {
      for (const send of held.splice(0)) send();
    },
    drop: (ev) => dropped.add(ev),
    rewriteDown: (fn) => {
      rewrite = fn;
    },
    pauseDown: (on) => {
      if (on) paused ??= [];
      else {
        const held = paused ?? [];
        paused = null;
        for (const send of held) send();
      }
    },
    close: async () => {
      for (const c of server.clients) c.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Connection admission through a real hub (issue 9, item 4): per-address caps and connection rates —
 * at the TCP level, and behind a trusted proxy on the forwarded client address — a global cap refused
 * with HTTP 503 + Retry-After, and deadlines for the TLS handshake and the HTTP upgrade — but none
 * for a file upload's body.
 */
import { randomBytes } from "node:crypto";
import { connect as tcpConnect, type Socket } from "node:net";
import { Readable } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { HubConfigInput } from "../../src/hub/config.js";
import { SUBPROTOCOL } from "../../src/protocol/limits.js";
import { registerAndLogin } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { http } from "../helpers/http.js";

const hubs: TestHub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.stop();
});

async function hubWith(config: HubConfigInput): Promise<TestHub> {
  const hub = await startHub({ config });
  hubs.push(hub);
  return hub;
}

/** Connects, or says how the hub refused: an HTTP status with its Retry-After, or a dropped socket. */
function attempt(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ ok: true; ws: WebSocket } | { ok: false; status?: number; retryAfter?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, [SUBPROTOCOL], { rejectUnauthorized: false, headers });
    ws.once("open", () => resolve({ ok: true, ws }));
    ws.once("unexpected-response", (_req, res) => {
      resolve({ ok: false, status: res.statusCode ?? 0, retryAfter: String(res.headers["retry-after"]) });
      res.resume();
      ws.terminate();
    });
    ws.once("error", () => resolve({ ok: false }));
  });
}

const closeAll = (results: Awaited<ReturnType<typeof attempt>>[]) => {
  for (const r of results) if (r.ok) r.ws.terminate();
};

describe("per address, at the TCP level", () => {
  it("admits at most --max-connections-per-address at once, however many try at the same moment", async () => {
    const hub = await hubWith({
      limitLoopback: true,
      maxConnectionsPerAddress: 4,
      connectionRatePerAddress: 1000,
    });
    const results = await Promise.all(Array.from({ length: 40 }, () => attempt(hub.url)));
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    // A place frees up when one closes.
    const first = results.find((r) => r.ok);
    if (first?.ok) first.ws.terminate();
    await waitFor(async () => {
      const next = await attempt(hub.url);
      if (next.ok) next.ws.terminate();
      return next.ok;
    });
    closeAll(results);
  });

  it("throttles new connections per second, even when each is closed at once", async () => {
    const hub = await hubWith({
      limitLoopback: true,
      maxConnectionsPerAddress: 3,
      connectionRatePerAddress: 0.1,
    });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await attempt(hub.url);
      outcomes.push(r.ok);
      if (r.ok) r.ws.close();
    }
    // A bucket of 3 (the per-address cap), refilling at one per 10 s.
    expect(outcomes).toEqual([true, true, true, false, false]);
  });

  it("leaves loopback alone by default (a local proxy, tests and benchmarks)", async () => {
    const hub = await hubWith({ maxConnectionsPerAddress: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, () => attempt(hub.url)));
    expect(results.filter((r) => r.ok)).toHaveLength(6);
    closeAll(results);
  });
});

describe("behind a trusted proxy", () => {
  it("counts the forwarded client address and refuses with 429 + Retry-After", async () => {
    const hub = await hubWith({
      trustProxy: "127.0.0.1",
      limitLoopback: true,
      maxConnectionsPerAddress: 3,
      connectionRatePerAddress: 1000,
    });
    const client = { "X-Forwarded-For": "203.0.113.5" };
    const results = await Promise.all(Array.from({ length: 10 }, () => attempt(hub.url, client)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.status === 429 && r.retryAfter === "5")).toHaveLength(7);
    // The proxy itself is not capped: another client behind it gets in.
    const other = await attempt(hub.url, { "X-Forwarded-For": "203.0.113.6" });
    expect(other.ok).toBe(true);
    closeAll([...results, other]);
  });
});

describe("global cap", () => {
  it("refuses WebSocket connections past --max-connections with 503 + Retry-After", async () => {
    const hub = await hubWith({ maxConnections: 3 });
    const results = await Promise.all(Array.from({ length: 8 }, () => attempt(hub.url)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.status === 503 && r.retryAfter === "5")).toHaveLength(5);
    closeAll(results);
    // Room again once they are gone.
    await waitFor(async () => {
      const next = await attempt(hub.url);
      if (next.ok) next.ws.terminate();
      return next.ok;
    });
  });
});

describe("handshake deadlines", () => {
  /** ms until the hub closes a socket that stalls its handshake (rejects after 8 s). */
  function closedAfter(socket: Socket): Promise<number> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the hub kept a stalled handshake open")), 8000);
      socket.on("error", () => {});
      socket.once("close", () => {
        clearTimeout(timer);
        resolve(performance.now() - started);
      });
    });
  }

  it("drops a TLS handshake that never completes (Node's default is 120 s)", async () => {
    const hub = await hubWith({ handshakeTimeoutMs: 500 });
    // TCP only: no ClientHello ever comes.
    const socket = tcpConnect(hub.port, "127.0.0.1");
    expect(await closedAfter(socket)).toBeLessThan(8000);
  });

  it("drops an upgrade request whose headers never end (slowloris)", async () => {
    const hub = await hubWith({ handshakeTimeoutMs: 500 });
    const socket = tlsConnect({ host: "127.0.0.1", port: hub.port, rejectUnauthorized: false });
    await new Promise((resolve) => socket.once("secureConnect", resolve));
    socket.write("GET /v1 HTTP/1.1\r\nHost: x\r\n");
    const trickle = setInterval(() => socket.write("X-Slow: 1\r\n"), 200);
    try {
      expect(await closedAfter(socket)).toBeLessThan(8000);
    } finally {
      clearInterval(trickle);
    }
  });
});

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("deadlines and long requests", () => {
  it("lets a file upload's body take longer than the handshake deadline (headers alone have it)", async () => {
    const hub = await hubWith({ handshakeTimeoutMs: 500 });
    const alice = await registerAndLogin(hub.url, "alice");
    try {
      await alice.call("room.create", { name: "slow" });
      const bytes = randomBytes(8 * 1024);
      const slot = await alice.call("file.prepare", { room: "slow", name: "slow.bin", size: bytes.length });
      // Eight chunks, 250 ms apart: two seconds for the body, four times the deadline.
      const body = Readable.from(
        (async function* () {
          for (let i = 0; i < 8; i++) {
            await new Promise((resolve) => setTimeout(resolve, 250));
            yield bytes.subarray(i * 1024, (i + 1) * 1024);
          }
        })(),
      );
      const put = await http(slot.uploadUrl, {
        method: "PUT",
        token: alice.token,
        body,
        headers: { "content-length": bytes.length },
      });
      expect(put.status, put.body.toString()).toBe(201);
      const got = await http(slot.uploadUrl, { token: alice.token });
      expect(got.body.equals(bytes)).toBe(true);
    } finally {
      await alice.close();
    }
  });
});

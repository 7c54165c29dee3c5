/**
 * A small run of the benchmark load generator against real servers: a TLS hub (in-process, real
 * WebSocket + TLS, pinned fingerprint) and the bare reference. It proves the generator counts every
 * delivery, in order, and decodes its latencies — the full benchmarks are `npm run bench`, not tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBareServer, type BareServer } from "../../bench/bare-server.js";
import { BENCH_PASSWORD, createAccounts, type Account } from "../../bench/lib/accounts.js";
import { decodeBodyAt, encodeBody, findBody } from "../../bench/lib/body.js";
import { Histogram } from "../../bench/lib/histogram.js";
import { runFanout } from "../../bench/workloads/fanout.js";
import { runFiles } from "../../bench/workloads/files.js";
import { startHub } from "../helpers/hub.js";

describe("benchmark load generator (smoke)", () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  let bare: BareServer;
  let accounts: Account[];
  let server: {
    name: string;
    proto: "parley";
    host: string;
    port: number;
    tls: boolean;
    fingerprint: string;
    pid: number;
  };

  beforeAll(async () => {
    hub = await startHub({ config: { ircPort: 0 } });
    bare = await startBareServer(0);
    const url = new URL(hub.url);
    expect(url.protocol).toBe("wss:");
    server = {
      name: "parley-tls",
      proto: "parley",
      host: url.hostname,
      port: Number(url.port),
      tls: true,
      fingerprint: hub.fingerprint!,
      pid: process.pid,
    };
    accounts = await createAccounts(server, 6, "smoke", 3);
  });

  afterAll(async () => {
    await bare?.close();
    await hub?.stop();
  });

  it("encodes fixed-width bodies that it finds and decodes inside other bytes", () => {
    const body = encodeBody(12, 345, 6789, 1_234_567);
    const frame = Buffer.from(`{"ev":"message","room":"r","body":"${body}"}`);
    const out = { room: 0, sender: 0, seq: 0, timeUs: 0 };
    const at = findBody(frame);
    expect(at).toBeGreaterThan(0);
    expect(decodeBodyAt(frame, at, out)).toBe(true);
    expect(out).toEqual({ room: 12, sender: 345, seq: 6789, timeUs: 1_234_567 });
    expect(findBody(Buffer.from('{"ev":"presence"}'))).toBe(-1);
  });

  it("moves files up and down through the hub and checks what comes back (files)", async () => {
    const r = await runFiles({ server, account: accounts[5]!, sizeMiB: 2, rounds: 2 });
    expect(r.failures).toBe(0);
    expect(r.uploadMBps.min).toBeGreaterThan(0);
    expect(r.downloadMBps.min).toBeGreaterThan(0);
  });

  it("reports percentiles within the histogram's precision", () => {
    const h = new Histogram();
    for (let us = 1; us <= 10_000; us++) h.record(us);
    expect(h.percentile(50)).toBeGreaterThanOrEqual(5000);
    expect(h.percentile(50)).toBeLessThanOrEqual(5000 * 1.04);
    expect(h.percentile(99)).toBeGreaterThanOrEqual(9900);
    expect(h.percentile(100)).toBe(10_000);
  });

  it("delivers every Parley message over TLS exactly once and in order (burst)", async () => {
    const r = await runFanout({
      server,
      clients: 6,
      rooms: 2,
      messages: 5,
      rate: 0,
      workers: 0,
      accounts,
      label: "smokeb",
    });
    // 2 rooms of 3: each client receives 5 messages from each of the 2 others.
    expect(r.expected).toBe(60);
    expect(r.delivered).toBe(60);
    expect(r.loss).toBe(0);
    expect(r.orderViolations).toBe(0);
    expect(r.misrouted).toBe(0);
    expect(r.sendErrors).toBe(0);
    expect(r.acked).toBe(30);
    expect(r.latency.maxMs).toBeGreaterThan(0);
    expect(r.deliveriesPerSec).toBeGreaterThan(0);
  });

  it("paces sends at the asked rate without loss", async () => {
    const r = await runFanout({
      server,
      clients: 6,
      rooms: 1,
      messages: 4,
      rate: 60,
      workers: 0,
      accounts,
      label: "smokep",
    });
    expect(r, JSON.stringify(r)).toMatchObject({ delivered: 6 * 5 * 4 });
    expect(r.loss).toBe(0);
    expect(r.orderViolations).toBe(0);
    // 24 sends at 60/s take about 0.4 s; a burst would finish far sooner.
    expect(r.durationMs).toBeGreaterThanOrEqual(300);
  });

  it("delivers every message through the hub's IRC gateway exactly once and in order (parley-irc)", async () => {
    // As bench:compare's parley-irc: rooms created over the WebSocket, IRC clients log in with PASS.
    const r = await runFanout({
      server: {
        name: "parley-irc",
        proto: "irc",
        host: "127.0.0.1",
        port: hub.hub.irc!.port!,
        tls: false,
        ircPassword: BENCH_PASSWORD,
        parleyWs: server,
        pid: process.pid,
      },
      clients: 6,
      rooms: 2,
      messages: 5,
      rate: 0,
      workers: 0,
      accounts,
      label: "smokeirc",
    });
    expect(r.expected).toBe(60);
    expect(r.delivered).toBe(60);
    expect(r.loss).toBe(0);
    expect(r.orderViolations).toBe(0);
    expect(r.misrouted).toBe(0);
    expect(r.closedEarly).toBe(0);
  });

  it("drives the bare reference server from a worker thread", async () => {
    const r = await runFanout({
      server: {
        name: "bare",
        proto: "bare",
        host: "127.0.0.1",
        port: bare.port,
        tls: false,
        pid: process.pid,
      },
      clients: 8,
      rooms: 2,
      messages: 10,
      rate: 0,
      workers: 1,
      label: "smokebare",
    });
    expect(r.expected).toBe(8 * 3 * 10);
    expect(r.delivered).toBe(r.expected);
    expect(r.orderViolations).toBe(0);
  });
});

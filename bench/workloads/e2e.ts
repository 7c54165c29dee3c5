/**
 * The `e2e` workload: fan-out into an end-to-end encrypted room of D member devices (one connection per
 * member, one device each). Four members send M sealed envelopes of the real shape and size — a body
 * of B characters sealed (random bytes of the sealed length), one HPKE-sized sealed key per device, a
 * signature — paced at R messages a second (0: as fast as the hub answers); every member receives its
 * copy (the common part and its own sealed key). The hub checks and stores envelopes without opening
 * them, so random bytes cost it what real ciphertext does. Reports messages/s (stored and delivered to
 * every member), deliveries/s, latency from send to each member's receipt (p50, p99), loss, doubles, the
 * envelope's size and the hub's CPU share. Beside it, the sender's own cost: real sealing
 * (src/client/e2e-crypto.ts: HPKE per device, AES-GCM, Ed25519) of one message to D devices.
 */
import { randomBytes } from "node:crypto";
import type { Account } from "../lib/accounts.js";
import { microClock } from "../lib/clock.js";
import type { ServerInfo } from "../lib/connect.js";
import { Histogram, summarize, type LatencySummary } from "../lib/histogram.js";
import { ParleyConn } from "../lib/parley.js";
import { cpuShare, sampleProcess } from "../lib/proc.js";
import { sealMessage } from "../../src/client/e2e-crypto.js";
import { deviceWith } from "../../src/peer/device.js";

export interface E2eOptions {
  server: ServerInfo & { pid: number };
  accounts: Account[];
  devices: number;
  messages: number;
  /** msg/s across the senders; 0 = burst (each sender keeps `window` sends in flight). */
  rate: number;
  bodyChars: number;
  label: string;
  /** The control: the same room and messages in plain text (a room without e2e), for the ratio. */
  plain?: boolean;
}

export interface E2eResult {
  workload: "e2e";
  server: string;
  label: string;
  devices: number;
  messages: number;
  rate: number;
  envelopeBytes: number;
  messagesPerSec: number;
  deliveriesPerSec: number;
  latency: LatencySummary;
  loss: number;
  duplicates: number;
  serverCpu: number;
  /** The sender's own work: sealing one message to `devices` devices, ms (median of a few). */
  sealMs: number;
}

const SENDERS = 4;
const WINDOW = 32;
const b64 = (bytes: number): string => randomBytes(bytes).toString("base64");

/** The sender's cost, measured with the real code: HPKE to each device, AES-GCM once, Ed25519 once. */
async function sealCost(devices: number, bodyChars: number): Promise<number> {
  const sender = await deviceWith();
  const recipients = await Promise.all(
    Array.from({ length: devices }, async (_, i) => {
      const d = await deviceWith();
      return { user: `member${i}`, device: d.id, encKey: d.encKey };
    }),
  );
  const text = "x".repeat(bodyChars);
  const times: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const t = performance.now();
    await sealMessage("bench", text, sender, i, recipients);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[2]! * 10) / 10;
}

export async function runE2e(opts: E2eOptions): Promise<E2eResult> {
  const clock = microClock(Date.now());
  const members = opts.accounts.slice(0, opts.devices);
  if (members.length < opts.devices) throw new Error(`e2e needs ${opts.devices} accounts`);
  const conns = await Promise.all(members.map(() => ParleyConn.connect(opts.server, clock)));
  const room = `e2e-${randomBytes(3).toString("hex")}`;
  try {
    for (const [i, conn] of conns.entries()) await conn.login(members[i]!.username, members[i]!.password);
    await conns[0]!.request("room.create", { name: room, ...(opts.plain ? {} : { e2e: true }) });
    for (const conn of conns.slice(1)) await conn.request("room.join", { room });

    // One device per member; sealed body = JSON {"body": …} + the 16-byte tag; sealed key = 32 + 32 + 16.
    const deviceIds = members.map((_, i) => i.toString(16).padStart(16, "0"));
    const keys: Record<string, Record<string, string>> = {};
    members.forEach((m, i) => (keys[m.username] = { [deviceIds[i]!]: b64(80) }));
    const sealedBody = b64(opts.bodyChars + 11 + 16);
    const envelope = (n: number) => ({
      v: 1,
      device: "f".repeat(16),
      n,
      iv: b64(12),
      body: sealedBody,
      kc: b64(32),
      sig: b64(64),
      keys,
    });
    // The plain control carries its number the same way, in the text.
    const plainBody = (n: number) => `"n":${n} ${"x".repeat(Math.max(0, opts.bodyChars - 12))}`;
    const envelopeBytes = opts.plain
      ? Buffer.byteLength(JSON.stringify(plainBody(1)))
      : Buffer.byteLength(JSON.stringify(envelope(1)));

    // Receivers: the counter `n` says which message it is (unique across senders here).
    const sentAt = new Float64Array(opts.messages + 1);
    const seen = conns.map(() => new Uint8Array(opts.messages + 1));
    const hist = new Histogram();
    let received = 0;
    let duplicates = 0;
    let lastAt = 0;
    const expected = opts.messages * opts.devices;
    let done!: () => void;
    const allIn = new Promise<void>((resolve) => (done = resolve));
    // `"n":7` in an e2e copy, `\"n\":7` inside a plain body.
    const N_RE = /\\?"n\\?":(\d+)/;
    conns.forEach((conn, r) => {
      conn.onHotFrame = (payload, now) => {
        if (payload.indexOf('"ev":"message"') === -1) return false;
        const match = N_RE.exec(payload.toString("latin1", 0, Math.min(payload.length, 400)));
        if (!match) return true;
        const n = Number(match[1]);
        if (seen[r]![n]) {
          duplicates++;
          return true;
        }
        seen[r]![n] = 1;
        hist.record(Math.max(0, now - sentAt[n]!));
        lastAt = now;
        if (++received === expected) done();
        return true;
      };
    });

    const before = sampleProcess(opts.server.pid);
    const start = clock();
    let next = 1;
    const sendOne = async (sender: ParleyConn): Promise<void> => {
      const n = next++;
      sentAt[n] = clock();
      await sender.request(
        "msg.send",
        opts.plain
          ? { room, body: plainBody(n), cid: `e2e-${n}` }
          : { room, body: "", cid: `e2e-${n}`, e2e: envelope(n) },
      );
    };
    if (opts.rate > 0) {
      const gapUs = 1e6 / opts.rate;
      const pending: Promise<void>[] = [];
      for (let i = 0; i < opts.messages; i++) {
        const due = start + i * gapUs;
        const wait = (due - clock()) / 1000;
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        pending.push(sendOne(conns[i % SENDERS]!));
      }
      await Promise.all(pending);
    } else {
      await Promise.all(
        conns.slice(0, SENDERS).map(async (sender) => {
          const inFlight = new Set<Promise<void>>();
          while (next <= opts.messages) {
            const p = sendOne(sender).finally(() => inFlight.delete(p));
            inFlight.add(p);
            if (inFlight.size >= WINDOW) await Promise.race(inFlight);
          }
          await Promise.all(inFlight);
        }),
      );
    }
    await Promise.race([allIn, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    const after = sampleProcess(opts.server.pid);
    const seconds = Math.max(1e-6, ((received > 0 ? lastAt : clock()) - start) / 1e6);
    const complete = seen.reduce((sum, s) => sum + s.reduce((a, b) => a + b, 0), 0);
    return {
      workload: "e2e",
      server: opts.server.name,
      label: opts.label,
      devices: opts.devices,
      messages: opts.messages,
      rate: opts.rate,
      envelopeBytes,
      messagesPerSec: Math.round(opts.messages / seconds),
      deliveriesPerSec: Math.round(received / seconds),
      latency: summarize(hist),
      loss: expected - complete,
      duplicates,
      serverCpu: Math.round(cpuShare(before, after) * 100) / 100,
      sealMs: opts.plain ? 0 : await sealCost(opts.devices, opts.bodyChars),
    };
  } finally {
    for (const conn of conns) conn.close();
  }
}

/**
 * The fan-out load generator for one slice of the clients. It runs in the coordinator's thread (small
 * runs, the smoke test) or in a worker thread (`fanout-worker.ts`) so that the generator can use a core
 * of its own. Hot path per received payload: find the fixed-width body in the bytes, decode digits, check
 * order per sender, record latency against the one clock read of that socket read.
 */
import { decodeBodyAt, encodeBody, findBody, type DecodedBody } from "../lib/body.js";
import { microClock, sleep, type MicroClock } from "../lib/clock.js";
import { openClient, type BenchClient, type ClientSpec, type ServerInfo } from "../lib/connect.js";
import { Histogram } from "../lib/histogram.js";

export interface FanoutSlice {
  server: ServerInfo;
  roomPrefix: string;
  clients: ClientSpec[];
  /** Members per room (all rooms the same size). */
  roomSize: number;
  messagesPerClient: number;
  /** Aggregate send rate of the whole run in msg/s; 0 means burst (everything at once). */
  rate: number;
  /** Senders in the whole run, to take this slice's share of `rate`. */
  totalClients: number;
  epochMs: number;
  setupConcurrency: number;
}

export interface SliceStats {
  expected: number;
  delivered: number;
  selfEchoes: number;
  orderViolations: number;
  misrouted: number;
  sent: number;
  acksOk: number;
  ackErrors: number;
  firstAckError?: string;
  closedEarly: number;
  /** Clients that received fewer messages than they should have, and the first few of them. */
  shortReceivers: number;
  shortExamples: string[];
  firstDeliveryUs: number;
  lastDeliveryUs: number;
  sendStartUs: number;
  sendEndUs: number;
  histogram: { counts: ArrayLike<number>; count: number; max: number; sum: number };
}

interface Receiver {
  spec: ClientSpec;
  client: BenchClient;
  lastSeq: Int32Array;
  received: number;
}

export class FanoutEngine {
  private readonly clock: MicroClock;
  private readonly receivers: Receiver[] = [];
  private readonly hist = new Histogram();
  private readonly decoded: DecodedBody = { room: 0, sender: 0, seq: 0, timeUs: 0 };
  private delivered = 0;
  private selfEchoes = 0;
  private orderViolations = 0;
  private misrouted = 0;
  private closedEarly = 0;
  private firstDeliveryUs = 0;
  private lastDeliveryUs = 0;
  private sent = 0;
  private sendStartUs = 0;
  private sendEndUs = 0;
  private closing = false;
  private readonly expected: number;
  private onProgress: (() => void) | undefined;

  constructor(private readonly slice: FanoutSlice) {
    this.clock = microClock(slice.epochMs);
    // Every receiver gets every message of every other member of its room.
    this.expected = slice.clients.length * (slice.roomSize - 1) * slice.messagesPerClient;
  }

  /** Connects, authenticates and joins every client of the slice, a bounded number at a time. */
  async setup(): Promise<void> {
    const queue = [...this.slice.clients];
    const worker = async (): Promise<void> => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        const client = await openClient(this.slice.server, spec, this.slice.roomPrefix, this.clock);
        this.receivers.push(this.attach(spec, client));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.slice.setupConcurrency) }, worker));
    this.receivers.sort((a, b) => a.spec.index - b.spec.index);
  }

  private attach(spec: ClientSpec, client: BenchClient): Receiver {
    const r: Receiver = { spec, client, lastSeq: new Int32Array(this.slice.roomSize), received: 0 };
    const d = this.decoded;
    client.onPayload = (payload, now) => {
      const at = findBody(payload);
      if (at < 0 || !decodeBodyAt(payload, at, d)) return false;
      if (d.room !== spec.room) {
        this.misrouted++;
        return true;
      }
      if (d.sender === spec.slot) {
        this.selfEchoes++; // Parley echoes a message to the sender's own devices; not a delivery
        return true;
      }
      const last = r.lastSeq[d.sender] ?? 0;
      if (d.seq <= last) this.orderViolations++;
      else r.lastSeq[d.sender] = d.seq;
      this.delivered++;
      r.received++;
      this.hist.record(now - d.timeUs);
      if (this.firstDeliveryUs === 0) this.firstDeliveryUs = now;
      this.lastDeliveryUs = now;
      if (this.delivered >= this.expected) this.onProgress?.();
      return true;
    };
    client.onClose = () => {
      if (!this.closing) this.closedEarly++;
      this.onProgress?.();
    };
    return r;
  }

  /** Sends every client's messages (burst, or paced at this slice's share of the rate). */
  async send(): Promise<void> {
    const { messagesPerClient: m, rate } = this.slice;
    this.sendStartUs = this.clock();
    if (rate <= 0) {
      for (const r of this.receivers) {
        const bodies: string[] = [];
        const t = this.clock();
        for (let seq = 1; seq <= m; seq++) bodies.push(encodeBody(r.spec.room, r.spec.slot, seq, t));
        r.client.sendBodies(bodies);
        this.sent += m;
      }
    } else {
      // The k-th message of the slice goes to client k mod n, so each client's sends stay in order and
      // the aggregate rate is smooth; a 1 ms timer catches up on whatever is due.
      const n = this.receivers.length;
      const total = n * m;
      const perUs = (rate * (n / this.slice.totalClients)) / 1e6;
      const start = this.sendStartUs;
      let k = 0;
      while (k < total) {
        const now = this.clock();
        const due = Math.min(total, Math.floor((now - start) * perUs) + 1);
        for (; k < due; k++) {
          const r = this.receivers[k % n]!;
          r.client.sendBodies([encodeBody(r.spec.room, r.spec.slot, Math.floor(k / n) + 1, now)]);
          this.sent++;
        }
        await sleep(1);
      }
    }
    this.sendEndUs = this.clock();
  }

  /** Resolves when every expected delivery arrived, or when nothing arrived for `idleMs`. */
  async waitDone(idleMs: number, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    let seen = -1;
    let lastChange = Date.now();
    while (this.delivered < this.expected && Date.now() < deadline) {
      if (this.delivered !== seen) {
        seen = this.delivered;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > idleMs) break;
      await new Promise<void>((resolve) => {
        this.onProgress = resolve;
        setTimeout(resolve, 50);
      });
      this.onProgress = undefined;
    }
    // Let the last send replies arrive (they trail the deliveries on the wire at most briefly).
    const ackDeadline = Date.now() + 2000;
    while (
      this.slice.server.proto === "parley" &&
      this.ackTotals().ok + this.ackTotals().errors < this.sent
    ) {
      if (Date.now() > ackDeadline) break;
      await sleep(20);
    }
  }

  private ackTotals(): { ok: number; errors: number; firstError?: string } {
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    for (const r of this.receivers) {
      const a = r.client.acks();
      ok += a.ok;
      errors += a.errors;
      firstError ??= a.firstError;
    }
    return firstError ? { ok, errors, firstError } : { ok, errors };
  }

  stats(): SliceStats {
    const acks = this.ackTotals();
    return {
      expected: this.expected,
      delivered: this.delivered,
      selfEchoes: this.selfEchoes,
      orderViolations: this.orderViolations,
      misrouted: this.misrouted,
      sent: this.sent,
      acksOk: acks.ok,
      ackErrors: acks.errors,
      ...(acks.firstError ? { firstAckError: acks.firstError } : {}),
      closedEarly: this.closedEarly,
      ...this.shortReceivers(),
      firstDeliveryUs: this.firstDeliveryUs,
      lastDeliveryUs: this.lastDeliveryUs,
      sendStartUs: this.sendStartUs,
      sendEndUs: this.sendEndUs,
      histogram: this.hist.toJSON(),
    };
  }

  private shortReceivers(): { shortReceivers: number; shortExamples: string[] } {
    const want = (this.slice.roomSize - 1) * this.slice.messagesPerClient;
    const short = this.receivers.filter((r) => r.received < want);
    return {
      shortReceivers: short.length,
      shortExamples: short.slice(0, 5).map((r) => `${r.spec.username} got ${r.received}/${want}`),
    };
  }

  close(): void {
    this.closing = true;
    for (const r of this.receivers) r.client.close();
  }
}

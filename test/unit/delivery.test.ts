/**
 * Delivery (src/hub/gateway/delivery.ts), fed bus messages directly through a bus of the test's own: no
 * sockets, no hub. Sinks record what they are written; the "store" answers like Messages.catchUp/missed.
 */
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Bus, BusMessage } from "../../src/hub/bus/bus.js";
import type { CatchUp, SequencedEvent } from "../../src/hub/domain/messages.js";
import {
  Delivery,
  type DeliverySink,
  type DeliverySource,
  type Outgoing,
} from "../../src/hub/gateway/delivery.js";
import type { ConvId } from "../../src/hub/ids.js";
import type { AnyEvent } from "../../src/protocol/events.js";

const LOBBY = 10;

class TestBus implements Bus {
  handler: ((m: BusMessage) => void) | undefined;
  gap: (() => void) | undefined;
  async publish(m: BusMessage): Promise<void> {
    this.handler?.(m);
  }
  subscribe(handler: (m: BusMessage) => void): () => void {
    this.handler = handler;
    return () => (this.handler = undefined);
  }
  onGap(handler: () => void): () => void {
    this.gap = handler;
    return () => (this.gap = undefined);
  }
  unreachable(): undefined {
    return undefined;
  }
  async close(): Promise<void> {}
}

class Sink implements DeliverySink {
  readonly written: Outgoing[] = [];
  ended: string | undefined;
  tokenHash = "t";
  constructor(readonly id: string) {}
  write(out: Outgoing): void {
    this.written.push(out);
  }
  endSession(reason: string): void {
    this.ended = reason;
  }
  /** "conv:seq" of each sequenced event written, in order. */
  seqs(): string[] {
    return this.written.map((o) => `${o.conv}:${o.seq}`);
  }
  texts(): string[] {
    return this.written.map((o) => o.json());
  }
}

function event(seq: number, room = "lobby"): AnyEvent {
  return { ev: "message", id: String(seq), seq, ts: seq, from: "ann", room, body: `m${seq}` };
}

/** Everything stored per conversation; catchUp and missed answer from it like the domain. */
class Stored implements DeliverySource {
  calls = 0;
  failing = false;
  constructor(readonly convs: Map<ConvId, SequencedEvent[]> = new Map()) {}
  add(conv: ConvId, seq: number): void {
    const list = this.convs.get(conv) ?? [];
    list.push({ conv, seq, event: event(seq) });
    this.convs.set(conv, list);
  }
  async catchUp(_userId: number, resume?: { cursors?: Record<string, number> }): Promise<CatchUp> {
    const last = new Map([...this.convs].map(([conv, list]) => [conv, list.at(-1)?.seq ?? 0]));
    const after = resume?.cursors?.["room:lobby"];
    const missed = after === undefined ? [] : (this.convs.get(LOBBY) ?? []).filter((s) => s.seq > after);
    return { last, missed };
  }
  async missed(_userId: number, after: ReadonlyMap<ConvId, number>): Promise<SequencedEvent[]> {
    this.calls += 1;
    if (this.failing) throw new Error("store down");
    return [...after].flatMap(([conv, seq]) => (this.convs.get(conv) ?? []).filter((s) => s.seq > seq));
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const deliveries: Delivery[] = [];
afterEach(() => deliveries.splice(0).forEach((d) => d.close()));

async function setup(stored = new Stored(), holdMs = 20) {
  const bus = new TestBus();
  const delivery = new Delivery(bus, stored, pino({ level: "silent" }), { holdMs, firstHoldMs: 30 });
  deliveries.push(delivery);
  const sink = new Sink("c1");
  delivery.bind(sink, 7);
  await delivery.catchUp(sink);
  const send = (seq: number, extra: Partial<BusMessage & { kind: "deliver" }> = {}) =>
    bus.publish({ kind: "deliver", to: [7], event: event(seq), conv: LOBBY, seq, ...extra });
  return { bus, delivery, sink, stored, send };
}

describe("Delivery", () => {
  it("writes the next seq at once and drops repeats", async () => {
    const stored = new Stored(new Map([[LOBBY, []]]));
    const { sink, send } = await setup(stored);
    for (const seq of [1, 2, 2, 3, 1]) await send(seq);
    expect(sink.seqs()).toEqual(["10:1", "10:2", "10:3"]);
  });

  it("puts a late message back in order within the hold time, without fetching", async () => {
    const stored = new Stored(new Map([[LOBBY, []]]));
    const { sink, send } = await setup(stored, 200);
    await send(2);
    await send(3);
    expect(sink.seqs()).toEqual([]);
    await send(1);
    expect(sink.seqs()).toEqual(["10:1", "10:2", "10:3"]);
    await wait(250);
    expect(stored.calls).toBe(0);
  });

  it("fetches a hole that does not fill itself, then writes in order, each once", async () => {
    const stored = new Stored();
    stored.add(LOBBY, 1);
    const { sink, send } = await setup(stored);
    for (const seq of [2, 3, 4, 5]) stored.add(LOBBY, seq);
    await send(4);
    await send(5);
    await wait(80);
    expect(sink.seqs()).toEqual(["10:2", "10:3", "10:4", "10:5"]);
    await send(3); // the lost one turning up late
    expect(sink.seqs()).toHaveLength(4);
  });

  it("takes the store's answer as complete (a seq hidden from this user is no hole)", async () => {
    const stored = new Stored();
    stored.add(LOBBY, 1);
    const { sink, send } = await setup(stored);
    stored.add(LOBBY, 3); // seq 2 is hidden from this viewer
    await send(3);
    await wait(80);
    expect(sink.seqs()).toEqual(["10:3"]);
    await send(4);
    expect(sink.seqs()).toEqual(["10:3", "10:4"]);
  });

  it("moves past a seq the user will never see, without waiting or fetching", async () => {
    const stored = new Stored(new Map([[LOBBY, []]]));
    const { bus, sink, send } = await setup(stored);
    await send(1);
    await bus.publish({ kind: "advance", to: [7], conv: LOBBY, seq: 2 });
    await send(3);
    expect(sink.seqs()).toEqual(["10:1", "10:3"]);
    expect(stored.calls).toBe(0);
  });

  it("repairs every conversation after a bus gap", async () => {
    const stored = new Stored();
    stored.add(LOBBY, 1);
    stored.add(11, 1);
    const { bus, sink } = await setup(stored);
    stored.add(LOBBY, 2);
    stored.add(LOBBY, 3);
    bus.gap!();
    await wait(20);
    expect(sink.seqs()).toEqual(["10:2", "10:3"]);
  });

  it("writes held messages as they are when the fetch fails", async () => {
    const stored = new Stored();
    stored.add(LOBBY, 1);
    const { sink, send } = await setup(stored);
    stored.failing = true;
    await send(3);
    await wait(80);
    expect(sink.seqs()).toEqual(["10:3"]);
  });

  it("writes seq 1 of an unknown conversation at once, and orders its first messages otherwise", async () => {
    const { bus, sink } = await setup();
    const to = (conv: number, seq: number) =>
      bus.publish({ kind: "deliver", to: [7], event: event(seq), conv, seq });
    await to(20, 1);
    expect(sink.seqs()).toEqual(["20:1"]);
    await to(21, 6);
    await to(21, 5);
    expect(sink.seqs()).toEqual(["20:1"]);
    await wait(80);
    expect(sink.seqs()).toEqual(["20:1", "21:5", "21:6"]);
  });

  it("starts a conversation the connection was given at the seq it was given", async () => {
    const { delivery, sink, bus } = await setup();
    delivery.follow(sink, 30, 7);
    await bus.publish({ kind: "deliver", to: [7], event: event(7), conv: 30, seq: 7 });
    await bus.publish({ kind: "deliver", to: [7], event: event(8), conv: 30, seq: 8 });
    expect(sink.seqs()).toEqual(["30:8"]);
  });

  it("holds live events during catch-up, writes the replay first and drops live copies it covered", async () => {
    const stored = new Stored();
    for (const seq of [1, 2, 3]) stored.add(LOBBY, seq);
    const bus = new TestBus();
    const delivery = new Delivery(bus, stored, pino({ level: "silent" }));
    deliveries.push(delivery);
    const sink = new Sink("c1");
    delivery.bind(sink, 7);
    const live = (seq: number) =>
      bus.publish({ kind: "deliver", to: [7], event: event(seq), conv: LOBBY, seq });
    await live(3); // stored before the catch-up read it: in the replay too
    await bus.publish({ kind: "deliver", to: [7], event: { ev: "room.deleted", room: "x" } });
    stored.add(LOBBY, 4);
    await live(4);
    expect(sink.written).toEqual([]);
    await delivery.catchUp(sink, { cursors: { "room:lobby": 1 } });
    expect(sink.texts().map((t) => JSON.parse(t).ev + (JSON.parse(t).seq ?? ""))).toEqual([
      "message2",
      "message3",
      "message4",
      "room.deleted",
    ]);
  });

  it("builds each form once: muted and the sender's copy add fields to the shared text", async () => {
    const bus = new TestBus();
    const delivery = new Delivery(bus, new Stored(), pino({ level: "silent" }));
    deliveries.push(delivery);
    const sinks = [1, 2, 3, 4].map((u) => {
      const s = new Sink(`c${u}`);
      delivery.bind(s, u);
      return s;
    });
    await Promise.all(sinks.map((s) => delivery.catchUp(s)));
    await bus.publish({
      kind: "deliver",
      to: [1, 2, 3, 4],
      event: event(1),
      conv: LOBBY,
      seq: 1,
      mutedFor: [3],
      echo: { userId: 1, cid: "c-1" },
      exceptConn: "c4",
    });
    const [own, plain, muted, left] = sinks.map((s) => s.written.map((o) => JSON.parse(o.json())));
    expect(own).toEqual([{ ...event(1), cid: "c-1" }]);
    expect(plain).toEqual([event(1)]);
    expect(muted).toEqual([{ ...event(1), muted: true }]);
    expect(left).toEqual([]);
    expect(sinks[1]!.written[0]!.event).toEqual(event(1));
    // One object per form, shared by all of its receivers.
    const extra = new Sink("c5");
    delivery.bind(extra, 2);
    await delivery.catchUp(extra);
    await bus.publish({ kind: "deliver", to: [2], event: { ev: "room.deleted", room: "x" } });
    expect(sinks[1]!.written[1]).toBeDefined();
    expect(sinks[1]!.written[1]).toBe(extra.written[0]);
  });

  it("ends the sessions a bus message names, and writes nothing after unbind", async () => {
    const { bus, delivery, sink, send } = await setup(new Stored(new Map([[LOBBY, []]])));
    await bus.publish({ kind: "end-sessions", userId: 7, tokenHash: "other", reason: "logout" });
    expect(sink.ended).toBeUndefined();
    await bus.publish({ kind: "end-sessions", userId: 7, reason: "password" });
    expect(sink.ended).toBe("password");
    delivery.unbind(sink);
    await send(1);
    expect(sink.written).toEqual([]);
  });
});

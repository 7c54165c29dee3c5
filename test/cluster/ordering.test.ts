/**
 * MessageOrder: the gateway's per-connection reordering and gap repair, fed messages directly (no
 * sockets). The "store" is an in-memory list answering like Messages.replay.
 */
import { describe, expect, it } from "vitest";
import { MessageOrder, type MissedMessages } from "../../src/hub/gateway/ordering.js";
import type { Message } from "../../src/protocol/model.js";

function msg(seq: number, room = "lobby"): Message {
  return { id: String(seq), seq, ts: seq, from: "ann", room, body: `m${seq}` };
}

/** Everything stored, per room; replay answers after each cursor, and for rooms not asked, from 0. */
class Stored implements MissedMessages {
  calls = 0;
  failing = false;
  constructor(readonly rooms: Record<string, Message[]>) {}
  async replay(_userId: number, cursors: Record<string, number>): Promise<Message[]> {
    this.calls += 1;
    if (this.failing) throw new Error("store down");
    return Object.entries(this.rooms).flatMap(([room, list]) => {
      const after = cursors[`room:${room}`] ?? 0;
      return list.filter((m) => m.seq > after);
    });
  }
}

function setup(stored: Stored, holdMs = 20) {
  const sent: Message[] = [];
  const errors: unknown[] = [];
  const order = new MessageOrder(7, (m) => sent.push(m), stored, { holdMs, onError: (e) => errors.push(e) });
  return { order, sent, errors, seqs: () => sent.map((m) => `room:${m.room}:${m.seq}`) };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("MessageOrder", () => {
  it("passes messages in order straight through and drops repeats", () => {
    const { order, seqs } = setup(new Stored({}));
    order.setCursor("room:lobby", 0);
    for (const seq of [1, 2, 2, 3, 1]) order.offer(msg(seq));
    expect(seqs()).toEqual(["room:lobby:1", "room:lobby:2", "room:lobby:3"]);
  });

  it("puts a late message back in order when it arrives within the hold time, without fetching", async () => {
    const stored = new Stored({ lobby: [msg(1), msg(2), msg(3)] });
    const { order, seqs } = setup(stored, 200);
    order.setCursor("room:lobby", 0);
    order.offer(msg(2));
    order.offer(msg(3));
    expect(seqs()).toEqual([]);
    order.offer(msg(1));
    expect(seqs()).toEqual(["room:lobby:1", "room:lobby:2", "room:lobby:3"]);
    await wait(250);
    expect(stored.calls).toBe(0);
  });

  it("fetches a hole that does not fill itself, then sends in order, each once", async () => {
    const stored = new Stored({ lobby: [1, 2, 3, 4, 5].map((s) => msg(s)) });
    const { order, seqs } = setup(stored);
    order.setCursor("room:lobby", 1);
    order.offer(msg(4));
    order.offer(msg(5));
    await wait(60);
    expect(seqs()).toEqual(["room:lobby:2", "room:lobby:3", "room:lobby:4", "room:lobby:5"]);
    order.offer(msg(3)); // the lost one turning up late
    expect(seqs()).toHaveLength(4);
  });

  it("takes the store's answer as complete (a message hidden from this user is no hole)", async () => {
    const stored = new Stored({ lobby: [msg(1), msg(3)] }); // seq 2 is hidden from this viewer
    const { order, seqs } = setup(stored);
    order.setCursor("room:lobby", 1);
    order.offer(msg(3));
    await wait(60);
    expect(seqs()).toEqual(["room:lobby:3"]);
    order.offer(msg(4));
    expect(seqs()).toEqual(["room:lobby:3", "room:lobby:4"]);
  });

  it("repairs every conversation after a bus gap, and only those with a cursor", async () => {
    const stored = new Stored({ a: [msg(1, "a"), msg(2, "a")], b: [msg(1, "b")], c: [msg(1, "c")] });
    const { order, seqs } = setup(stored);
    order.setCursor("room:a", 0);
    order.setCursor("room:b", 1);
    await order.repair();
    expect(seqs()).toEqual(["room:a:1", "room:a:2"]);
    expect(stored.calls).toBe(1);
  });

  it("holds messages arriving during a fetch and sends them after it, in order", async () => {
    const stored = new Stored({ lobby: [1, 2, 3].map((s) => msg(s)) });
    const { order, seqs } = setup(stored);
    order.setCursor("room:lobby", 0);
    const repairing = order.repair();
    stored.rooms["lobby"]!.push(msg(4));
    order.offer(msg(4));
    order.offer(msg(2));
    await repairing;
    expect(seqs()).toEqual(["room:lobby:1", "room:lobby:2", "room:lobby:3", "room:lobby:4"]);
  });

  it("sends held messages as they are when the fetch fails, and reports it", async () => {
    const stored = new Stored({});
    stored.failing = true;
    const { order, seqs, errors } = setup(stored);
    order.setCursor("room:lobby", 1);
    order.offer(msg(3));
    await wait(60);
    expect(errors).toHaveLength(1);
    expect(seqs()).toEqual(["room:lobby:3"]);
  });

  it("sends seq 1 of an unknown conversation at once, and orders its first messages otherwise", async () => {
    const { order, seqs } = setup(new Stored({}));
    order.offer(msg(1, "fresh"));
    expect(seqs()).toEqual(["room:fresh:1"]);
    order.offer(msg(6, "known-late"));
    order.offer(msg(5, "known-late"));
    expect(seqs()).toEqual(["room:fresh:1"]);
    await wait(80);
    expect(seqs()).toEqual(["room:fresh:1", "room:known-late:5", "room:known-late:6"]);
    order.offer(msg(7, "known-late"));
    order.offer(msg(5, "known-late"));
    expect(seqs()).toEqual(["room:fresh:1", "room:known-late:5", "room:known-late:6", "room:known-late:7"]);
  });

  it("starts a room afresh when it is re-created, joined again, left, or taken away", async () => {
    const { order, seqs } = setup(new Stored({}));
    order.setCursor("room:md", 0);
    order.offer(msg(1, "md"));
    order.onEvent({ ev: "room.deleted", room: "MD" });
    order.afterReply("room.create", { room: "md" }, { room: { name: "md" } });
    order.offer(msg(1, "md")); // the new room's first message, not a repeat of the old one
    expect(seqs()).toEqual(["room:md:1", "room:md:1"]);
    order.afterReply("room.leave", { room: "md" }, {});
    expect(order.cursor("room:md")).toBeUndefined();
    order.afterReply("room.join", { room: "md" }, { room: { name: "md" }, lastSeq: 7 });
    expect(order.cursor("room:md")).toBe(7);
    order.onEvent({ ev: "kicked", room: "md" });
    expect(order.cursor("room:md")).toBeUndefined();
    order.afterReply("room.join", { room: "md" }, { room: { name: "md" }, lastSeq: 9 });
    order.onEvent({ ev: "member.left", room: "md" }); // someone else left: nothing changes
    expect(order.cursor("room:md")).toBe(9);
  });

  it("hands back the wire form given with a live message, and none for fetched ones", async () => {
    const stored = new Stored({ lobby: [msg(1), msg(2), msg(3)] });
    const wires: Array<string | undefined> = [];
    const order = new MessageOrder<string>(7, (_m, wire) => wires.push(wire), stored, { holdMs: 20 });
    order.setCursor("room:lobby", 0);
    order.offer(msg(1), "frame-1");
    order.offer(msg(3), "frame-3");
    await wait(60);
    expect(wires).toEqual(["frame-1", undefined, "frame-3"]);
  });

  it("stops after close", () => {
    const { order, seqs } = setup(new Stored({}));
    order.offer(msg(1, "new"));
    order.close();
    order.offer(msg(2, "new"));
    expect(seqs()).toEqual(["room:new:1"]);
  });
});

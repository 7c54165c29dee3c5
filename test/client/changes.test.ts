/** Edits, deletions and reactions in the client's pure state: sequenced like messages (#12). */
import { describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import * as S from "../../src/client/core/state.js";
import type { ClientState } from "../../src/client/core/types.js";

const KEY = "room:ops";
const me = { username: "ann", displayName: "ann", online: true };

function msg(seq: number, body = `m${seq}`, extra: Partial<Message> = {}): Message {
  return { id: `id${seq}`, seq, ts: 1000 + seq, from: "bob", room: "ops", body, ...extra };
}

function start(): ClientState {
  let state = S.setMe(S.initialState(), me);
  state = S.upsertRoom(state, {
    info: { name: "ops", members: 2, locked: false, joined: true },
    members: [],
    lastSeq: 0,
  });
  return S.deliver(
    state,
    KEY,
    [
      msg(1, "first line\nsecond"),
      msg(2, "answer", { replyTo: "id1", quote: { from: "bob", text: "first line" } }),
    ],
    100,
  ).state;
}

const edited = (seq: number, id: string, body: string): S.MessageChange => ({
  ev: "message.edited",
  room: "ops",
  id,
  seq,
  from: "bob",
  body,
  editedAt: 5000 + seq,
});
const reaction = (seq: number, id: string, emoji: string, user: string, on: boolean): S.MessageChange => ({
  ev: "reaction",
  room: "ops",
  id,
  seq,
  emoji,
  user,
  on,
});

describe("changes in client state", () => {
  it("applies an edit in seq order, without adding a message", () => {
    const r = S.deliver(start(), KEY, [edited(3, "id1", "better")], 100);
    const room = r.state.rooms["ops"]!;
    expect(room.lastSeq).toBe(3);
    expect(room.messages.map((m) => [m.seq, m.body, m.editedAt])).toEqual([
      [1, "better", 5003],
      [2, "answer", undefined],
    ]);
    expect(r.delivered).toEqual([]);
  });

  it("counts reactions once each (a repeated seq is dropped), with `me` for the user's own", () => {
    let state = start();
    for (const change of [
      reaction(3, "id2", "👍", "bob", true),
      reaction(4, "id2", "👍", "ann", true),
      reaction(4, "id2", "👍", "ann", true),
      reaction(5, "id2", "🎉", "bob", true),
      reaction(6, "id2", "🎉", "bob", false),
    ]) {
      state = S.deliver(state, KEY, [change], 100).state;
    }
    expect(state.rooms["ops"]!.messages[1]!.reactions).toEqual({ "👍": { count: 2, me: true } });
  });

  it("turns a deletion into a tombstone and the quotes of it into a deleted quote", () => {
    const del: S.MessageChange = { ev: "message.deleted", room: "ops", id: "id1", seq: 3, by: "bob" };
    const state = S.deliver(start(), KEY, [del], 100).state;
    const [tomb, reply] = state.rooms["ops"]!.messages;
    expect(tomb).toMatchObject({ body: "", deleted: true, deletedBy: "bob" });
    expect(reply!.quote).toEqual({ from: "bob", text: "", deleted: true });
  });

  it("holds a change beyond a gap until the gap is filled", () => {
    const r = S.deliver(start(), KEY, [edited(4, "id1", "later")], 100);
    expect(r.gapAfter).toBe(2);
    expect(r.held).toHaveLength(1);
    const filled = S.deliver(r.state, KEY, [...r.held, msg(3)], 100);
    expect(filled.state.rooms["ops"]!.messages.map((m) => m.body)).toEqual(["later", "answer", "m3"]);
  });

  it("names a DM change's conversation by `conv`, and quotes like the hub", () => {
    expect(
      S.conversationOfChange({ ev: "message.deleted", conv: "dm:bob", id: "1", seq: 1, by: "bob" }),
    ).toBe("dm:bob");
    expect(S.quoteOf(msg(1, "x".repeat(150)))).toEqual({ from: "bob", text: `${"x".repeat(99)}…` });
  });
});

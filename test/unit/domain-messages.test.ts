/**
 * Message rules in the domain, without a socket: seq per conversation, cid idempotency, fan-out with
 * mute and block, unread and read markers, resume replay, the per-user message limit on a manual clock.
 */
import type { Message } from "../../src/protocol/model.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PASSWORD, codeOf, testDomain, type Actor, type TestDomain } from "../helpers/domain.js";

let t: TestDomain;
let ann: Actor, bob: Actor, cid: Actor;
beforeEach(async () => {
  t = await testDomain();
  [ann, bob, cid] = [await t.user("ann"), await t.user("bob"), await t.user("cid")];
  await t.domain.rooms.create(ann, { name: "r" });
  await t.domain.rooms.join(bob, { room: "r" });
  t.clearEvents();
});
afterEach(async () => t.close());

const messages = () => t.domain.messages;
/** The messages a resume replays to this user (with these cursors), oldest first per conversation. */
const replay = async (userId: number, cursors?: Record<string, number>) =>
  (await messages().catchUp(userId, cursors ? { cursors } : {})).missed.map((s) => s.event as Message);
const send = (from: Actor, to: { room: string } | { user: string }, body: string, id: string) =>
  messages().send(from, { ...to, body, cid: id });

describe("send", () => {
  it("numbers each conversation from 1 by 1, rooms and DMs apart", async () => {
    const seqs = [
      (await send(ann, { room: "r" }, "a", "1")).seq,
      (await send(bob, { room: "r" }, "b", "1")).seq,
      (await send(ann, { user: "bob" }, "c", "2")).seq,
      (await send(bob, { user: "ann" }, "d", "2")).seq,
      (await send(ann, { user: "cid" }, "e", "3")).seq,
      (await send(ann, { room: "r" }, "f", "4")).seq,
    ];
    expect(seqs).toEqual([1, 2, 1, 2, 1, 3]);
  });

  it("stores the same (sender, cid) once and fans it out once", async () => {
    const first = await send(ann, { room: "r" }, "once", "same");
    const again = await send(ann, { room: "r" }, "once", "same");
    expect(again).toEqual(first);
    expect(t.eventsOf(bob, "message")).toHaveLength(1);
    // Another sender may use the same cid.
    expect((await send(bob, { room: "r" }, "mine", "same")).seq).toBe(2);
  });

  it("gives the sender's devices the cid and the others none; stores the body trimmed", async () => {
    await send(ann, { room: "r" }, "  hi\n", "c1");
    expect(t.eventsOf(ann, "message")).toEqual([expect.objectContaining({ body: "hi", cid: "c1" })]);
    expect(t.eventsOf(bob, "message")).toEqual([
      {
        ev: "message",
        id: expect.any(String),
        seq: 1,
        ts: t.clock.now(),
        from: "ann",
        room: "r",
        body: "hi",
      },
    ]);
    expect(t.eventsOf(cid, "message")).toEqual([]);
  });

  it("refuses non-members, unknown users and bad bodies", async () => {
    expect(await codeOf(send(cid, { room: "r" }, "hi", "1"))).toBe("NOT_MEMBER");
    expect(await codeOf(send(cid, { room: "nope" }, "hi", "1"))).toBe("NO_SUCH_ROOM");
    expect(await codeOf(send(cid, { user: "nobody" }, "hi", "1"))).toBe("NO_SUCH_USER");
    expect(await codeOf(send(ann, { room: "r" }, " ", "1"))).toBe("EMPTY_BODY");
    expect(await codeOf(send(ann, { room: "r" }, "x".repeat(4001), "1"))).toBe("BODY_TOO_LONG");
    expect(await codeOf(send(ann, { room: "r" }, "\u001b[1mbold", "1"))).toBe("INVALID_PARAMS");
    expect(await codeOf(messages().send(ann, { room: "r", user: "bob", body: "x", cid: "1" }))).toBe(
      "INVALID_PARAMS",
    );
    expect(await t.store.lastSeq((await t.store.getRoom("r"))!.convId)).toBe(0);
  });

  it("limits a user to a burst of 50, then 10 a second", async () => {
    for (let i = 0; i < 50; i++) await send(ann, { room: "r" }, `m${i}`, `c${i}`);
    const error = await send(ann, { room: "r" }, "one too many", "x").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "RATE_LIMITED", extra: { retryAfterMs: 100 } });
    // The limit is the user's, not the room's.
    await send(bob, { room: "r" }, "not me", "b");
    t.clock.advance(100);
    expect((await send(ann, { room: "r" }, "now", "y")).seq).toBe(52);
  });
});

describe("notices, client tags, notes to self (issue 14)", () => {
  it("stores a notice and client tags and gives them to every receiver and to history", async () => {
    const tags = { "+draft/reply": "1-1", "+empty": "" };
    await messages().send(ann, {
      room: "r",
      body: "build passed",
      cid: "n1",
      notice: true,
      clientTags: tags,
    });
    await send(ann, { room: "r" }, "plain", "n2");
    const [live] = t.eventsOf(bob, "message");
    expect(live).toMatchObject({ body: "build passed", notice: true, clientTags: tags });
    const { messages: history } = await messages().roomHistory(bob, { room: "r" });
    expect(history.map((m) => [m.body, m.notice, m.clientTags])).toEqual([
      ["build passed", true, tags],
      ["plain", undefined, undefined],
    ]);
    expect((await replay(bob.userId, { "room:r": 0 })).map((m) => m.notice)).toEqual([true, undefined]);
  });

  it("bounds client tags at 4094 bytes of their IRC form and checks their names", async () => {
    // "+k=" is 3 bytes: 4091 bytes of value fit, one more does not; an escaped space counts 2.
    const fits = { "+k": "a".repeat(4091) };
    await messages().send(ann, { room: "r", body: "x", cid: "t1", clientTags: fits });
    const over = { "+k": "a".repeat(4092) };
    expect(await codeOf(messages().send(ann, { room: "r", body: "x", cid: "t2", clientTags: over }))).toBe(
      "TAGS_TOO_LONG",
    );
    const escaped = { "+k": `${"a".repeat(4090)} ` };
    expect(await codeOf(messages().send(ann, { room: "r", body: "x", cid: "t3", clientTags: escaped }))).toBe(
      "TAGS_TOO_LONG",
    );
    const serverTag = { msgid: "forged" };
    expect(
      await codeOf(messages().send(ann, { room: "r", body: "x", cid: "t4", clientTags: serverTag })),
    ).toBe("INVALID_PARAMS");
    expect(await t.store.lastSeq((await t.store.getRoom("r"))!.convId)).toBe(1);
  });

  it("stores a DM to yourself once and sends it to your own devices only", async () => {
    const sent = await send(cid, { user: "cid" }, "note to self", "s1");
    expect(sent.seq).toBe(1);
    expect(t.eventsOf(cid, "message")).toEqual([
      expect.objectContaining({ body: "note to self", user: "cid", from: "cid", cid: "s1" }),
    ]);
    expect(t.eventsOf(ann, "message")).toEqual([]);
    const { messages: history } = await messages().dmHistory(cid, { user: "cid" });
    expect(history.map((m) => m.body)).toEqual(["note to self"]);
    expect((await messages().dmList(cid)).conversations).toEqual([{ user: "cid", lastSeq: 1, unread: 0 }]);
  });

  it("tagmsg: sends tags to the room's members or the user, stores nothing, follows the send rules", async () => {
    const tags = { "+typing": "active" };
    await messages().tagmsg(ann, { room: "r", clientTags: tags, cid: "g1" });
    expect(t.eventsOf(bob, "tagmsg")).toEqual([
      expect.objectContaining({ from: "ann", room: "r", clientTags: tags }),
    ]);
    expect(t.eventsOf(ann, "tagmsg")).toEqual([expect.objectContaining({ cid: "g1" })]);
    expect(await t.store.lastSeq((await t.store.getRoom("r"))!.convId)).toBe(0);
    expect(await codeOf(messages().tagmsg(cid, { room: "r", clientTags: tags }))).toBe("NOT_MEMBER");
    expect(await codeOf(messages().tagmsg(ann, { room: "r", clientTags: {} }))).toBe("INVALID_PARAMS");
    // A user who blocks the sender gets nothing; the sender is not told.
    t.clearEvents();
    await t.domain.settings.block(bob, { user: "ann", on: true });
    await messages().tagmsg(ann, { user: "bob", clientTags: tags });
    expect(t.eventsOf(bob, "tagmsg")).toEqual([]);
    expect(t.eventsOf(ann, "tagmsg")).toHaveLength(1);
  });

  it("tagmsg has its own limit: a burst of 20, apart from messages", async () => {
    for (let i = 0; i < 20; i++)
      await messages().tagmsg(ann, { room: "r", clientTags: { "+typing": "active" } });
    const error = await messages()
      .tagmsg(ann, { room: "r", clientTags: { "+typing": "active" } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "RATE_LIMITED" });
    await send(ann, { room: "r" }, "messages still go", "m");
  });
});

describe("mute and block", () => {
  it("marks a muted room's and a muted user's messages muted for the muter only", async () => {
    await t.domain.rooms.join(cid, { room: "r" });
    await t.domain.settings.mute(bob, { room: "R", on: true });
    await send(ann, { room: "r" }, "room muted", "1");
    await t.domain.settings.mute(bob, { room: "r", on: false });
    await t.domain.settings.mute(bob, { user: "ann", on: true });
    await send(ann, { room: "r" }, "user muted", "2");
    await send(ann, { user: "bob" }, "dm muted", "3");
    await send(cid, { room: "r" }, "not muted", "4");
    const atBob = t.eventsOf(bob, "message").map((m) => [m.body, m.muted ?? false]);
    expect(atBob).toEqual([
      ["room muted", true],
      ["user muted", true],
      ["dm muted", true],
      ["not muted", false],
    ]);
    expect(t.eventsOf(cid, "message").every((m) => m.muted === undefined)).toBe(true);
    expect(t.eventsOf(bob, "settings.changed").at(-1)).toMatchObject({
      muted: { rooms: [], users: ["ann"] },
    });
  });

  it("hides a blocked user's DMs from the blocker everywhere, while the sender sees them sent", async () => {
    await t.domain.settings.block(bob, { user: "ann", on: true });
    const sent = await send(ann, { user: "bob" }, "blocked", "1");
    expect(sent.seq).toBe(1);
    expect(t.eventsOf(bob, "message")).toEqual([]);
    expect(t.eventsOf(ann, "message").map((m) => m.body)).toEqual(["blocked"]);
    expect((await messages().dmHistory(bob, { user: "ann" })).messages).toEqual([]);
    expect((await messages().dmHistory(ann, { user: "bob" })).messages.map((m) => m.body)).toEqual([
      "blocked",
    ]);
    // Not even an empty entry in the list gives it away.
    expect((await messages().dmList(bob)).conversations).toEqual([]);
    expect((await messages().dmList(ann)).conversations).toEqual([{ user: "bob", lastSeq: 1, unread: 0 }]);
    expect(await replay(bob.userId)).toEqual([]);
    // Room messages are not affected by a block.
    await send(ann, { room: "r" }, "in the room", "2");
    expect(t.eventsOf(bob, "message").map((m) => m.body)).toEqual(["in the room"]);
    // Unblocking lets new DMs through; the hidden one stays hidden.
    await t.domain.settings.block(bob, { user: "ann", on: false });
    await send(ann, { user: "bob" }, "after", "3");
    expect((await messages().dmHistory(bob, { user: "ann" })).messages.map((m) => m.body)).toEqual(["after"]);
  });

  it("keeps telling a blocked user about the blocker as before (a DM alone relates them), so the block stays hidden", async () => {
    const carl = await t.user("carl");
    const dora = await t.user("dora");
    await t.domain.settings.block(carl, { user: "dora", on: true });
    await send(dora, { user: "carl" }, "hello?", "1");
    expect((await messages().dmList(carl)).conversations).toEqual([]);
    t.clearEvents();
    await t.domain.accounts.rename(carl, { username: "carlos", password: PASSWORD });
    expect(t.eventsOf(dora, "user.renamed")).toEqual([{ ev: "user.renamed", from: "carl", to: "carlos" }]);
  });

  it("refuses unknown targets and blocking yourself", async () => {
    expect(await codeOf(t.domain.settings.mute(ann, { room: "nope", on: true }))).toBe("NO_SUCH_ROOM");
    expect(await codeOf(t.domain.settings.mute(ann, { user: "nobody", on: true }))).toBe("NO_SUCH_USER");
    expect(await codeOf(t.domain.settings.mute(ann, { on: true }))).toBe("INVALID_PARAMS");
    expect(await codeOf(t.domain.settings.block(ann, { user: "nobody", on: true }))).toBe("NO_SUCH_USER");
    expect(await codeOf(t.domain.settings.block(ann, { user: "ann", on: true }))).toBe("INVALID_PARAMS");
    expect(await t.domain.settings.get(ann.userId)).toEqual({ muted: { rooms: [], users: [] }, blocked: [] });
  });
});

describe("unread, read and replay", () => {
  it("counts unread DMs from the other party; read moves forward only, up to the last message", async () => {
    for (let i = 1; i <= 3; i++) await send(ann, { user: "bob" }, `d${i}`, `${i}`);
    await send(bob, { user: "ann" }, "reply", "r");
    expect((await messages().dmList(bob)).conversations).toEqual([{ user: "ann", lastSeq: 4, unread: 3 }]);
    await messages().read(bob, { user: "ann", seq: 2 });
    expect(t.eventsOf(bob, "read.changed")).toEqual([{ ev: "read.changed", user: "ann", seq: 2 }]);
    // The event skips the connection that moved the marker.
    expect(t.published.at(-1)).toMatchObject({ kind: "deliver", exceptConn: bob.connId });
    await messages().read(bob, { user: "ann", seq: 1 });
    expect((await messages().dmList(bob)).conversations[0]?.unread).toBe(1);
    await messages().read(bob, { user: "ann", seq: 99 });
    expect(t.eventsOf(bob, "read.changed").at(-1)?.seq).toBe(4);
    await send(ann, { user: "bob" }, "later", "5");
    expect((await messages().dmList(bob)).conversations[0]).toEqual({ user: "ann", lastSeq: 5, unread: 1 });
  });

  it("replays after each cursor, or else after the read marker, oldest first, muted marked", async () => {
    for (let i = 1; i <= 4; i++) await send(ann, { room: "r" }, `r${i}`, `r${i}`);
    await send(ann, { user: "bob" }, "dm1", "d1");
    await send(ann, { user: "bob" }, "dm2", "d2");
    await messages().read(bob, { room: "r", seq: 3 });
    await t.domain.settings.mute(bob, { user: "ann", on: true });

    const fromMarkers = await replay(bob.userId);
    expect(fromMarkers.map((m) => [m.room ?? m.user, m.seq, m.muted])).toEqual([
      ["r", 4, true],
      ["ann", 1, true],
      ["ann", 2, true],
    ]);
    const fromCursors = await replay(bob.userId, { "ROOM:R": 1, "dm:ann": 2 });
    expect(fromCursors.map((m) => m.body)).toEqual(["r2", "r3", "r4"]);
    // The sender's own messages come back with their cid.
    const own = await replay(ann.userId, { "room:r": 3, "dm:bob": 1 });
    expect(own.map((m) => [m.body, m.cid, m.muted])).toEqual([
      ["r4", "r4", undefined],
      ["dm2", "d2", undefined],
    ]);
  });

  it("refuses read and history for rooms one is not in", async () => {
    await send(ann, { room: "r" }, "x", "1");
    expect(await codeOf(messages().read(cid, { room: "r", seq: 1 }))).toBe("NOT_MEMBER");
    expect(await codeOf(messages().roomHistory(cid, { room: "r" }))).toBe("NOT_MEMBER");
    expect(await codeOf(messages().roomHistory(ann, { room: "r", before: 2, after: 0 }))).toBe(
      "INVALID_PARAMS",
    );
    expect(await codeOf(messages().dmHistory(ann, { user: "nobody" }))).toBe("NO_SUCH_USER");
  });
});

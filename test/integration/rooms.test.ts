/**
 * Every op of PROTOCOL.md's Rooms section through a real hub over wss: a success and an error case each,
 * with the events the section documents. The users are shared by the file (registration is rate limited
 * per address, and Argon2 costs time); each test works in rooms of its own, so tests stay independent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAndLogin, type TestClient } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { roomName, roomWith } from "../helpers/rooms.js";

let hub: TestHub;
// Owner, admins, members and an outsider, as each test needs them; names are unique to this file.
let ann: TestClient, bob: TestClient, cat: TestClient, dan: TestClient, eve: TestClient, fay: TestClient;

beforeAll(async () => {
  // A handful of users drive every test here, faster than any person would: the request and message
  // rate limits (tested in session.test.ts and messages.test.ts) would only get in the way.
  hub = await startHub({ config: { rateLimits: false } });
  const signUp = (u: string) => registerAndLogin(hub.url, u);
  [ann, bob, cat, dan, eve, fay] = await Promise.all([
    signUp("r-ann"),
    signUp("r-bob"),
    signUp("r-cat"),
    signUp("r-dan"),
    signUp("r-eve"),
    signUp("r-fay"),
  ]);
});
afterAll(async () => {
  await Promise.all([ann, bob, cat, dan, eve, fay].map((c) => c?.close()));
  await hub.stop();
});

describe("rooms.list", () => {
  it("lists brief entries (name, locked, joined) and detailed ones, filtered by a case-insensitive prefix", async () => {
    await ann.call("room.create", {
      name: "lst-alpha",
      description: "the first",
      password: "sesame",
      capacity: 5,
    });
    await ann.call("room.create", { name: "lst-beta" });
    await ann.call("room.create", { name: "other-lst" });

    const brief = await bob.call("rooms.list", { query: "LST-" });
    expect(brief.rooms).toEqual([
      { name: "lst-alpha", locked: true, joined: false },
      { name: "lst-beta", locked: false, joined: false },
    ]);

    const detail = await ann.call("rooms.list", { detail: true, query: "lst-a" });
    expect(detail.rooms).toHaveLength(1);
    expect(detail.rooms[0]).toMatchObject({
      name: "lst-alpha",
      description: "the first",
      members: 1,
      online: 1,
      capacity: 5,
      locked: true,
      joined: true,
    });

    const all = await bob.call("rooms.list");
    expect(all.rooms.map((r) => r.name)).toEqual(
      expect.arrayContaining(["lst-alpha", "lst-beta", "other-lst"]),
    );
  });

  it("with `joined`, lists only your rooms, with your read marker when detailed", async () => {
    await ann.call("room.create", { name: "mine-one" });
    await ann.call("room.create", { name: "mine-two" });
    await bob.call("room.join", { room: "mine-two" });
    const sent = await ann.call("msg.send", { room: "mine-two", body: "read me", cid: "mine-two-1" });
    await bob.call("read", { room: "mine-two", seq: sent.seq });
    const { rooms } = await bob.call("rooms.list", { joined: true, detail: true, query: "mine-" });
    expect(rooms).toHaveLength(1);
    expect(rooms[0]).toMatchObject({ name: "mine-two", joined: true, readSeq: sent.seq, lastSeq: sent.seq });
  });

  it("refuses params of the wrong type", async () => {
    expect(await bob.codeOf("rooms.list", { detail: "yes" })).toBe("INVALID_PARAMS");
  });
});

describe("room.create", () => {
  it("creates a room with description, password and capacity; the creator is its owner and only member", async () => {
    const name = roomName("create");
    const { room } = await ann.call("room.create", {
      name,
      description: "  about things  ",
      password: "pw",
      capacity: 3,
    });
    expect(room).toMatchObject({
      name,
      description: "about things",
      members: 1,
      capacity: 3,
      locked: true,
      joined: true,
    });
    const { members } = await ann.call("room.members", { room: name });
    expect(members).toEqual([expect.objectContaining({ username: "r-ann", role: "owner", online: true })]);
  });

  it("refuses a taken name ignoring case (ROOM_EXISTS), a bad name (INVALID_NAME) and capacity outside 1–10000", async () => {
    const name = roomName("dup");
    await ann.call("room.create", { name });
    expect(await bob.codeOf("room.create", { name: name.toUpperCase() })).toBe("ROOM_EXISTS");
    expect(await bob.codeOf("room.create", { name: "has space" })).toBe("INVALID_NAME");
    expect(await bob.codeOf("room.create", { name: "" })).toBe("INVALID_NAME");
    expect(await bob.codeOf("room.create", { name: "x".repeat(49) })).toBe("INVALID_NAME");
    expect(await bob.codeOf("room.create", { name: "émoji" })).toBe("INVALID_NAME");
    expect(await bob.codeOf("room.create", { name: roomName("cap"), capacity: 0 })).toBe("INVALID_PARAMS");
    expect(await bob.codeOf("room.create", { name: roomName("cap"), capacity: 10_001 })).toBe(
      "INVALID_PARAMS",
    );
    const reply = await bob.request("room.create", { name: roomName("cap"), capacity: 0 });
    expect(reply.ok ? "" : reply.error.message).toContain("capacity");
  });
});

describe("room.join", () => {
  it("returns the room, its members, the latest page of history and lastSeq; members hear member.joined", async () => {
    const room = await roomWith("join", ann);
    for (const body of ["one", "two", "three"]) {
      await ann.call("msg.send", { room, body, cid: `${room}-${body}` });
    }
    const joined = await bob.call("room.join", { room });
    expect(joined.room).toMatchObject({ name: room, members: 2, joined: true });
    expect(joined.members.map((m) => [m.username, m.role])).toEqual([
      ["r-ann", "owner"],
      ["r-bob", "member"],
    ]);
    expect(joined.history.map((m) => [m.seq, m.body, m.from, m.room])).toEqual([
      [1, "one", "r-ann", room],
      [2, "two", "r-ann", room],
      [3, "three", "r-ann", room],
    ]);
    expect(joined.lastSeq).toBe(3);
    const event = await ann.nextEvent("member.joined", (e) => e.room === room);
    expect(event).toEqual({ ev: "member.joined", room, username: "r-bob", role: "member" });
  });

  it("returns only the latest page when history is longer than one page", async () => {
    const room = await roomWith("page", ann);
    for (let i = 1; i <= 55; i++) await ann.call("msg.send", { room, body: `m${i}`, cid: `${room}-${i}` });
    const joined = await bob.call("room.join", { room });
    expect(joined.lastSeq).toBe(55);
    expect(joined.history).toHaveLength(50);
    expect(joined.history[0]?.seq).toBe(6);
    expect(joined.history.at(-1)?.seq).toBe(55);
  });

  it("refuses an unknown room, a wrong or missing password, a full room, a banned user and a member", async () => {
    expect(await bob.codeOf("room.join", { room: "no-such-room-here" })).toBe("NO_SUCH_ROOM");

    const locked = roomName("locked");
    await ann.call("room.create", { name: locked, password: "open sesame" });
    expect(await bob.codeOf("room.join", { room: locked })).toBe("WRONG_PASSWORD");
    expect(await bob.codeOf("room.join", { room: locked, password: "open barley" })).toBe("WRONG_PASSWORD");
    await bob.call("room.join", { room: locked, password: "open sesame" });
    expect(await bob.codeOf("room.join", { room: locked, password: "open sesame" })).toBe("ALREADY_MEMBER");

    const small = roomName("small");
    await ann.call("room.create", { name: small, capacity: 2 });
    await bob.call("room.join", { room: small });
    expect(await cat.codeOf("room.join", { room: small })).toBe("ROOM_FULL");
    // Capacity counts members: once one leaves, there is room again.
    await bob.call("room.leave", { room: small });
    await cat.call("room.join", { room: small });

    const strict = roomName("strict");
    await ann.call("room.create", { name: strict });
    await ann.call("room.ban", { room: strict, username: "r-dan" });
    expect(await dan.codeOf("room.join", { room: strict })).toBe("BANNED");
  });

  it("finds the room ignoring case", async () => {
    const room = await roomWith("case", ann);
    const joined = await bob.call("room.join", { room: room.toUpperCase() });
    expect(joined.room.name).toBe(room);
  });
});

describe("room.leave", () => {
  it("passes ownership to the longest-standing admin, not the longest-standing member", async () => {
    const room = await roomWith("succ-admin", ann, bob, cat, dan);
    await ann.call("room.promote", { room, username: "r-dan" });
    await ann.call("room.promote", { room, username: "r-cat" });
    await ann.call("room.leave", { room });

    const left = await bob.nextEvent("member.left", (e) => e.room === room);
    expect(left).toEqual({ ev: "member.left", room, username: "r-ann", reason: "left" });
    const changed = await bob.nextEvent("role.changed", (e) => e.room === room && e.reason === "succession");
    expect(changed).toMatchObject({ room, username: "r-cat", role: "owner", reason: "succession" });
    await dan.nextEvent("role.changed", (e) => e.room === room && e.reason === "succession");

    const { members } = await bob.call("room.members", { room });
    expect(members.map((m) => [m.username, m.role])).toEqual([
      ["r-bob", "member"],
      ["r-cat", "owner"],
      ["r-dan", "admin"],
    ]);
    // The new owner has the owner's powers.
    await cat.call("room.demote", { room, username: "r-dan" });
  });

  it("passes ownership to the longest-standing member when there is no admin", async () => {
    const room = await roomWith("succ-member", ann, bob, cat);
    await ann.call("room.leave", { room });
    const changed = await cat.nextEvent("role.changed", (e) => e.room === room && e.reason === "succession");
    expect(changed).toMatchObject({ username: "r-bob", role: "owner" });
    const { members } = await cat.call("room.members", { room });
    expect(members.find((m) => m.username === "r-bob")?.role).toBe("owner");
    expect(members.filter((m) => m.role === "owner")).toHaveLength(1);
  });

  it("deletes the room when the last member leaves", async () => {
    const room = await roomWith("last", ann, bob);
    await bob.call("room.leave", { room });
    await ann.call("room.leave", { room });
    await ann.nextEvent("room.deleted", (e) => e.room === room);
    expect((await bob.call("rooms.list", { query: room })).rooms).toEqual([]);
    expect(await bob.codeOf("room.join", { room })).toBe("NO_SUCH_ROOM");
    // The name is free again, with fresh history.
    const { room: again } = await bob.call("room.create", { name: room });
    expect(again.lastSeq ?? 0).toBe(0);
  });

  it("refuses a non-member (NOT_MEMBER) and an unknown room", async () => {
    const room = await roomWith("leave-err", ann);
    expect(await bob.codeOf("room.leave", { room })).toBe("NOT_MEMBER");
    expect(await bob.codeOf("room.leave", { room: "never-was-a-room" })).toBe("NO_SUCH_ROOM");
  });
});

describe("room.members", () => {
  it("lists members in seniority order with role, joinedAt and presence", async () => {
    const room = await roomWith("members", ann, bob);
    await ann.call("room.promote", { room, username: "r-bob" });
    const { members } = await bob.call("room.members", { room });
    expect(members).toEqual([
      { username: "r-ann", role: "owner", joinedAt: expect.any(Number), online: true },
      { username: "r-bob", role: "admin", joinedAt: expect.any(Number), online: true },
    ]);
    expect(members[0]!.joinedAt).toBeLessThanOrEqual(members[1]!.joinedAt);
  });

  it("refuses a non-member", async () => {
    const room = await roomWith("members-err", ann);
    expect(await bob.codeOf("room.members", { room })).toBe("NOT_MEMBER");
  });
});

describe("room.history", () => {
  it("pages before and after a seq, oldest first, and returns the latest page by default", async () => {
    const room = await roomWith("hist", ann, bob);
    for (let i = 1; i <= 6; i++) await ann.call("msg.send", { room, body: `h${i}`, cid: `${room}-${i}` });
    const seqs = (r: { messages: Array<{ seq: number }> }) => r.messages.map((m) => m.seq);
    expect(seqs(await bob.call("room.history", { room }))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqs(await bob.call("room.history", { room, before: 5, limit: 2 }))).toEqual([3, 4]);
    expect(seqs(await bob.call("room.history", { room, after: 2, limit: 3 }))).toEqual([3, 4, 5]);
    expect(seqs(await bob.call("room.history", { room, after: 6 }))).toEqual([]);
    expect(seqs(await bob.call("room.history", { room, limit: 2 }))).toEqual([5, 6]);
    const { messages } = await bob.call("room.history", { room, before: 2 });
    expect(messages).toEqual([
      { id: expect.any(String), seq: 1, ts: expect.any(Number), from: "r-ann", room, body: "h1" },
    ]);
  });

  it("refuses a non-member, a limit over 200, and before with after", async () => {
    const room = await roomWith("hist-err", ann);
    expect(await bob.codeOf("room.history", { room })).toBe("NOT_MEMBER");
    expect(await ann.codeOf("room.history", { room, limit: 201 })).toBe("INVALID_PARAMS");
    expect(await ann.codeOf("room.history", { room, before: 3, after: 1 })).toBe("INVALID_PARAMS");
  });
});

describe("room.kick", () => {
  it("removes a member: members hear member.left (kicked), the one removed hears kicked, and may rejoin", async () => {
    const room = await roomWith("kick", ann, bob, cat);
    await ann.call("room.kick", { room, username: "r-cat", reason: "too loud" });
    expect(await bob.nextEvent("member.left", (e) => e.room === room)).toEqual({
      ev: "member.left",
      room,
      username: "r-cat",
      reason: "kicked",
      by: "r-ann",
      message: "too loud",
    });
    expect(await cat.nextEvent("kicked", (e) => e.room === room)).toEqual({
      ev: "kicked",
      room,
      by: "r-ann",
      reason: "too loud",
    });
    expect(await cat.codeOf("room.members", { room })).toBe("NOT_MEMBER");
    await cat.call("room.join", { room });
  });

  it("lets an admin kick a member", async () => {
    const room = await roomWith("kick-admin", ann, bob, cat);
    await ann.call("room.promote", { room, username: "r-bob" });
    await bob.call("room.kick", { room, username: "r-cat" });
    const kicked = await cat.nextEvent("kicked", (e) => e.room === room);
    expect(kicked.by).toBe("r-bob");
  });

  it("forbids member→admin, admin→owner and admin→admin; NOT_MEMBER and NO_SUCH_USER for bad targets", async () => {
    const room = await roomWith("kick-err", ann, bob, cat, dan);
    await ann.call("room.promote", { room, username: "r-bob" });
    await ann.call("room.promote", { room, username: "r-dan" });
    expect(await cat.codeOf("room.kick", { room, username: "r-bob" })).toBe("FORBIDDEN");
    expect(await cat.codeOf("room.kick", { room, username: "r-cat" })).toBe("FORBIDDEN");
    expect(await bob.codeOf("room.kick", { room, username: "r-ann" })).toBe("FORBIDDEN");
    expect(await bob.codeOf("room.kick", { room, username: "r-dan" })).toBe("FORBIDDEN");
    expect(await ann.codeOf("room.kick", { room, username: "r-eve" })).toBe("NOT_MEMBER");
    expect(await ann.codeOf("room.kick", { room, username: "nobody-at-all" })).toBe("NO_SUCH_USER");
    expect(await eve.codeOf("room.kick", { room, username: "r-cat" })).toBe("FORBIDDEN");
    // Nothing changed.
    const { members } = await ann.call("room.members", { room });
    expect(members.map((m) => m.username)).toEqual(["r-ann", "r-bob", "r-cat", "r-dan"]);
  });
});

describe("room.ban, room.unban, room.bans", () => {
  it("bans a member (removing them), lists the ban, keeps them out until unbanned", async () => {
    const room = await roomWith("ban", ann, bob, cat);
    await ann.call("room.promote", { room, username: "r-bob" });
    await bob.call("room.ban", { room, username: "r-cat", reason: "spam" });
    expect(
      await ann.nextEvent("member.left", (e) => e.room === room && e.username === "r-cat"),
    ).toMatchObject({
      reason: "banned",
    });
    expect(await cat.nextEvent("banned", (e) => e.room === room)).toEqual({
      ev: "banned",
      room,
      by: "r-bob",
      reason: "spam",
    });
    expect(await cat.codeOf("room.join", { room })).toBe("BANNED");

    const { bans } = await ann.call("room.bans", { room });
    expect(bans).toEqual([{ username: "r-cat", by: "r-bob", at: expect.any(Number), reason: "spam" }]);

    await bob.call("room.unban", { room, username: "r-cat" });
    expect((await ann.call("room.bans", { room })).bans).toEqual([]);
    await cat.call("room.join", { room });
  });

  it("bans a user who is not in the room, so they cannot join", async () => {
    const room = await roomWith("preban", ann);
    await ann.call("room.ban", { room, username: "r-eve" });
    await eve.nextEvent("banned", (e) => e.room === room);
    expect(await eve.codeOf("room.join", { room })).toBe("BANNED");
    expect((await ann.call("room.bans", { room })).bans.map((b) => b.username)).toEqual(["r-eve"]);
  });

  it("forbids members and lower ranks; NO_SUCH_USER and NOT_BANNED for bad targets", async () => {
    const room = await roomWith("ban-err", ann, bob, cat);
    await ann.call("room.promote", { room, username: "r-bob" });
    expect(await cat.codeOf("room.ban", { room, username: "r-bob" })).toBe("FORBIDDEN");
    expect(await bob.codeOf("room.ban", { room, username: "r-ann" })).toBe("FORBIDDEN");
    expect(await ann.codeOf("room.ban", { room, username: "nobody-at-all" })).toBe("NO_SUCH_USER");
    expect(await cat.codeOf("room.bans", { room })).toBe("FORBIDDEN");
    expect(await eve.codeOf("room.bans", { room })).toBe("FORBIDDEN");
    await ann.call("room.ban", { room, username: "r-eve" });
    expect(await cat.codeOf("room.unban", { room, username: "r-eve" })).toBe("FORBIDDEN");
    expect(await ann.codeOf("room.unban", { room, username: "r-fay" })).toBe("NOT_BANNED");
    expect(await ann.codeOf("room.unban", { room, username: "nobody-at-all" })).toBe("NOT_BANNED");
    // The refused ban changed nothing.
    const { members } = await ann.call("room.members", { room });
    expect(members.map((m) => m.username)).toEqual(["r-ann", "r-bob", "r-cat"]);
  });
});

describe("room.promote and room.demote", () => {
  it("promotes a member to admin (by the owner or an admin) and demotes (owner only), with role.changed", async () => {
    const room = await roomWith("roles", ann, bob, cat);
    await ann.call("room.promote", { room, username: "r-bob" });
    expect(await cat.nextEvent("role.changed", (e) => e.room === room)).toEqual({
      ev: "role.changed",
      room,
      username: "r-bob",
      role: "admin",
      by: "r-ann",
      reason: "promoted",
    });
    await bob.call("room.promote", { room, username: "r-cat" });
    expect(
      await ann.nextEvent("role.changed", (e) => e.room === room && e.username === "r-cat"),
    ).toMatchObject({ role: "admin", by: "r-bob", reason: "promoted" });
    await ann.call("room.demote", { room, username: "r-cat" });
    expect(
      await bob.nextEvent("role.changed", (e) => e.room === room && e.reason === "demoted"),
    ).toMatchObject({
      username: "r-cat",
      role: "member",
      by: "r-ann",
    });
    const { members } = await ann.call("room.members", { room });
    expect(members.map((m) => m.role)).toEqual(["owner", "admin", "member"]);
  });

  it("forbids promotion by members, demotion by admins, and the owner's demotion; NOT_MEMBER for outsiders", async () => {
    const room = await roomWith("roles-err", ann, bob, cat, dan);
    await ann.call("room.promote", { room, username: "r-bob" });
    await ann.call("room.promote", { room, username: "r-dan" });
    expect(await cat.codeOf("room.promote", { room, username: "r-cat" })).toBe("FORBIDDEN");
    expect(await bob.codeOf("room.demote", { room, username: "r-dan" })).toBe("FORBIDDEN");
    expect(await bob.codeOf("room.promote", { room, username: "r-ann" })).toBe("FORBIDDEN");
    expect(await ann.codeOf("room.demote", { room, username: "r-ann" })).toBe("FORBIDDEN");
    expect(await ann.codeOf("room.promote", { room, username: "r-eve" })).toBe("NOT_MEMBER");
    expect(await ann.codeOf("room.demote", { room, username: "r-eve" })).toBe("NOT_MEMBER");
    const { members } = await ann.call("room.members", { room });
    expect(members.map((m) => m.role)).toEqual(["owner", "admin", "member", "admin"]);
  });
});

describe("room.update", () => {
  it("changes description, password and capacity; members hear room.updated; password null removes it", async () => {
    const room = await roomWith("upd", ann, bob);
    await ann.call("room.promote", { room, username: "r-bob" });
    const { room: updated } = await bob.call("room.update", {
      room,
      description: "new topic",
      password: "letmein!",
      capacity: 3,
    });
    expect(updated).toMatchObject({ name: room, description: "new topic", locked: true, capacity: 3 });
    const event = await ann.nextEvent("room.updated", (e) => e.room.name === room);
    expect(event.room).toMatchObject({ description: "new topic", locked: true, capacity: 3 });
    expect(event.by).toBe("r-bob");
    expect(event.room.readSeq).toBeUndefined();

    expect(await cat.codeOf("room.join", { room })).toBe("WRONG_PASSWORD");
    await cat.call("room.join", { room, password: "letmein!" });
    expect(await dan.codeOf("room.join", { room, password: "letmein!" })).toBe("ROOM_FULL");

    const { room: open } = await ann.call("room.update", { room, password: null, capacity: null });
    expect(open.locked).toBe(false);
    expect(open.capacity).toBeUndefined();
    await dan.call("room.join", { room });
  });

  it("forbids members and outsiders", async () => {
    const room = await roomWith("upd-err", ann, bob);
    expect(await bob.codeOf("room.update", { room, description: "mine now" })).toBe("FORBIDDEN");
    expect(await eve.codeOf("room.update", { room, description: "mine now" })).toBe("FORBIDDEN");
    expect(await ann.codeOf("room.update", { room, capacity: 0 })).toBe("INVALID_PARAMS");
    const [detail] = (await ann.call("rooms.list", { detail: true, query: room })).rooms;
    expect(detail).not.toHaveProperty("description");
  });
});

describe("room.delete", () => {
  it("lets the owner delete the room; members hear room.deleted; it is gone", async () => {
    const room = await roomWith("del", ann, bob);
    await ann.call("msg.send", { room, body: "soon gone", cid: `${room}-1` });
    await ann.call("room.delete", { room });
    expect(await bob.nextEvent("room.deleted", (e) => e.room === room)).toEqual({ ev: "room.deleted", room });
    expect((await bob.call("rooms.list", { query: room })).rooms).toEqual([]);
    expect(await bob.codeOf("room.history", { room })).toBe("NO_SUCH_ROOM");
    // A new room of the same name starts empty.
    const joined = await bob.call("room.create", { name: room });
    expect(joined.room.members).toBe(1);
    expect((await bob.call("room.history", { room })).messages).toEqual([]);
  });

  it("forbids admins and members", async () => {
    const room = await roomWith("del-err", ann, bob, cat);
    await ann.call("room.promote", { room, username: "r-bob" });
    expect(await bob.codeOf("room.delete", { room })).toBe("FORBIDDEN");
    expect(await cat.codeOf("room.delete", { room })).toBe("FORBIDDEN");
    expect((await cat.call("room.members", { room })).members).toHaveLength(3);
  });
});

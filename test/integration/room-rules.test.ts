/**
 * Room rules of issue 14 through a real hub over wss: leaving with a reason, the topic lock, a capacity
 * of one, invitations (who may invite, what an invitation lets through, once), and name bans. Users are
 * shared by the file; each test works in rooms of its own. Expiry and the per-room cap of invitations
 * are in test/unit/domain-room-rules.test.ts (a manual clock) and the store contract.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEAVE_REASON_MAX, ROOM_INVITE_TTL_MS } from "../../src/protocol/limits.js";
import { PASSWORD, registerAndLogin, type TestClient } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { roomName, roomWith, signUpAll } from "../helpers/rooms.js";

let hub: TestHub;
let ann: TestClient, bob: TestClient, cat: TestClient, dan: TestClient;

beforeAll(async () => {
  hub = await startHub({ config: { rateLimits: false } });
  [ann, bob, cat, dan] = await signUpAll(hub.url, ["rr-ann", "rr-bob", "rr-cat", "rr-dan"]);
});
afterAll(async () => {
  await Promise.all([ann, bob, cat, dan].map((c) => c?.close()));
  await hub.stop();
});

describe("room.leave with a reason", () => {
  it("carries the reason, cleaned of control characters and cut, on member.left", async () => {
    const room = await roomWith("bye", ann, bob, cat);
    await bob.call("room.leave", { room, reason: "  off to\u0007 bed\n " });
    expect(await ann.nextEvent("member.left", (e) => e.room === room && e.username === "rr-bob")).toEqual({
      ev: "member.left",
      room,
      username: "rr-bob",
      reason: "left",
      message: "off to  bed",
    });
    await cat.call("room.leave", { room, reason: "x".repeat(LEAVE_REASON_MAX + 50) });
    const left = await ann.nextEvent("member.left", (e) => e.room === room && e.username === "rr-cat");
    expect(left.message).toBe("x".repeat(LEAVE_REASON_MAX));
  });

  it("leaves without a reason as before, and an empty reason is none", async () => {
    const room = await roomWith("bye-none", ann, bob, cat);
    await bob.call("room.leave", { room });
    expect(
      await ann.nextEvent("member.left", (e) => e.username === "rr-bob" && e.room === room),
    ).not.toHaveProperty("message");
    await cat.call("room.leave", { room, reason: " \u0001 " });
    expect(
      await ann.nextEvent("member.left", (e) => e.username === "rr-cat" && e.room === room),
    ).not.toHaveProperty("message");
    expect(await ann.codeOf("room.leave", { room, reason: "y".repeat(501) })).toBe("INVALID_PARAMS");
  });
});

describe("topic lock", () => {
  it("is on by default: members may not set the topic; unlocked, any member may, and who/when is kept", async () => {
    const { room: described } = await ann.call("room.create", {
      name: roomName("topic-new"),
      description: "hi",
    });
    expect(described).toMatchObject({ description: "hi", topicBy: "rr-ann", topicAt: described.createdAt });
    const room = await roomWith("topic", ann, bob);
    const { room: created } = await ann.call("room.update", { room, description: "first" });
    expect(created).toMatchObject({ topicLocked: true, topicBy: "rr-ann", topicAt: expect.any(Number) });
    expect(await bob.codeOf("room.update", { room, description: "mine" })).toBe("FORBIDDEN");

    await ann.call("room.update", { room, topicLocked: false });
    const changed = await bob.nextEvent(
      "room.updated",
      (e) => e.room.name === room && e.room.topicLocked === false,
    );
    expect(changed.by).toBe("rr-ann");

    const { room: set } = await bob.call("room.update", { room, description: "mine" });
    expect(set).toMatchObject({ description: "mine", topicBy: "rr-bob", topicLocked: false });
    // Only the topic: the other settings and the lock itself stay the admins'.
    expect(await bob.codeOf("room.update", { room, topicLocked: true })).toBe("FORBIDDEN");
    expect(await bob.codeOf("room.update", { room, description: "x", capacity: 5 })).toBe("FORBIDDEN");
    // An outsider may not, locked or not.
    expect(await cat.codeOf("room.update", { room, description: "outsider" })).toBe("FORBIDDEN");

    const { room: cleared } = await bob.call("room.update", { room, description: null });
    expect(cleared).not.toHaveProperty("description");
    expect(cleared).not.toHaveProperty("topicBy");
    await ann.call("room.update", { room, topicLocked: true });
    expect(await bob.codeOf("room.update", { room, description: "again" })).toBe("FORBIDDEN");
  });
});

describe("capacity", () => {
  it("may be 1, and lowering it under the member count removes no one", async () => {
    const room = await roomWith("cap-one", ann, bob);
    await ann.call("room.update", { room, capacity: 1 });
    expect(await cat.codeOf("room.join", { room })).toBe("ROOM_FULL");
    expect((await ann.call("room.members", { room })).members).toHaveLength(2);
    await bob.call("msg.send", { room, body: "still here", cid: "cap-one-1" });
    await ann.call("room.update", { room, capacity: null });
    await cat.call("room.join", { room });
  });
});

describe("room.invite", () => {
  it("lets the invitee in once past the capacity; the invitee hears invited", async () => {
    const room = await roomWith("inv", ann);
    await ann.call("room.update", { room, capacity: 1 });
    expect(await bob.codeOf("room.join", { room })).toBe("ROOM_FULL");
    const before = Date.now();
    const { expiresAt } = await ann.call("room.invite", { room, username: "RR-BOB" });
    expect(expiresAt).toBeGreaterThanOrEqual(before + ROOM_INVITE_TTL_MS);
    expect(await bob.nextEvent("invited", (e) => e.room === room)).toEqual({
      ev: "invited",
      room,
      by: "rr-ann",
      expiresAt,
    });
    await bob.call("room.join", { room });
    // Used up: after leaving, the capacity holds again.
    await bob.call("room.leave", { room });
    expect(await bob.codeOf("room.join", { room })).toBe("ROOM_FULL");
  });

  it("lets the invitee in past the password, once", async () => {
    const room = roomName("inv-key");
    await ann.call("room.create", { name: room, password: "sesame-key" });
    expect(await bob.codeOf("room.join", { room })).toBe("WRONG_PASSWORD");
    await ann.call("room.invite", { room, username: "rr-bob" });
    await bob.call("room.join", { room });
    await bob.call("room.leave", { room });
    expect(await bob.codeOf("room.join", { room })).toBe("WRONG_PASSWORD");
  });

  it("does not let a banned user in, and refuses to invite one", async () => {
    const room = await roomWith("inv-ban", ann);
    await ann.call("room.invite", { room, username: "rr-cat" });
    await ann.call("room.ban", { room, username: "rr-cat" });
    expect(await cat.codeOf("room.join", { room })).toBe("BANNED");
    expect(await ann.codeOf("room.invite", { room, username: "rr-cat" })).toBe("BANNED");
  });

  it("lets any member invite to a room without a password; only admins and the owner to one with", async () => {
    const open = await roomWith("inv-open", ann, bob);
    await bob.call("room.invite", { room: open, username: "rr-cat" });
    await cat.nextEvent("invited", (e) => e.room === open);

    const keyed = roomName("inv-keyed");
    await ann.call("room.create", { name: keyed, password: "sesame-key" });
    await bob.call("room.join", { room: keyed, password: "sesame-key" });
    expect(await bob.codeOf("room.invite", { room: keyed, username: "rr-dan" })).toBe("FORBIDDEN");
    expect(await dan.codeOf("room.join", { room: keyed })).toBe("WRONG_PASSWORD");
    await ann.call("room.promote", { room: keyed, username: "rr-bob" });
    await bob.call("room.invite", { room: keyed, username: "rr-dan" });
    await dan.call("room.join", { room: keyed });
  });

  it("refuses outsiders, unknown users, members and unknown rooms", async () => {
    const room = await roomWith("inv-err", ann, bob);
    expect(await cat.codeOf("room.invite", { room, username: "rr-dan" })).toBe("NOT_MEMBER");
    expect(await ann.codeOf("room.invite", { room, username: "nobody-here" })).toBe("NO_SUCH_USER");
    expect(await ann.codeOf("room.invite", { room, username: "rr-bob" })).toBe("ALREADY_MEMBER");
    expect(await ann.codeOf("room.invite", { room: "no-such-room-x", username: "rr-bob" })).toBe(
      "NO_SUCH_ROOM",
    );
    expect(dan.eventsNamed("invited").filter((e) => e.room === room)).toEqual([]);
  });
});

describe("name bans", () => {
  it("bans a name no account holds (byName); an account made later with it, in any case, is kept out", async () => {
    const room = await roomWith("nameban", ann);
    expect(await ann.codeOf("room.ban", { room, username: "rr-later" })).toBe("NO_SUCH_USER");
    await ann.call("room.ban", { room, username: "rr-later", byName: true, reason: "known troll" });
    expect((await ann.call("room.bans", { room })).bans).toEqual([
      { username: "rr-later", byName: true, by: "rr-ann", at: expect.any(Number), reason: "known troll" },
    ]);

    const later = await registerAndLogin(hub.url, "RR-Later", PASSWORD);
    try {
      expect(await later.codeOf("room.join", { room })).toBe("BANNED");
      await ann.call("room.unban", { room, username: "rr-LATER" });
      expect((await ann.call("room.bans", { room })).bans).toEqual([]);
      await later.call("room.join", { room });
    } finally {
      await later.close();
    }
  });

  it("with byName, bans an existing account as an account (it follows renames)", async () => {
    const room = await roomWith("nameban-acct", ann);
    await ann.call("room.ban", { room, username: "rr-dan", byName: true });
    expect((await ann.call("room.bans", { room })).bans).toEqual([
      { username: "rr-dan", by: "rr-ann", at: expect.any(Number) },
    ]);
    expect(await dan.codeOf("room.join", { room })).toBe("BANNED");
    await ann.call("room.unban", { room, username: "rr-dan" });
  });

  it("refuses names that are no username, members banning, and unbanning what is not banned", async () => {
    const room = await roomWith("nameban-err", ann, bob);
    expect(await ann.codeOf("room.ban", { room, username: "no spaces", byName: true })).toBe(
      "INVALID_USERNAME",
    );
    expect(await bob.codeOf("room.ban", { room, username: "rr-someone", byName: true })).toBe("FORBIDDEN");
    expect(await ann.codeOf("room.unban", { room, username: "rr-someone" })).toBe("NOT_BANNED");
    expect((await ann.call("room.bans", { room })).bans).toEqual([]);
  });
});

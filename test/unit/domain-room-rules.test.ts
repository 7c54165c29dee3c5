/**
 * Room rules of issue 14 in the domain on a manual clock: invitations expire, a room holds a bounded
 * number of them (a renewal takes no new place, an expired one frees its place), a user who blocked the
 * inviter is not told, and a name ban keeps out an account created later, whatever its case.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOM_INVITE_TTL_MS, ROOM_INVITES_MAX } from "../../src/protocol/limits.js";
import { codeOf, testDomain, type TestDomain } from "../helpers/domain.js";

let t: TestDomain;
beforeEach(async () => {
  t = await testDomain();
});
afterEach(async () => t.close());

describe("invitations", () => {
  it("expire after ROOM_INVITE_TTL_MS", async () => {
    const owner = await t.user("own");
    const guest = await t.user("gue");
    await t.domain.rooms.create(owner, { name: "r", password: "sesame-key" });
    await t.domain.rooms.invite(owner, { room: "r", username: "gue" });
    t.clock.advance(ROOM_INVITE_TTL_MS);
    expect(await codeOf(t.domain.rooms.join(guest, { room: "r" }))).toBe("WRONG_PASSWORD");
    // A new invitation works again.
    await t.domain.rooms.invite(owner, { room: "r", username: "gue" });
    t.clock.advance(ROOM_INVITE_TTL_MS - 1);
    await t.domain.rooms.join(guest, { room: "r" });
  });

  it("are capped per room; a renewal takes no new place and an expired invitation frees its place", async () => {
    const owner = await t.user("own");
    await t.domain.rooms.create(owner, { name: "r" });
    const names = Array.from({ length: ROOM_INVITES_MAX + 1 }, (_, i) => `u${String(i).padStart(3, "0")}`);
    for (const name of names) {
      await t.store.createUser({ username: name, displayName: name, passwordHash: "x", createdAt: 0 });
    }
    for (const name of names.slice(0, ROOM_INVITES_MAX)) {
      await t.domain.rooms.invite(owner, { room: "r", username: name });
    }
    const last = names[ROOM_INVITES_MAX]!;
    expect(await codeOf(t.domain.rooms.invite(owner, { room: "r", username: last }))).toBe("FORBIDDEN");
    await t.domain.rooms.invite(owner, { room: "r", username: names[0]! });
    t.clock.advance(ROOM_INVITE_TTL_MS);
    await t.domain.rooms.invite(owner, { room: "r", username: last });
  });

  it("are not announced to a user who blocked the inviter", async () => {
    const owner = await t.user("own");
    const other = await t.user("oth");
    const friend = await t.user("fri");
    await t.domain.rooms.create(owner, { name: "r", capacity: 1 });
    await t.domain.rooms.invite(owner, { room: "r", username: "fri" });
    expect(t.eventsOf(friend, "invited")).toEqual([
      { ev: "invited", room: "r", by: "own", expiresAt: t.clock.now() + ROOM_INVITE_TTL_MS },
    ]);
    await t.domain.settings.block(other, { user: "own", on: true });
    await t.domain.rooms.invite(owner, { room: "r", username: "oth" });
    expect(t.eventsOf(other, "invited")).toEqual([]);
    await t.domain.rooms.join(other, { room: "r" });
  });
});

describe("name bans", () => {
  it("keep out an account created after the ban, whatever the case of its name", async () => {
    const owner = await t.user("own");
    await t.domain.rooms.create(owner, { name: "r" });
    await t.domain.rooms.ban(owner, { room: "r", username: "Later", byName: true });
    const later = await t.user("LATER");
    expect(await codeOf(t.domain.rooms.join(later, { room: "r" }))).toBe("BANNED");
    expect(await codeOf(t.domain.rooms.invite(owner, { room: "r", username: "later" }))).toBe("BANNED");
  });
});

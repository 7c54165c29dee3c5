/**
 * Presence in the domain, without a socket: who hears a user come and go (those who share a room or a
 * DM conversation), multi-device (online while any connection is), lastSeen from the clock, search.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testDomain, type TestDomain } from "../helpers/domain.js";

let t: TestDomain;
beforeEach(async () => {
  t = await testDomain();
});
afterEach(async () => t.close());

describe("presence", () => {
  it("tells roommates and DM partners, not strangers, when a user goes offline and comes back", async () => {
    const [ann, roommate, partner, stranger] = [
      await t.user("ann"),
      await t.user("roommate"),
      await t.user("partner"),
      await t.user("stranger"),
    ];
    await t.domain.rooms.create(ann, { name: "r" });
    await t.domain.rooms.join(roommate, { room: "r" });
    await t.domain.messages.send(partner, { user: "ann", body: "hi", cid: "1" });
    t.clearEvents();

    await t.domain.presence.disconnected(ann, "disconnect");
    const again = await t.device("ann");
    const expected = [
      { ev: "presence", username: "ann", online: false, reason: "disconnect" },
      { ev: "presence", username: "ann", online: true, reason: "login" },
    ];
    expect(t.eventsOf(roommate, "presence")).toEqual(expected);
    expect(t.eventsOf(partner, "presence")).toEqual(expected);
    expect(t.eventsOf(stranger, "presence")).toEqual([]);
    // Not to the user's own devices.
    expect(t.eventsOf(again, "presence")).toEqual([]);
  });

  it("keeps a user online while any device is connected, and records lastSeen when the last goes", async () => {
    const ann = await t.user("ann");
    const bob = await t.user("bob");
    await t.domain.rooms.create(ann, { name: "r" });
    await t.domain.rooms.join(bob, { room: "r" });
    const second = await t.device("bob");
    t.clearEvents();

    await t.domain.presence.disconnected(bob, "disconnect");
    expect(t.eventsOf(ann, "presence")).toEqual([]);
    expect((await t.domain.presence.online()).users.map((u) => u.username)).toEqual(["ann", "bob"]);

    t.clock.advance(5000);
    await t.domain.presence.disconnected(second, "timeout");
    expect(t.eventsOf(ann, "presence")).toEqual([
      { ev: "presence", username: "bob", online: false, reason: "timeout" },
    ]);
    expect((await t.domain.presence.online()).users.map((u) => u.username)).toEqual(["ann"]);
    const { users } = await t.domain.presence.search(ann, { query: "BO" });
    expect(users).toEqual([{ username: "bob", displayName: "bob", online: false, lastSeen: t.clock.now() }]);
  });

  it("searches by username or display-name prefix, at most 20", async () => {
    const ann = await t.user("ann");
    for (let i = 0; i < 21; i++) {
      await t.store.createUser({
        username: `zed${i}`,
        displayName: `Zed ${i}`,
        passwordHash: "x",
        createdAt: 0,
      });
    }
    await t.store.createUser({ username: "other", displayName: "Zelda", passwordHash: "x", createdAt: 0 });
    expect((await t.domain.presence.search(ann, { query: "ze" })).users).toHaveLength(20);
    expect((await t.domain.presence.search(ann, { query: "zeld" })).users.map((u) => u.username)).toEqual([
      "other",
    ]);
    expect((await t.domain.presence.search(ann, { query: "ed" })).users).toEqual([]);
  });
});

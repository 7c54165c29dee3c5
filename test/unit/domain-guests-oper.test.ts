/**
 * IRC's domain rules without a socket (issue 14): `OPER` as a server admin's credentials
 * (Admin.oper), the quit message of a presence change, and ephemeral guests (guests.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OPERATOR } from "../../src/hub/domain/admin.js";
import { isGuest } from "../../src/hub/domain/guests.js";
import { ADDRESS, PASSWORD, codeOf, testDomain, type TestDomain } from "../helpers/domain.js";

let t: TestDomain;
beforeEach(async () => {
  t = await testDomain();
});
afterEach(() => t.close());

describe("OPER", () => {
  it("gives a server admin's authority for its credentials; FORBIDDEN for others; failures are failed logins", async () => {
    await t.user("ann");
    await t.user("bob");
    await t.domain.admin.grant(OPERATOR, { username: "ann", on: true });
    const by = await t.domain.admin.oper({ username: "ann", password: PASSWORD }, ADDRESS);
    expect(by).toMatchObject({ name: "ann" });
    expect(
      (await t.store.listAudit({ limit: 5 })).some((e) => e.action === "oper" && e.actor === "ann"),
    ).toBe(true);
    expect(await codeOf(t.domain.admin.oper({ username: "bob", password: PASSWORD }, ADDRESS))).toBe(
      "FORBIDDEN",
    );
    // Wrong passwords count against the account as a login's do: then even the right one waits.
    for (let i = 0; i < 5; i++) {
      expect(await codeOf(t.domain.admin.oper({ username: "ann", password: "guess" }, ADDRESS))).toBe(
        "BAD_CREDENTIALS",
      );
    }
    expect(await codeOf(t.domain.admin.oper({ username: "ann", password: PASSWORD }, ADDRESS))).toBe(
      "RATE_LIMITED",
    );
    // A revoked admin's authority ends at its next use.
    await t.domain.admin.grant(OPERATOR, { username: "ann", on: false });
    expect(await codeOf(t.domain.admin.authorizeUser(by.userId!))).toBe("FORBIDDEN");
  });

  it("a kick's reason is told to the user, cut and cleaned", async () => {
    await t.user("cat");
    await t.domain.admin.kick(OPERATOR, { username: "cat" }, `bye\r\n${"x".repeat(300)}`);
    const ended = t.published.at(-1);
    expect(ended).toMatchObject({ kind: "end-sessions", reason: "kicked" });
    const message = (ended as { message: string }).message;
    expect(message.startsWith("bye x")).toBe(true);
    expect([...message]).toHaveLength(200);
  });
});

describe("presence", () => {
  it("passes a quit message on with reason quit, as one clean bounded line", async () => {
    const ann = await t.user("ann");
    const bob = await t.user("bob");
    await t.domain.messages.send(ann, { user: "bob", body: "hi", cid: "c1" });
    await t.domain.presence.disconnected(ann, "quit", "gone\u0007 fishing ");
    const [event] = t.eventsOf(bob, "presence").filter((e) => !e.online);
    expect(event).toMatchObject({ username: "ann", reason: "quit", message: "gone  fishing" });
    // Other reasons carry no message.
    await t.domain.presence.connected(ann);
    await t.domain.presence.disconnected(ann, "timeout", "ignored");
    expect(t.eventsOf(bob, "presence").at(-1)).not.toHaveProperty("message");
  });
});

describe("guests", () => {
  it("lasts as long as it is connected: rooms pass on, the name is free, the next one is another user", async () => {
    const ann = await t.user("ann");
    const guest = await t.domain.guests.login("gst", ADDRESS, "g1");
    await t.domain.presence.connected(guest.actor);
    const record = (await t.store.getUserByName("gst"))!;
    expect(isGuest(record)).toBe(true);
    // No password opens a guest; its name is taken while it lasts; an account's name is never a guest's.
    expect(await codeOf(t.domain.accounts.login({ username: "gst", password: "!guest" }, ADDRESS, "x"))).toBe(
      "BAD_CREDENTIALS",
    );
    expect(await codeOf(t.domain.guests.login("gst", ADDRESS, "g2"))).toBe("USERNAME_TAKEN");
    expect(await codeOf(t.domain.guests.login("ann", ADDRESS, "g3"))).toBe("USERNAME_TAKEN");

    await t.domain.rooms.create(guest.actor, { name: "den" });
    await t.domain.rooms.join(ann, { room: "den" });
    await t.domain.messages.send(guest.actor, { user: "ann", body: "from a guest", cid: "g" });

    // Not yet gone while connected.
    await t.domain.guests.left(guest.actor.userId);
    expect(await t.store.getUserByName("gst")).toBeDefined();
    await t.domain.presence.disconnected(guest.actor, "quit");
    await t.domain.guests.left(guest.actor.userId);
    expect(await t.store.getUserByName("gst")).toBeUndefined();
    const { members } = await t.domain.rooms.members(ann, { room: "den" });
    expect(members.map((m) => [m.username, m.role])).toEqual([["ann", "owner"]]);

    // A later account of that name is a new user with no conversation with ann.
    await t.domain.accounts.register({ username: "gst", password: PASSWORD }, "10.0.0.9");
    const again = await t.device("gst");
    expect(again.userId).not.toBe(guest.actor.userId);
    expect((await t.domain.messages.dmHistory(again, { user: "ann" })).messages).toEqual([]);
    // ann's side of the conversation with the guest stays (as for any deleted account).
    const { conversations } = await t.domain.messages.dmList(ann);
    expect(conversations.length).toBeGreaterThan(0);
    expect(conversations.map((c) => c.user)).not.toContain("gst");
  });

  it("a guest left over (not connected, not made by this process's live logins) gives way to a new one", async () => {
    const old = await t.domain.guests.login("lft", ADDRESS, "g1");
    // As if the hub had stopped before deleting it: nothing ever calls left().
    const { Guests } = await import("../../src/hub/domain/guests.js");
    const fresh = new Guests(t.domain.deps, t.domain.accounts, t.domain.admin);
    const next = await fresh.login("lft", ADDRESS, "g2");
    expect(next.actor.userId).not.toBe(old.actor.userId);
  });
});

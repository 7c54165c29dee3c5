/** The rules of server administration (src/hub/domain/admin.ts), without a socket. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OPERATOR } from "../../src/hub/domain/admin.js";
import { ADDRESS, PASSWORD, codeOf, testDomain, type TestDomain } from "../helpers/domain.js";

describe("server administration", () => {
  let t: TestDomain;
  beforeEach(async () => {
    t = await testDomain();
  });
  afterEach(() => t.close());

  it("only a server admin is authorized, read afresh each time", async () => {
    const ann = await t.user("ann");
    expect(await codeOf(t.domain.admin.authorize(ann))).toBe("FORBIDDEN");
    await t.domain.admin.grant(OPERATOR, { username: "ann", on: true });
    expect(await t.domain.admin.authorize(ann)).toEqual({ userId: ann.userId, name: "ann" });
    await t.domain.admin.grant(OPERATOR, { username: "ann", on: false });
    expect(await codeOf(t.domain.admin.authorize(ann))).toBe("FORBIDDEN");
  });

  it("an admin cannot suspend, delete or un-admin themselves", async () => {
    const ann = await t.user("ann");
    await t.domain.admin.grant(OPERATOR, { username: "ann", on: true });
    const by = await t.domain.admin.authorize(ann);
    expect(await codeOf(t.domain.admin.suspend(by, { username: "ann", reason: "x" }))).toBe("FORBIDDEN");
    expect(await codeOf(t.domain.admin.deleteUser(by, { username: "ann" }))).toBe("FORBIDDEN");
    expect(await codeOf(t.domain.admin.grant(by, { username: "ann", on: false }))).toBe("FORBIDDEN");
  });

  it("a suspension needs a reason, ends sessions on the bus and refuses login after the password check", async () => {
    await t.user("bob");
    expect(await codeOf(t.domain.admin.suspend(OPERATOR, { username: "bob", reason: "  " }))).toBe(
      "INVALID_PARAMS",
    );
    await t.domain.admin.suspend(OPERATOR, { username: "bob", reason: "spam" });
    expect(t.published.at(-1)).toMatchObject({ kind: "end-sessions", reason: "suspended", message: "spam" });
    const login = (password: string) => t.domain.accounts.login({ username: "bob", password }, ADDRESS, "c");
    expect(await codeOf(login("wrong password"))).toBe("BAD_CREDENTIALS");
    expect(await codeOf(login(PASSWORD))).toBe("SUSPENDED");
    await t.domain.admin.unsuspend(OPERATOR, { username: "bob" });
    await login(PASSWORD);
  });

  it("a reset token works once, before it expires, and wrong ones count as failed logins", async () => {
    await t.user("cat");
    const { resetToken } = await t.domain.admin.password(OPERATOR, { username: "cat" });
    const reset = (token: string, password = "another good password") =>
      t.domain.accounts.resetPassword({ username: "cat", token, password }, ADDRESS);
    for (let i = 0; i < 5; i++) expect(await codeOf(reset("guess"))).toBe("BAD_CREDENTIALS");
    expect(await codeOf(reset("guess"))).toBe("RATE_LIMITED");
    t.clock.advance(10 * 60_000);
    expect(await codeOf(reset(resetToken!, "cat"))).toBe("WEAK_PASSWORD");
    await reset(resetToken!);
    expect(await codeOf(reset(resetToken!))).toBe("BAD_CREDENTIALS");

    const late = await t.domain.admin.password(OPERATOR, { username: "cat" });
    t.clock.advance(25 * 3600_000);
    expect(await codeOf(reset(late.resetToken!))).toBe("BAD_CREDENTIALS");
  });

  it("transferring a room to a non-member joins them as owner past capacity and lifts their ban", async () => {
    const owner = await t.user("olga");
    const ned = await t.user("ned");
    await t.domain.rooms.create(owner, { name: "tiny", capacity: 2 });
    await t.user("third");
    await t.domain.rooms.ban(owner, { room: "tiny", username: "ned" });
    await t.domain.admin.transfer(OPERATOR, { room: "tiny", username: "ned" });
    const room = await t.store.getRoom("tiny");
    const members = await t.store.getMembers(room!.id);
    expect(members.map((m) => [m.username, m.role])).toEqual([
      ["olga", "admin"],
      ["ned", "owner"],
    ]);
    expect(await t.store.isBanned(room!.id, ned.userId)).toBe(false);
    expect(t.eventsOf(owner, "role.changed").map((e) => [e.username, e.role, e.reason])).toEqual([
      ["ned", "owner", "transferred"],
      ["olga", "admin", "transferred"],
    ]);
  });

  it("deleting a user hands their rooms on by succession", async () => {
    const olga = await t.user("olga");
    const pat = await t.user("pat");
    await t.domain.rooms.create(olga, { name: "r" });
    await t.domain.rooms.join(pat, { room: "r" });
    await t.domain.admin.deleteUser(OPERATOR, { username: "olga" });
    const room = await t.store.getRoom("r");
    expect((await t.store.getMembers(room!.id)).map((m) => [m.username, m.role])).toEqual([["pat", "owner"]]);
    expect(await codeOf(t.domain.accounts.findUser("olga"))).toBe("NO_SUCH_USER");
  });
});

/**
 * Account rules in the domain, without a socket: registration checks, failed-login lockout on a manual
 * clock, session expiry, rename (history, memberships, roles and others' mutes follow), password change.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SESSION_TTL_MS } from "../../src/protocol/limits.js";
import { DomainError } from "../../src/hub/domain/errors.js";
import { ADDRESS, PASSWORD, codeOf, testDomain, type TestDomain } from "../helpers/domain.js";

let t: TestDomain;
beforeEach(async () => {
  t = await testDomain();
});
afterEach(async () => t.close());

const accounts = () => t.domain.accounts;
const login = (username: string, password: string, address = ADDRESS) =>
  accounts().login({ username, password }, address, "conn-x");

describe("register", () => {
  it("creates an account with a memory-hard hash, names trimmed, not online", async () => {
    const { user } = await accounts().register(
      { username: "Alice", password: PASSWORD, displayName: " Alice A. ", lastName: "Liddell" },
      ADDRESS,
    );
    expect(user).toEqual({ username: "Alice", displayName: "Alice A.", lastName: "Liddell", online: false });
    const record = await t.store.getUserByName("alice");
    expect(record?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(record?.passwordHash).not.toContain(PASSWORD);
  });

  it("refuses taken names ignoring case, invalid names and weak passwords", async () => {
    await accounts().register({ username: "alice", password: PASSWORD }, ADDRESS);
    const reg = (username: string, password = PASSWORD) =>
      codeOf(accounts().register({ username, password }, ADDRESS));
    expect(await reg("ALICE")).toBe("USERNAME_TAKEN");
    expect(await reg("al")).toBe("INVALID_USERNAME");
    expect(await reg("a".repeat(33))).toBe("INVALID_USERNAME");
    expect(await reg("al ice")).toBe("INVALID_USERNAME");
    expect(await reg("bob", "seven77")).toBe("WEAK_PASSWORD");
    expect(await reg("bob", "iloveyou")).toBe("WEAK_PASSWORD");
    expect(await reg("bobby-b", "BOBBY-B")).toBe("WEAK_PASSWORD");
    expect(await t.store.getUserByName("bob")).toBeUndefined();
  });

  it("limits registrations per address, refilling with time", async () => {
    const limited = await testDomain({ register: { ratePerSecond: 1, burst: 2 } });
    try {
      const reg = (username: string, address = ADDRESS) =>
        limited.domain.accounts.register({ username, password: PASSWORD }, address);
      await reg("first");
      await reg("second");
      const error = await reg("third").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: "RATE_LIMITED", extra: { retryAfterMs: 1000 } });
      await reg("third", "10.0.0.2");
      limited.clock.advance(1000);
      await reg("fourth");
    } finally {
      await limited.close();
    }
  });
});

describe("login", () => {
  it("locks an account after 5 failures for suspect addresses, until time passes", async () => {
    await accounts().register({ username: "target", password: PASSWORD }, ADDRESS);
    for (let i = 0; i < 5; i++) expect(await codeOf(login("target", `wrong-${i}`))).toBe("BAD_CREDENTIALS");
    const locked = await login("target", PASSWORD).catch((e: unknown) => e);
    expect(locked).toMatchObject({ code: "RATE_LIMITED", extra: { retryAfterMs: 60_000 } });
    t.clock.advance(59_000);
    expect(await codeOf(login("target", PASSWORD))).toBe("RATE_LIMITED");
    t.clock.advance(1_000);
    const ok = await login("target", PASSWORD);
    expect(ok.user.username).toBe("target");
    // Success resets the account's count: five more tries before the next lockout.
    for (let i = 0; i < 5; i++) expect(await codeOf(login("target", `again-${i}`))).toBe("BAD_CREDENTIALS");
    expect(await codeOf(login("target", PASSWORD))).toBe("RATE_LIMITED");
  });

  it("never locks the owner out from an address without failures", async () => {
    await accounts().register({ username: "owner", password: PASSWORD }, ADDRESS);
    for (let i = 0; i < 5; i++) expect(await codeOf(login("owner", `wrong-${i}`))).toBe("BAD_CREDENTIALS");
    expect(await codeOf(login("owner", PASSWORD))).toBe("RATE_LIMITED");
    // A clean address goes ahead although the account's bucket is empty ...
    expect((await login("OWNER", PASSWORD, "10.9.9.9")).user.username).toBe("owner");
    // ... once: a wrong password there makes it suspect too, for an hour.
    for (let i = 0; i < 5; i++) await codeOf(login("owner", `more-${i}`));
    expect(await codeOf(login("owner", "wrong again", "10.9.9.9"))).toBe("BAD_CREDENTIALS");
    expect(await codeOf(login("owner", PASSWORD, "10.9.9.9"))).toBe("RATE_LIMITED");
    t.clock.advance(3600_000);
    expect((await login("owner", PASSWORD, "10.9.9.9")).user.username).toBe("owner");
  });

  it("lets many devices log in at once from an address that logged in before", async () => {
    await accounts().register({ username: "devices", password: PASSWORD }, ADDRESS);
    await login("devices", PASSWORD);
    const all = await Promise.all(Array.from({ length: 12 }, () => login("devices", PASSWORD)));
    expect(all.map((a) => a.user.username)).toEqual(Array(12).fill("devices"));
  });

  it("takes the tokens before hashing: guesses at once reach Argon2 at most 5 + 1 times", async () => {
    await accounts().register({ username: "rushed", password: PASSWORD }, ADDRESS);
    const codes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => codeOf(login("rushed", `guess-${i}`))),
    );
    // 5 from the account's bucket, and at most the clean address's own one on top.
    const checked = codes.filter((c) => c === "BAD_CREDENTIALS").length;
    expect(checked).toBeGreaterThanOrEqual(5);
    expect(checked).toBeLessThanOrEqual(6);
    expect(codes.filter((c) => c === "RATE_LIMITED")).toHaveLength(40 - checked);
  });

  it("limits failures per address across accounts, and says the same for unknown users", async () => {
    const limited = await testDomain({ loginAddress: { ratePerSecond: 0.5, burst: 3 } });
    try {
      await limited.domain.accounts.register({ username: "real", password: PASSWORD }, ADDRESS);
      const attempt = (username: string, address = ADDRESS) =>
        limited.domain.accounts.login({ username, password: "nope nope" }, address, "c");
      const [a, b] = [
        await attempt("real").catch((e: unknown) => e),
        await attempt("ghost").catch((e: unknown) => e),
      ];
      expect(a).toMatchObject({ code: "BAD_CREDENTIALS" });
      expect((a as Error).message).toBe((b as Error).message);
      await codeOf(attempt("ghost2"));
      expect(await codeOf(attempt("someone"))).toBe("RATE_LIMITED");
      expect(await codeOf(attempt("someone", "10.1.1.1"))).toBe("BAD_CREDENTIALS");
      limited.clock.advance(2_000);
      expect(await codeOf(attempt("someone"))).toBe("BAD_CREDENTIALS");
    } finally {
      await limited.close();
    }
  });
});

describe("sessions", () => {
  it("resume works until the session expires; logout ends it", async () => {
    await accounts().register({ username: "sam", password: PASSWORD }, ADDRESS);
    const { session } = await login("sam", PASSWORD);
    expect(session.expiresAt).toBe(t.clock.now() + SESSION_TTL_MS);
    expect((await accounts().resume(session.token, "c2")).user.username).toBe("sam");
    // Only a hash of the token is stored.
    expect(await t.store.getSession(session.token)).toBeUndefined();
    t.clock.advance(SESSION_TTL_MS);
    expect(await codeOf(accounts().resume(session.token, "c3"))).toBe("SESSION_EXPIRED");

    const second = await login("sam", PASSWORD);
    await accounts().logout(second.actor);
    expect(await codeOf(accounts().resume(second.session.token, "c4"))).toBe("SESSION_EXPIRED");
  });
});

describe("rename", () => {
  it("keeps counting failed passwords for the account under its new name", async () => {
    const ann = await t.user("ann");
    for (let i = 0; i < 3; i++) expect(await codeOf(login("ann", `wrong-${i}`))).toBe("BAD_CREDENTIALS");
    await accounts().rename(ann, { username: "annie", password: PASSWORD });
    for (let i = 0; i < 2; i++) expect(await codeOf(login("annie", `wrong-${i}`))).toBe("BAD_CREDENTIALS");
    // Five failures in all: the account is locked whatever it is called now ...
    expect(await codeOf(login("annie", PASSWORD))).toBe("RATE_LIMITED");
    // ... and the old name, nobody's now, has a count of its own.
    expect(await codeOf(login("ann", PASSWORD))).toBe("BAD_CREDENTIALS");
  });

  it("keeps history, memberships, roles and DMs, and others' mutes of the user", async () => {
    const ann = await t.user("ann");
    const bob = await t.user("bob");
    await t.domain.rooms.create(ann, { name: "r" });
    await t.domain.rooms.join(bob, { room: "r" });
    await t.domain.messages.send(ann, { room: "r", body: "hi", cid: "1" });
    await t.domain.messages.send(ann, { user: "bob", body: "dm", cid: "2" });
    await t.domain.settings.mute(bob, { user: "ann", on: true });

    const { user } = await accounts().rename(ann, { username: "Annie", password: PASSWORD });
    expect(user.username).toBe("Annie");
    expect(t.eventsOf(bob, "user.renamed")).toEqual([{ ev: "user.renamed", from: "ann", to: "Annie" }]);

    const { members } = await t.domain.rooms.members(bob, { room: "r" });
    expect(members.map((m) => [m.username, m.role])).toEqual([
      ["Annie", "owner"],
      ["bob", "member"],
    ]);
    const { messages } = await t.domain.messages.roomHistory(bob, { room: "r" });
    expect(messages.map((m) => m.from)).toEqual(["Annie"]);
    expect((await t.domain.messages.dmList(bob)).conversations.map((c) => c.user)).toEqual(["Annie"]);
    expect((await t.domain.settings.get(bob.userId)).muted.users).toEqual(["Annie"]);

    // The mute still applies to messages sent under the new name.
    t.clearEvents();
    await t.domain.messages.send(ann, { room: "r", body: "renamed", cid: "3" });
    expect(t.eventsOf(bob, "message")).toEqual([expect.objectContaining({ from: "Annie", muted: true })]);

    expect(await codeOf(login("ann", PASSWORD))).toBe("BAD_CREDENTIALS");
    expect((await login("annie", PASSWORD)).user.username).toBe("Annie");
  });

  it("a display name never chosen follows the rename; a chosen one stays", async () => {
    const ann = await t.user("ann");
    const bob = await t.user("bob");
    await t.domain.rooms.create(ann, { name: "r" });
    await t.domain.rooms.join(bob, { room: "r" });
    const { user } = await accounts().rename(ann, { username: "annie", password: PASSWORD });
    // Regression: the old username stayed as the display name ("annie (ann)").
    expect(user).toMatchObject({ username: "annie", displayName: "annie" });
    expect(t.eventsOf(bob, "user.updated")).toEqual([
      { ev: "user.updated", user: expect.objectContaining({ username: "annie", displayName: "annie" }) },
    ]);

    await accounts().updateProfile(ann, { displayName: "Ann the Reader" });
    t.clearEvents();
    const again = await accounts().rename(ann, { username: "anne", password: PASSWORD });
    expect(again.user).toMatchObject({ username: "anne", displayName: "Ann the Reader" });
    expect(t.eventsOf(bob, "user.updated")).toEqual([]);
  });

  it("checks the password first, then the name", async () => {
    const ann = await t.user("ann");
    await t.user("bob");
    expect(await codeOf(accounts().rename(ann, { username: "bad name", password: "wrong pass" }))).toBe(
      "BAD_CREDENTIALS",
    );
    expect(await codeOf(accounts().rename(ann, { username: "bad name", password: PASSWORD }))).toBe(
      "INVALID_USERNAME",
    );
    expect(await codeOf(accounts().rename(ann, { username: "BOB", password: PASSWORD }))).toBe(
      "USERNAME_TAKEN",
    );
    expect((await accounts().rename(ann, { username: "ANN", password: PASSWORD })).user.username).toBe("ANN");
  });
});

describe("password change", () => {
  it("ends the user's other sessions and keeps the current one", async () => {
    const first = await t.user("pat");
    const other = await login("pat", PASSWORD);
    const next = "a different long passphrase";
    await accounts().changePassword(first, { old: PASSWORD, new: next });
    expect(await t.store.getSession(other.actor.tokenHash)).toBeUndefined();
    expect(await t.store.getSession(first.tokenHash)).toBeDefined();
    expect(t.published).toContainEqual({
      kind: "end-sessions",
      userId: first.userId,
      exceptConn: first.connId,
      reason: "password",
    });
    expect(await codeOf(login("pat", PASSWORD))).toBe("BAD_CREDENTIALS");
    await login("pat", next);
  });

  it("refuses a wrong old password and a weak new one", async () => {
    const pat = await t.user("pat");
    expect(await codeOf(accounts().changePassword(pat, { old: "wrong!!!", new: "fine long phrase" }))).toBe(
      "BAD_CREDENTIALS",
    );
    expect(await codeOf(accounts().changePassword(pat, { old: PASSWORD, new: "PAT" }))).toBe("WEAK_PASSWORD");
    await login("pat", PASSWORD);
  });
});

describe("password checks inside a session", () => {
  it("count wrong passwords against the account like failed logins", async () => {
    const pat = await t.user("pat");
    for (let i = 0; i < 3; i++) {
      expect(
        await codeOf(accounts().changePassword(pat, { old: `guess-${i}`, new: "fine long phrase" })),
      ).toBe("BAD_CREDENTIALS");
    }
    for (let i = 0; i < 2; i++) {
      expect(await codeOf(accounts().rename(pat, { username: "patty", password: `guess-r${i}` }))).toBe(
        "BAD_CREDENTIALS",
      );
    }
    const limited = await accounts()
      .rename(pat, { username: "patty", password: PASSWORD })
      .catch((e: unknown) => e);
    expect(limited).toMatchObject({ code: "RATE_LIMITED", extra: { retryAfterMs: 60_000 } });
    // A login from an address with no failed login is not held by the account's brake.
    expect((await login("pat", PASSWORD)).user.username).toBe("pat");
    t.clock.advance(60_000);
    expect((await accounts().rename(pat, { username: "patty", password: PASSWORD })).user.username).toBe(
      "patty",
    );
  });
});

describe("profile", () => {
  it("updates names, clears with null, tells those who share a room", async () => {
    const ann = await t.user("ann");
    const bob = await t.user("bob");
    const stranger = await t.user("cid");
    await t.domain.rooms.create(ann, { name: "r" });
    await t.domain.rooms.join(bob, { room: "r" });
    await accounts().updateProfile(ann, { firstName: "Ann", lastName: "Smith" });
    const { user } = await accounts().updateProfile(ann, { lastName: null, displayName: "Annie" });
    expect(user).toEqual({ username: "ann", displayName: "Annie", firstName: "Ann", online: true });
    expect(t.eventsOf(bob, "user.updated").map((e) => e.user.displayName)).toEqual(["ann", "Annie"]);
    expect(t.eventsOf(stranger, "user.updated")).toEqual([]);
    expect(await codeOf(accounts().updateProfile(ann, { firstName: "" }))).toBe("INVALID_PARAMS");
  });
});

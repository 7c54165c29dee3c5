/**
 * Room rules in the domain, without a socket: roles and who may do what, succession, bans, capacity,
 * room passwords, deletion. A real in-memory SQLite store; events read off the in-process bus.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { codeOf, testDomain, type Actor, type TestDomain } from "../helpers/domain.js";

let t: TestDomain;
beforeEach(async () => {
  t = await testDomain();
});
afterEach(async () => t.close());

const rooms = () => t.domain.rooms;

/** Users with these names; the first creates `room`, the rest join in order (join order is seniority). */
async function roomOf(room: string, ...names: string[]): Promise<Actor[]> {
  const actors: Actor[] = [];
  for (const name of names) {
    const actor = await t.user(name);
    if (actors.length === 0) await rooms().create(actor, { name: room });
    else {
      // Seniority is by joinedAt: let time pass between joins, as it would.
      t.clock.advance(1000);
      await rooms().join(actor, { room });
    }
    actors.push(actor);
  }
  return actors;
}

async function rolesIn(room: string, viewer: Actor): Promise<Array<[string, string]>> {
  const { members } = await rooms().members(viewer, { room });
  return members.map((m) => [m.username, m.role]);
}

describe("roles: who may do what", () => {
  it("lets the owner and admins kick, ban and unban lower ranks only", async () => {
    const [owner, admin, , member] = await roomOf("r", "own", "adm", "adm2", "mem", "mem2");
    await rooms().promote(owner!, { room: "r", username: "adm" });
    await rooms().promote(owner!, { room: "r", username: "adm2" });

    expect(await codeOf(rooms().kick(member!, { room: "r", username: "mem2" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().kick(member!, { room: "r", username: "adm" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().kick(admin!, { room: "r", username: "own" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().kick(admin!, { room: "r", username: "adm2" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().ban(admin!, { room: "r", username: "adm2" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().ban(member!, { room: "r", username: "mem2" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().kick(owner!, { room: "r", username: "own" }))).toBe("FORBIDDEN");

    await rooms().kick(admin!, { room: "r", username: "mem2" });
    await rooms().kick(owner!, { room: "r", username: "adm2" });
    expect(await rolesIn("r", owner!)).toEqual([
      ["own", "owner"],
      ["adm", "admin"],
      ["mem", "member"],
    ]);
  });

  it("lets admins promote, but only the owner demote; the owner is neither promoted nor demoted", async () => {
    const [owner, admin, member] = await roomOf("r", "own", "adm", "mem", "mem2");
    expect(await codeOf(rooms().promote(member!, { room: "r", username: "mem" }))).toBe("FORBIDDEN");
    await rooms().promote(owner!, { room: "r", username: "adm" });
    await rooms().promote(admin!, { room: "r", username: "mem" });
    expect(await codeOf(rooms().demote(admin!, { room: "r", username: "mem" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().promote(admin!, { room: "r", username: "own" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().demote(owner!, { room: "r", username: "own" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().promote(owner!, { room: "r", username: "nobody" }))).toBe("NO_SUCH_USER");
    await rooms().demote(owner!, { room: "r", username: "mem" });
    expect(await rolesIn("r", owner!)).toEqual([
      ["own", "owner"],
      ["adm", "admin"],
      ["mem", "member"],
      ["mem2", "member"],
    ]);
    const changes = t.eventsOf(owner!, "role.changed").map((e) => [e.username, e.role, e.by, e.reason]);
    expect(changes).toEqual([
      ["adm", "admin", "own", "promoted"],
      ["mem", "admin", "adm", "promoted"],
      ["mem", "member", "own", "demoted"],
    ]);
  });

  it("lets admins update the room but only the owner delete it", async () => {
    const [owner, admin, member] = await roomOf("r", "own", "adm", "mem");
    await rooms().promote(owner!, { room: "r", username: "adm" });
    expect(await codeOf(rooms().update(member!, { room: "r", description: "x" }))).toBe("FORBIDDEN");
    const { room } = await rooms().update(admin!, { room: "r", description: "topic" });
    expect(room.description).toBe("topic");
    expect(t.eventsOf(member!, "room.updated").map((e) => e.room.description)).toEqual(["topic"]);
    expect(await codeOf(rooms().delete(admin!, { room: "r" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().delete(member!, { room: "r" }))).toBe("FORBIDDEN");
    await rooms().delete(owner!, { room: "r" });
    expect(t.eventsOf(member!, "room.deleted")).toEqual([{ ev: "room.deleted", room: "r" }]);
    expect(await t.store.getRoom("r")).toBeUndefined();
  });

  it("shows bans to admins and the owner only", async () => {
    const [owner, admin, member] = await roomOf("r", "own", "adm", "mem");
    const outsider = await t.user("out");
    await rooms().promote(owner!, { room: "r", username: "adm" });
    await rooms().ban(admin!, { room: "r", username: "out", reason: "spam" });
    expect(await codeOf(rooms().bans(member!, { room: "r" }))).toBe("FORBIDDEN");
    expect(await codeOf(rooms().bans(outsider, { room: "r" }))).toBe("FORBIDDEN");
    expect((await rooms().bans(owner!, { room: "r" })).bans).toEqual([
      { username: "out", by: "adm", at: t.clock.now(), reason: "spam" },
    ]);
  });
});

describe("succession", () => {
  it("passes ownership to the longest-standing admin before any member", async () => {
    const [owner, , , admin1, admin2] = await roomOf("r", "own", "mm1", "mm2", "aa1", "aa2");
    await rooms().promote(owner!, { room: "r", username: "aa2" });
    await rooms().promote(owner!, { room: "r", username: "aa1" });
    await rooms().leave(owner!, { room: "r" });
    expect(await rolesIn("r", admin1!)).toEqual([
      ["mm1", "member"],
      ["mm2", "member"],
      ["aa1", "owner"],
      ["aa2", "admin"],
    ]);
    expect(t.eventsOf(admin2!, "role.changed").at(-1)).toMatchObject({
      username: "aa1",
      role: "owner",
      reason: "succession",
    });
    expect(t.eventsOf(admin2!, "member.left")).toEqual([
      { ev: "member.left", room: "r", username: "own", reason: "left" },
    ]);
  });

  it("passes ownership to the longest-standing member when there is no admin, again and again", async () => {
    const [owner, m1, m2, m3] = await roomOf("r", "own", "mm1", "mm2", "mm3");
    await rooms().leave(owner!, { room: "r" });
    expect((await rolesIn("r", m3!))[0]).toEqual(["mm1", "owner"]);
    await rooms().leave(m1!, { room: "r" });
    expect(await rolesIn("r", m3!)).toEqual([
      ["mm2", "owner"],
      ["mm3", "member"],
    ]);
    // A demoted admin is a member again, ranked by when they joined.
    await rooms().promote(m2!, { room: "r", username: "mm3" });
    await rooms().demote(m2!, { room: "r", username: "mm3" });
    await rooms().leave(m2!, { room: "r" });
    expect(await rolesIn("r", m3!)).toEqual([["mm3", "owner"]]);
  });

  it("keeps exactly one owner when the owner and their heir leave at the same time", async () => {
    const [owner, heir, , last] = await roomOf("r", "own", "heir", "mm2", "mm3");
    await Promise.all([rooms().leave(owner!, { room: "r" }), rooms().leave(heir!, { room: "r" })]);
    expect(await rolesIn("r", last!)).toEqual([
      ["mm2", "owner"],
      ["mm3", "member"],
    ]);
    const announced = t.eventsOf(last!, "role.changed").filter((e) => e.reason === "succession");
    expect(announced.at(-1)).toMatchObject({ username: "mm2", role: "owner" });
  });

  it("does not change the owner when someone else leaves", async () => {
    const [owner, , m2] = await roomOf("r", "own", "mm1", "mm2");
    await rooms().leave(m2!, { room: "r" });
    expect((await rolesIn("r", owner!))[0]).toEqual(["own", "owner"]);
    expect(t.eventsOf(owner!, "role.changed")).toEqual([]);
  });

  it("deletes the room when the last member leaves", async () => {
    const [owner, m1] = await roomOf("r", "own", "mm1");
    await rooms().leave(owner!, { room: "r" });
    await rooms().leave(m1!, { room: "r" });
    expect(await t.store.getRoom("r")).toBeUndefined();
    expect(t.eventsOf(m1!, "room.deleted")).toEqual([{ ev: "room.deleted", room: "r" }]);
    expect(await codeOf(rooms().join(owner!, { room: "r" }))).toBe("NO_SUCH_ROOM");
  });

  it("refuses to let a non-member leave", async () => {
    await roomOf("r", "own");
    const other = await t.user("other");
    expect(await codeOf(rooms().leave(other, { room: "r" }))).toBe("NOT_MEMBER");
  });
});

describe("bans and kicks", () => {
  it("ban removes a member and keeps them out until unbanned; a kick lets them straight back in", async () => {
    const [owner, m1] = await roomOf("r", "own", "mm1");
    await rooms().kick(owner!, { room: "r", username: "mm1", reason: "calm down" });
    expect(t.eventsOf(m1!, "kicked")).toEqual([{ ev: "kicked", room: "r", by: "own", reason: "calm down" }]);
    await rooms().join(m1!, { room: "r" });

    await rooms().ban(owner!, { room: "r", username: "mm1" });
    expect(t.eventsOf(m1!, "banned")).toEqual([{ ev: "banned", room: "r", by: "own" }]);
    expect(t.eventsOf(owner!, "member.left").map((e) => e.reason)).toEqual(["kicked", "banned"]);
    expect(await codeOf(rooms().join(m1!, { room: "r" }))).toBe("BANNED");
    await rooms().unban(owner!, { room: "r", username: "MM1" });
    expect(await codeOf(rooms().unban(owner!, { room: "r", username: "mm1" }))).toBe("NOT_BANNED");
    await rooms().join(m1!, { room: "r" });
  });

  it("keeps out a user banned while their join is under way", async () => {
    const owner = await t.user("own");
    const guest = await t.user("guest");
    await rooms().create(owner, { name: "r", password: "pw" });
    // The join's password check takes a while (Argon2); the ban lands in between.
    const [joined, banned] = await Promise.allSettled([
      rooms().join(guest, { room: "r", password: "pw" }),
      rooms().ban(owner, { room: "r", username: "guest" }),
    ]);
    expect(banned.status).toBe("fulfilled");
    expect(joined).toMatchObject({ status: "rejected", reason: { code: "BANNED" } });
    expect(await rolesIn("r", owner)).toEqual([["own", "owner"]]);
  });

  it("refuses to kick a non-member or an unknown user", async () => {
    const [owner] = await roomOf("r", "own");
    await t.user("other");
    expect(await codeOf(rooms().kick(owner!, { room: "r", username: "other" }))).toBe("NOT_MEMBER");
    expect(await codeOf(rooms().kick(owner!, { room: "r", username: "ghost" }))).toBe("NO_SUCH_USER");
    expect(await codeOf(rooms().ban(owner!, { room: "r", username: "ghost" }))).toBe("NO_SUCH_USER");
  });
});

describe("capacity and password", () => {
  it("counts members against capacity; ROOM_FULL past it; a leave frees a place", async () => {
    const owner = await t.user("own");
    const [a, b] = [await t.user("usa"), await t.user("usb")];
    await rooms().create(owner, { name: "small", capacity: 2 });
    await rooms().join(a, { room: "small" });
    expect(await codeOf(rooms().join(b, { room: "small" }))).toBe("ROOM_FULL");
    await rooms().leave(a, { room: "small" });
    await rooms().join(b, { room: "small" });
    await rooms().update(owner, { room: "small", capacity: null });
    await rooms().join(a, { room: "small" });
    expect((await rooms().members(a, { room: "small" })).members).toHaveLength(3);
  });

  it("needs the right password to join a locked room; updating it to null unlocks it", async () => {
    const owner = await t.user("own");
    const guest = await t.user("guest");
    const { room } = await rooms().create(owner, { name: "vault", password: "s3cret" });
    expect(room.locked).toBe(true);
    expect((await t.store.getRoom("vault"))?.passwordHash).not.toContain("s3cret");
    expect(await codeOf(rooms().join(guest, { room: "vault" }))).toBe("WRONG_PASSWORD");
    expect(await codeOf(rooms().join(guest, { room: "vault", password: "S3CRET" }))).toBe("WRONG_PASSWORD");
    await rooms().update(owner, { room: "vault", password: "changed" });
    expect(await codeOf(rooms().join(guest, { room: "vault", password: "s3cret" }))).toBe("WRONG_PASSWORD");
    const { room: open } = await rooms().update(owner, { room: "vault", password: null });
    expect(open.locked).toBe(false);
    await rooms().join(guest, { room: "vault" });
  });

  it("checks names and descriptions, and names are unique ignoring case", async () => {
    const owner = await t.user("own");
    await rooms().create(owner, { name: "Lobby" });
    expect(await codeOf(rooms().create(owner, { name: "lobby" }))).toBe("ROOM_EXISTS");
    expect(await codeOf(rooms().create(owner, { name: "two words" }))).toBe("INVALID_NAME");
    expect(await codeOf(rooms().create(owner, { name: "x", description: "\u001b]0;pwned\u0007" }))).toBe(
      "INVALID_PARAMS",
    );
    expect(await codeOf(rooms().create(owner, { name: "x", password: "" }))).toBe("INVALID_PARAMS");
    expect((await rooms().list(owner, {})).rooms).toEqual([{ name: "Lobby", locked: false, joined: true }]);
  });
});

describe("join", () => {
  it("returns the latest page of history and lastSeq, and tells the members", async () => {
    const [owner] = await roomOf("r", "own");
    for (let i = 1; i <= 3; i++)
      await t.domain.messages.send(owner!, { room: "r", body: `m${i}`, cid: `c${i}` });
    const guest = await t.user("guest");
    const joined = await rooms().join(guest, { room: "r" });
    expect(joined.lastSeq).toBe(3);
    expect(joined.history.map((m) => m.body)).toEqual(["m1", "m2", "m3"]);
    expect(joined.members.map((m) => [m.username, m.role, m.online])).toEqual([
      ["own", "owner", true],
      ["guest", "member", true],
    ]);
    expect(t.eventsOf(owner!, "member.joined")).toEqual([
      { ev: "member.joined", room: "r", username: "guest", role: "member" },
    ]);
    expect(await codeOf(rooms().join(guest, { room: "R" }))).toBe("ALREADY_MEMBER");
  });
});

/**
 * The Store contract suite: every backend runs it unchanged (SQLite in sqlite.test.ts, PostgreSQL in its
 * own test). It speaks only the `Store` interface — no SQL — and checks each clause of the contract in
 * src/hub/store/store.ts.
 *
 * `open` must return an empty store; `cleanup`, when given, runs after the store is closed (e.g. to delete
 * a file or drop a schema).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DELETED_USERNAME,
  StoreConflictError,
  StoreGoneError,
  type NewDevice,
  type NewMessage,
  type Store,
  type UserRecord,
} from "../../src/hub/store/store.js";

const T0 = 1_700_000_000_000;

export function describeStoreContract(
  name: string,
  open: () => Promise<Store>,
  cleanup?: (s: Store) => Promise<void>,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cid = 0;

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.(store);
    });

    function user(username: string, extra: Partial<UserRecord> = {}): Promise<UserRecord> {
      return store.createUser({
        username,
        displayName: extra.displayName ?? username,
        firstName: extra.firstName,
        lastName: extra.lastName,
        passwordHash: `hash-of-${username}`,
        createdAt: extra.createdAt ?? T0,
      });
    }

    function send(convId: number, fromUserId: number, body: string, extra: Partial<NewMessage> = {}) {
      return store.appendMessage({ convId, fromUserId, body, cid: `c${++cid}`, ts: T0 + cid, ...extra });
    }

    async function room(name: string, ownerId: number, extra: { capacity?: number } = {}) {
      return store.createRoom({ name, ownerId, createdAt: T0, ...extra });
    }

    describe("users", () => {
      it("creates a user and reads it back by name (ignoring case) and by id", async () => {
        const alice = await user("Alice", { firstName: "Alice", lastName: "Liddell", displayName: "Al" });
        expect(alice).toMatchObject({
          username: "Alice",
          displayName: "Al",
          firstName: "Alice",
          lastName: "Liddell",
          passwordHash: "hash-of-Alice",
          createdAt: T0,
        });
        expect(alice.lastSeen).toBeUndefined();
        expect(await store.getUserByName("alice")).toEqual(alice);
        expect(await store.getUserByName("ALICE")).toEqual(alice);
        expect(await store.getUserById(alice.id)).toEqual(alice);
        expect(await store.getUserByName("bob")).toBeUndefined();
        expect(await store.getUserById(alice.id + 1000)).toBeUndefined();
      });

      it("rejects a username taken in another case with StoreConflictError and keeps the first", async () => {
        const alice = await user("alice");
        const err = await user("ALICE").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreConflictError);
        expect((err as StoreConflictError).what).toBe("username");
        expect(await store.getUserByName("Alice")).toEqual(alice);
        expect(await store.searchUsers("alice", 10)).toHaveLength(1);
      });

      it("gets several users by id in the order asked, each once, skipping unknown ids", async () => {
        const a = await user("a1a");
        const b = await user("b2b");
        const c = await user("c3c");
        const got = await store.getUsersByIds([c.id, a.id, 99_999, c.id]);
        expect(got.map((u) => u.username)).toEqual(["c3c", "a1a"]);
        expect(await store.getUsersByIds([])).toEqual([]);
        expect((await store.getUsersByIds([b.id]))[0]).toEqual(b);
      });

      it("searches by username or display-name prefix ignoring case, ordered by username, limited", async () => {
        await user("carol", { displayName: "Zed" });
        await user("Alice", { displayName: "Queen" });
        await user("bob", { displayName: "Alberto" });
        await user("alan", { displayName: "Alan" });
        await user("dave", { displayName: "dave" });
        const names = async (p: string, n = 10) => (await store.searchUsers(p, n)).map((u) => u.username);
        expect(await names("AL")).toEqual(["alan", "Alice", "bob"]);
        expect(await names("al", 2)).toEqual(["alan", "Alice"]);
        expect(await names("zE")).toEqual(["carol"]);
        expect(await names("x")).toEqual([]);
        // A name found through both its username and its display name appears once.
        expect(await names("dav")).toEqual(["dave"]);
      });

      it("updates the profile: undefined keeps a field, null clears it", async () => {
        const u = await user("erin", { firstName: "Erin", lastName: "E" });
        const a = await store.updateProfile(u.id, { displayName: "Erin E." });
        expect(a).toMatchObject({ displayName: "Erin E.", firstName: "Erin", lastName: "E" });
        const b = await store.updateProfile(u.id, { firstName: null, lastName: "Eriksen" });
        expect(b.displayName).toBe("Erin E.");
        expect(b.firstName).toBeUndefined();
        expect(b.lastName).toBe("Eriksen");
        expect(await store.getUserById(u.id)).toEqual(b);
        expect((await store.searchUsers("erin e", 5)).map((x) => x.username)).toEqual(["erin"]);
      });

      it("renames keeping the id; the old name is free, the new one taken ignoring case", async () => {
        const u = await user("frank");
        await user("grace");
        const renamed = await store.renameUser(u.id, "Franky");
        expect(renamed).toMatchObject({ id: u.id, username: "Franky", passwordHash: u.passwordHash });
        expect(await store.getUserByName("frank")).toBeUndefined();
        expect((await store.getUserByName("FRANKY"))?.id).toBe(u.id);
        await expect(store.renameUser(u.id, "GRACE")).rejects.toBeInstanceOf(StoreConflictError);
        expect((await store.getUserById(u.id))?.username).toBe("Franky");
        // Changing only the case of one's own name is not a conflict.
        expect((await store.renameUser(u.id, "franky")).username).toBe("franky");
        const other = await user("frank");
        expect(other.id).not.toBe(u.id);
      });

      it("sets the password hash and last seen", async () => {
        const u = await user("heidi");
        await store.setPasswordHash(u.id, "new-hash");
        await store.setLastSeen(u.id, T0 + 5);
        expect(await store.getUserById(u.id)).toMatchObject({ passwordHash: "new-hash", lastSeen: T0 + 5 });
      });
    });

    describe("sessions", () => {
      it("creates, reads and deletes sessions by token hash", async () => {
        const u = await user("ivan");
        const s = { tokenHash: "t1", userId: u.id, device: "laptop", createdAt: T0, expiresAt: T0 + 1000 };
        await store.createSession(s);
        await store.createSession({ tokenHash: "t2", userId: u.id, createdAt: T0, expiresAt: T0 + 2000 });
        expect(await store.getSession("t1")).toEqual(s);
        const t2 = await store.getSession("t2");
        expect(t2).toMatchObject({ userId: u.id, expiresAt: T0 + 2000 });
        expect(t2?.device).toBeUndefined();
        await store.deleteSession("t1");
        expect(await store.getSession("t1")).toBeUndefined();
        expect(await store.getSession("t2")).toBeDefined();
        await store.deleteSession("nope");
      });

      it("ends all of a user's sessions but the one kept, and only that user's", async () => {
        const u = await user("judy");
        const v = await user("karl");
        for (const t of ["a", "b", "c"]) {
          await store.createSession({ tokenHash: t, userId: u.id, createdAt: T0, expiresAt: T0 + 1 });
        }
        await store.createSession({ tokenHash: "v", userId: v.id, createdAt: T0, expiresAt: T0 + 1 });
        await store.deleteUserSessions(u.id, "b");
        expect(await store.getSession("a")).toBeUndefined();
        expect(await store.getSession("b")).toBeDefined();
        expect(await store.getSession("c")).toBeUndefined();
        expect(await store.getSession("v")).toBeDefined();
        await store.deleteUserSessions(u.id);
        expect(await store.getSession("b")).toBeUndefined();
        expect(await store.getSession("v")).toBeDefined();
      });
    });

    describe("rooms", () => {
      it("creates a room with its owner as first member; names ignore case", async () => {
        const owner = await user("liam");
        const r = await store.createRoom({
          name: "General",
          description: "talk",
          passwordHash: "pw",
          capacity: 5,
          createdAt: T0,
          ownerId: owner.id,
        });
        expect(r).toMatchObject({
          name: "General",
          description: "talk",
          passwordHash: "pw",
          capacity: 5,
          createdAt: T0,
          lastSeq: 0,
          memberCount: 1,
        });
        expect(await store.getRoom("general")).toEqual(r);
        expect(await store.getMembers(r.id)).toEqual([
          { userId: owner.id, username: "liam", role: "owner", joinedAt: T0, voiced: false },
        ]);
        const err = await room("GENERAL", owner.id).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreConflictError);
        expect((err as StoreConflictError).what).toBe("room");
        expect(await store.listRooms()).toHaveLength(1);
        expect(await store.getRoom("nope")).toBeUndefined();
      });

      it("gives every room its own conversation", async () => {
        const o = await user("mia");
        const a = await room("a", o.id);
        const b = await room("b", o.id);
        expect(a.convId).not.toBe(b.convId);
        await send(a.convId, o.id, "x");
        expect((await store.getRoom("a"))?.lastSeq).toBe(1);
        expect((await store.getRoom("b"))?.lastSeq).toBe(0);
      });

      it("lists all rooms or those with a prefix ignoring case, ordered by name", async () => {
        const o = await user("nina");
        for (const n of ["beta", "Alpha", "alps", "gamma"]) await room(n, o.id);
        const names = async (p?: string) => (await store.listRooms(p)).map((r) => r.name);
        expect(await names()).toEqual(["Alpha", "alps", "beta", "gamma"]);
        expect(await names("AL")).toEqual(["Alpha", "alps"]);
        expect(await names("alph")).toEqual(["Alpha"]);
        expect(await names("z")).toEqual([]);
      });

      it("lists rooms a page at a time: after a folded name, at most `limit`", async () => {
        const o = await user("pia");
        for (const n of ["beta", "Alpha", "alps", "gamma", "ALTO"]) await room(n, o.id);
        const page = async (prefix: string | undefined, after: string | undefined, limit: number) =>
          (await store.listRooms(prefix, { limit, ...(after !== undefined && { after }) })).map(
            (r) => r.name,
          );
        expect(await page(undefined, undefined, 2)).toEqual(["Alpha", "alps"]);
        expect(await page(undefined, "alps", 2)).toEqual(["ALTO", "beta"]);
        expect(await page(undefined, "beta", 2)).toEqual(["gamma"]);
        expect(await page("al", "alpha", 5)).toEqual(["alps", "ALTO"]);
        expect(await page(undefined, "gamma", 2)).toEqual([]);
      });

      it("updates a room: undefined keeps a field, null clears it", async () => {
        const o = await user("omar");
        const r = await store.createRoom({
          name: "r",
          description: "d",
          passwordHash: "p",
          capacity: 3,
          createdAt: T0,
          ownerId: o.id,
        });
        const a = await store.updateRoom(r.id, { description: "new" });
        expect(a).toMatchObject({ description: "new", passwordHash: "p", capacity: 3 });
        const b = await store.updateRoom(r.id, { passwordHash: null, capacity: null });
        expect(b.description).toBe("new");
        expect(b.passwordHash).toBeUndefined();
        expect(b.capacity).toBeUndefined();
        expect(await store.getRoom("r")).toEqual(b);
      });

      it("orders members by joinedAt, then by join order", async () => {
        const o = await user("pat");
        const [a, b, c] = [await user("quinn"), await user("rob"), await user("sam")];
        const r = await room("r", o.id);
        expect(await store.addMember(r.id, c.id, "member", T0 + 10)).toBe("added");
        expect(await store.addMember(r.id, b.id, "admin", T0 + 5)).toBe("added");
        expect(await store.addMember(r.id, a.id, "member", T0 + 5)).toBe("added");
        const m = await store.getMembers(r.id);
        expect(m.map((x) => x.username)).toEqual(["pat", "rob", "quinn", "sam"]);
        expect(m[1]).toEqual({
          userId: b.id,
          username: "rob",
          role: "admin",
          joinedAt: T0 + 5,
          voiced: false,
        });
        expect(await store.getMember(r.id, c.id)).toEqual({
          userId: c.id,
          username: "sam",
          role: "member",
          joinedAt: T0 + 10,
          voiced: false,
        });
        expect(await store.getMember(r.id, 99_999)).toBeUndefined();
        expect((await store.getRoom("r"))?.memberCount).toBe(4);
      });

      it("adds a member once; the capacity is checked atomically, also under concurrent joins", async () => {
        const o = await user("tina");
        const r = await room("r", o.id);
        const others = await Promise.all(["u1", "u2", "u3", "u4", "u5"].map((n) => user(n)));
        const first = others[0]!;
        expect(await store.addMember(r.id, first.id, "member", T0, 3)).toBe("added");
        expect(await store.addMember(r.id, first.id, "admin", T0, 3)).toBe("exists");
        expect((await store.getMember(r.id, first.id))?.role).toBe("member");
        const results = await Promise.all(
          others.slice(1).map((u) => store.addMember(r.id, u.id, "member", T0, 3)),
        );
        expect(results.filter((x) => x === "added")).toHaveLength(1);
        expect(results.filter((x) => x === "full")).toHaveLength(3);
        expect((await store.getMembers(r.id)).length).toBe(3);
        // A member already in is "exists", even when the room is full; no capacity means no limit.
        expect(await store.addMember(r.id, first.id, "member", T0, 3)).toBe("exists");
        expect(await store.addMember(r.id, others[4]!.id, "member", T0)).not.toBe("full");
      });

      it("removes a member, hands the owner role to the successor in the same step, counts the rest", async () => {
        const o = await user("uma");
        const a = await user("vic");
        const b = await user("wes");
        const r = await room("r", o.id);
        await store.addMember(r.id, a.id, "admin", T0 + 1);
        await store.addMember(r.id, b.id, "member", T0 + 2);
        expect(await store.removeMember(r.id, o.id, a.id)).toBe(2);
        expect(await store.getMember(r.id, o.id)).toBeUndefined();
        expect((await store.getMember(r.id, a.id))?.role).toBe("owner");
        expect((await store.getMember(r.id, b.id))?.role).toBe("member");
        expect(await store.removeMember(r.id, b.id)).toBe(1);
        expect((await store.getMember(r.id, a.id))?.role).toBe("owner");
        expect(await store.removeMember(r.id, a.id)).toBe(0);
        expect(await store.getMembers(r.id)).toEqual([]);
      });

      it("sets roles", async () => {
        const o = await user("xena");
        const a = await user("yuri");
        const r = await room("r", o.id);
        await store.addMember(r.id, a.id, "member", T0);
        await store.setRole(r.id, a.id, "admin");
        expect((await store.getMember(r.id, a.id))?.role).toBe("admin");
        await store.setRole(r.id, a.id, "member");
        expect((await store.getMember(r.id, a.id))?.role).toBe("member");
      });

      it("lists a user's rooms with role, ordered by name", async () => {
        const o = await user("zack");
        const u = await user("abby");
        const rz = await room("Zulu", o.id);
        const ra = await room("alpha", o.id);
        await room("mike", o.id);
        await store.addMember(rz.id, u.id, "admin", T0);
        await store.addMember(ra.id, u.id, "member", T0);
        const mine = await store.roomsOfUser(u.id);
        expect(mine.map((x) => [x.room.name, x.role])).toEqual([
          ["alpha", "member"],
          ["Zulu", "admin"],
        ]);
        expect(mine[1]?.room).toEqual(await store.getRoom("zulu"));
        expect((await store.roomsOfUser(o.id)).map((x) => x.role)).toEqual(["owner", "owner", "owner"]);
      });

      it("bans and unbans, with the banner's and the banned user's current names", async () => {
        const o = await user("beth");
        const a = await user("cody");
        const r = await room("r", o.id);
        expect(await store.isBanned(r.id, a.id)).toBe(false);
        await store.addBan(r.id, a.id, o.id, T0 + 3, "spam");
        expect(await store.isBanned(r.id, a.id)).toBe(true);
        await store.renameUser(o.id, "Bethany");
        expect(await store.getBans(r.id)).toEqual([
          { userId: a.id, username: "cody", byUsername: "Bethany", at: T0 + 3, reason: "spam" },
        ]);
        expect(await store.removeBan(r.id, a.id)).toBe(true);
        expect(await store.removeBan(r.id, a.id)).toBe(false);
        expect(await store.isBanned(r.id, a.id)).toBe(false);
        await store.addBan(r.id, a.id, o.id, T0 + 4);
        const [ban] = await store.getBans(r.id);
        expect(ban?.reason).toBeUndefined();
      });

      it("keeps the topic lock (on by default) and who set the topic when", async () => {
        const o = await user("tess");
        const r = await room("topics", o.id);
        expect(r.topicLocked).toBe(true);
        expect(r.topicBy).toBeUndefined();
        const described = await store.createRoom({
          name: "described",
          ownerId: o.id,
          createdAt: T0,
          description: "from the start",
          topicBy: "tess",
          topicAt: T0,
        });
        expect(described).toMatchObject({ description: "from the start", topicBy: "tess", topicAt: T0 });
        const set = await store.updateRoom(r.id, {
          description: "hello",
          topicBy: "tess",
          topicAt: T0 + 5,
          topicLocked: false,
        });
        expect(set).toMatchObject({
          description: "hello",
          topicBy: "tess",
          topicAt: T0 + 5,
          topicLocked: false,
        });
        expect(await store.getRoom("topics")).toEqual(set);
        // A patch without them leaves them alone; null clears.
        expect(await store.updateRoom(r.id, { capacity: 3 })).toMatchObject({
          topicLocked: false,
          topicBy: "tess",
        });
        const cleared = await store.updateRoom(r.id, {
          description: null,
          topicBy: null,
          topicAt: null,
          topicLocked: true,
        });
        expect(cleared.topicLocked).toBe(true);
        expect(cleared.topicBy).toBeUndefined();
        expect(cleared.topicAt).toBeUndefined();
      });

      it("keeps moderated and secret (off by default) and each member's voice (off on joining)", async () => {
        const o = await user("mona");
        const a = await user("ned");
        const r = await room("stage", o.id);
        expect(r).toMatchObject({ moderated: false, secret: false });
        const set = await store.updateRoom(r.id, { moderated: true, secret: true });
        expect(set).toMatchObject({ moderated: true, secret: true });
        expect(await store.getRoom("stage")).toEqual(set);
        // A patch without them leaves them alone.
        expect(await store.updateRoom(r.id, { capacity: 4 })).toMatchObject({
          moderated: true,
          secret: true,
        });
        expect(await store.updateRoom(r.id, { moderated: false })).toMatchObject({
          moderated: false,
          secret: true,
        });
        await store.addMember(r.id, a.id, "member", T0 + 1);
        expect((await store.getMember(r.id, a.id))?.voiced).toBe(false);
        expect(await store.setVoice(r.id, a.id, true)).toBe(true);
        expect((await store.getMember(r.id, a.id))?.voiced).toBe(true);
        expect((await store.getMembers(r.id)).map((m) => [m.username, m.voiced])).toEqual([
          ["mona", false],
          ["ned", true],
        ]);
        // A role change keeps it; leaving ends it (a new membership starts without).
        await store.setRole(r.id, a.id, "admin");
        expect((await store.getMember(r.id, a.id))?.voiced).toBe(true);
        await store.removeMember(r.id, a.id);
        expect(await store.setVoice(r.id, a.id, true)).toBe(false);
        await store.addMember(r.id, a.id, "member", T0 + 2);
        expect((await store.getMember(r.id, a.id))?.voiced).toBe(false);
        expect(await store.setVoice(r.id, a.id, true)).toBe(true);
        expect(await store.setVoice(r.id, a.id, false)).toBe(true);
        expect((await store.getMember(r.id, a.id))?.voiced).toBe(false);
      });

      it("lists a secret room only to its members when asked for a viewer's list", async () => {
        const o = await user("pia");
        const outsider = await user("quin");
        const hidden = await room("sc-hidden", o.id);
        await room("sc-open", o.id);
        await store.updateRoom(hidden.id, { secret: true });
        const names = async (visibleTo?: number) =>
          (await store.listRooms("sc-", visibleTo === undefined ? {} : { visibleTo })).map((r) => r.name);
        expect(await names()).toEqual(["sc-hidden", "sc-open"]);
        expect(await names(o.id)).toEqual(["sc-hidden", "sc-open"]);
        expect(await names(outsider.id)).toEqual(["sc-open"]);
        // The page limit counts listed rooms only.
        expect(
          (await store.listRooms("sc-", { visibleTo: outsider.id, limit: 1 })).map((r) => r.name),
        ).toEqual(["sc-open"]);
        await store.addMember(hidden.id, outsider.id, "member", T0);
        expect(await names(outsider.id)).toEqual(["sc-hidden", "sc-open"]);
      });

      it("bans a name, matched ignoring case against whoever holds it (accounts made later too)", async () => {
        const o = await user("nora");
        const r = await room("nb", o.id);
        await store.addNameBan(r.id, "Later", o.id, T0 + 1, "troll");
        await store.addNameBan(r.id, "later", o.id, T0 + 2);
        const acct = await user("olga");
        await store.addBan(r.id, acct.id, o.id, T0 + 3);
        expect(await store.getBans(r.id)).toEqual([
          { username: "later", byName: true, byUsername: "nora", at: T0 + 2 },
          { userId: acct.id, username: "olga", byUsername: "nora", at: T0 + 3 },
        ]);
        const later = await user("LATER");
        expect(await store.isBanned(r.id, later.id)).toBe(true);
        expect(await store.isBanned(r.id, o.id)).toBe(false);
        // Renamed away from the name, the account is free; another taking the name is not.
        await store.renameUser(later.id, "earlier");
        expect(await store.isBanned(r.id, later.id)).toBe(false);
        expect(await store.removeNameBan(r.id, "LATER")).toBe(true);
        expect(await store.removeNameBan(r.id, "later")).toBe(false);
        expect((await store.getBans(r.id)).map((b) => b.username)).toEqual(["olga"]);
        await store.addNameBan(r.id, "gone", o.id, T0);
        await store.deleteRoom(r.id);
        expect(await store.getBans(r.id)).toEqual([]);
      });

      it("stores invitations up to a cap, renews them, drops expired ones, and takes each once", async () => {
        const o = await user("vera");
        const [a, b, c] = [await user("walt"), await user("xena"), await user("yuri")];
        const r = await room("inv", o.id);
        const other = await room("inv2", o.id);
        expect(await store.addInvite(r.id, a.id, T0 + 100, T0, 2)).toBe(true);
        expect(await store.addInvite(r.id, b.id, T0 + 50, T0, 2)).toBe(true);
        expect(await store.addInvite(r.id, c.id, T0 + 100, T0, 2)).toBe(false);
        // A renewal takes no new place; another room has its own places.
        expect(await store.addInvite(r.id, a.id, T0 + 200, T0, 2)).toBe(true);
        expect(await store.addInvite(other.id, c.id, T0 + 100, T0, 2)).toBe(true);
        // b's invitation has expired at T0 + 50: its place is free.
        expect(await store.addInvite(r.id, c.id, T0 + 100, T0 + 50, 2)).toBe(true);
        expect(await store.takeInvite(r.id, b.id, T0 + 50)).toBe(false);
        expect(await store.takeInvite(r.id, a.id, T0 + 150)).toBe(true);
        expect(await store.takeInvite(r.id, a.id, T0 + 150)).toBe(false);
        // Expired when taken: false, and gone.
        expect(await store.takeInvite(r.id, c.id, T0 + 100)).toBe(false);
        expect(await store.addInvite(other.id, a.id, T0 + 100, T0, 5)).toBe(true);
        await store.deleteUser(a.id, { erase: false, at: T0 });
        expect(await store.takeInvite(other.id, a.id, T0)).toBe(false);
        await store.deleteRoom(other.id);
        expect(await store.takeInvite(other.id, c.id, T0)).toBe(false);
      });

      it("deletes a room with its members, bans, messages, read markers and mutes; the name is free again", async () => {
        const o = await user("dana");
        const a = await user("eli");
        const r = await room("doomed", o.id);
        const keep = await room("kept", o.id);
        await store.addMember(r.id, a.id, "member", T0);
        await store.addMember(keep.id, a.id, "member", T0);
        await store.addBan(r.id, (await user("fay")).id, o.id, T0);
        await send(r.convId, o.id, "one");
        await send(keep.convId, o.id, "two");
        await store.setRead(a.id, r.convId, 1);
        await store.setMute(a.id, { roomId: r.id }, true);
        await store.setMute(a.id, { roomId: keep.id }, true);
        await store.deleteRoom(r.id);
        expect(await store.getRoom("doomed")).toBeUndefined();
        expect((await store.listRooms()).map((x) => x.name)).toEqual(["kept"]);
        expect((await store.roomsOfUser(a.id)).map((x) => x.room.name)).toEqual(["kept"]);
        expect(await store.getMembers(r.id)).toEqual([]);
        expect(await store.getBans(r.id)).toEqual([]);
        expect(await store.history(r.convId, { limit: 10 }, a.id)).toEqual([]);
        expect(await store.getRead(a.id, r.convId)).toBe(0);
        expect((await store.getSettings(a.id)).mutedRooms).toEqual(["kept"]);
        expect(await store.history(keep.convId, { limit: 10 }, a.id)).toHaveLength(1);
        const again = await room("DOOMED", o.id);
        expect(again.lastSeq).toBe(0);
        expect(await store.history(again.convId, { limit: 10 }, o.id)).toEqual([]);
      });
    });

    describe("messages", () => {
      it("stores a message and returns it with seq, id, sender name and cid", async () => {
        const o = await user("gus");
        const r = await room("r", o.id);
        const res = await store.appendMessage({
          convId: r.convId,
          fromUserId: o.id,
          body: "hello\nworld",
          cid: "x1",
          ts: T0 + 7,
        });
        expect(res.duplicate).toBe(false);
        expect(res.message).toMatchObject({
          convId: r.convId,
          seq: 1,
          ts: T0 + 7,
          fromUserId: o.id,
          from: "gus",
          body: "hello\nworld",
          cid: "x1",
        });
        expect(typeof res.message.id).toBe("number");
        expect(await store.history(r.convId, { limit: 10 }, o.id)).toEqual([res.message]);
        expect(await store.lastSeq(r.convId)).toBe(1);
      });

      it("numbers seq per conversation from 1, one by one", async () => {
        const o = await user("hal");
        const a = await room("a", o.id);
        const b = await room("b", o.id);
        const seqs: Array<[number, number]> = [];
        for (const conv of [a.convId, b.convId, a.convId, a.convId, b.convId]) {
          seqs.push([conv, (await send(conv, o.id, "m")).message.seq]);
        }
        expect(seqs).toEqual([
          [a.convId, 1],
          [b.convId, 1],
          [a.convId, 2],
          [a.convId, 3],
          [b.convId, 2],
        ]);
        expect(await store.lastSeq(a.convId)).toBe(3);
        expect(await store.lastSeq(b.convId)).toBe(2);
      });

      it("gives 200 concurrent appends to one conversation the seqs 1..200, each once", async () => {
        const o = await user("ida");
        const r = await room("r", o.id);
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => send(r.convId, o.id, `m${i}`)),
        );
        expect(results.map((x) => x.message.seq).sort((x, y) => x - y)).toEqual(
          Array.from({ length: 200 }, (_, i) => i + 1),
        );
        expect(new Set(results.map((x) => x.message.id)).size).toBe(200);
        const page = await store.history(r.convId, { limit: 200 }, o.id);
        expect(page.map((m) => m.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      });

      it("stores the same (sender, cid) once and returns the first with duplicate: true", async () => {
        const o = await user("jon");
        const p = await user("kim");
        const r = await room("r", o.id);
        const first = await store.appendMessage({
          convId: r.convId,
          fromUserId: o.id,
          body: "a",
          cid: "same",
          ts: T0,
        });
        const again = await store.appendMessage({
          convId: r.convId,
          fromUserId: o.id,
          body: "b",
          cid: "same",
          ts: T0 + 1,
        });
        expect(again).toEqual({ message: first.message, duplicate: true });
        // Another sender may use the same cid.
        const theirs = await store.appendMessage({
          convId: r.convId,
          fromUserId: p.id,
          body: "c",
          cid: "same",
          ts: T0,
        });
        expect(theirs.duplicate).toBe(false);
        expect(theirs.message.seq).toBe(2);
        expect((await store.history(r.convId, { limit: 10 }, o.id)).map((m) => m.body)).toEqual(["a", "c"]);
        expect(await store.lastSeq(r.convId)).toBe(2);
      });

      it("stores concurrent duplicates (same turn, same batch) once", async () => {
        const o = await user("lea");
        const r = await room("r", o.id);
        const m = { convId: r.convId, fromUserId: o.id, body: "x", cid: "dup", ts: T0 };
        const results = await Promise.all([
          store.appendMessage(m),
          store.appendMessage(m),
          send(r.convId, o.id, "y"),
          store.appendMessage(m),
        ]);
        expect(results.filter((x) => !x.duplicate && x.message.cid === "dup")).toHaveLength(1);
        const ids = new Set(results.filter((x) => x.message.cid === "dup").map((x) => x.message.id));
        expect(ids.size).toBe(1);
        expect(results.filter((x) => x.duplicate)).toHaveLength(2);
        expect(await store.history(r.convId, { limit: 10 }, o.id)).toHaveLength(2);
        expect(await store.lastSeq(r.convId)).toBe(2);
      });

      it("stores notice and clientTags and reads them back everywhere; a retry keeps the first send's", async () => {
        const o = await user("nia");
        const r = await room("r", o.id);
        const tags = { "+draft/reply": "1-1", "+x": "a;b c\\", "+e": "" };
        const sent = await send(r.convId, o.id, "bot says", { notice: true, clientTags: tags, cid: "n1" });
        expect(sent.message).toMatchObject({ notice: true, clientTags: tags });
        // Appended in one batch (same turn): plain, notice only, tags only.
        const [plain, onlyNotice, onlyTags] = await Promise.all([
          send(r.convId, o.id, "plain"),
          send(r.convId, o.id, "n", { notice: true }),
          send(r.convId, o.id, "t", { clientTags: { "+k": "v" } }),
        ]);
        expect(plain.message.notice).toBeUndefined();
        expect(plain.message.clientTags).toBeUndefined();
        expect(onlyNotice.message).toMatchObject({ notice: true });
        expect(onlyTags.message.clientTags).toEqual({ "+k": "v" });
        const history = await store.history(r.convId, { limit: 10 }, o.id);
        expect(history.map((m) => [m.body, m.notice, m.clientTags])).toEqual([
          ["bot says", true, tags],
          ["plain", undefined, undefined],
          ["n", true, undefined],
          ["t", undefined, { "+k": "v" }],
        ]);
        expect(await store.getMessage(sent.message.id)).toMatchObject({ notice: true, clientTags: tags });
        const replay = await store.sequenced(r.convId, 0, 10, o.id);
        expect(replay[0]!.message).toMatchObject({ notice: true, clientTags: tags });
        const again = await send(r.convId, o.id, "other", { cid: "n1" });
        expect(again.duplicate).toBe(true);
        expect(again.message).toMatchObject({ body: "bot says", notice: true, clientTags: tags });
      });

      it("fails only the bad append of a batch (unknown conversation)", async () => {
        const o = await user("max");
        const r = await room("r", o.id);
        const [good, bad, good2] = await Promise.allSettled([
          send(r.convId, o.id, "ok"),
          send(r.convId + 10_000, o.id, "lost"),
          send(r.convId, o.id, "ok2"),
        ]);
        expect(good.status).toBe("fulfilled");
        expect(bad.status).toBe("rejected");
        // Typed, so the domain can answer NO_SUCH_ROOM for a room deleted meanwhile, not INTERNAL.
        expect(bad.status === "rejected" && bad.reason).toBeInstanceOf(StoreGoneError);
        expect(good2.status).toBe("fulfilled");
        expect((await store.history(r.convId, { limit: 10 }, o.id)).map((m) => m.body)).toEqual([
          "ok",
          "ok2",
        ]);
      });

      it("shows the sender's current name after a rename (history keeps the author)", async () => {
        const o = await user("ned");
        const r = await room("r", o.id);
        await send(r.convId, o.id, "before rename");
        await store.renameUser(o.id, "edward");
        const [m] = await store.history(r.convId, { limit: 1 }, o.id);
        expect(m).toMatchObject({ fromUserId: o.id, from: "edward", body: "before rename" });
        expect((await store.getMember(r.id, o.id))?.role).toBe("owner");
      });

      describe("history", () => {
        let convId: number;
        let viewer: number;
        const seqs = (ms: Array<{ seq: number }>) => ms.map((m) => m.seq);

        beforeEach(async () => {
          const o = await user("olga");
          viewer = o.id;
          convId = (await room("h", o.id)).convId;
          for (let i = 0; i < 10; i++) await send(convId, o.id, `m${i + 1}`);
        });

        it("without bounds gives the latest `limit`, oldest first", async () => {
          expect(seqs(await store.history(convId, { limit: 3 }, viewer))).toEqual([8, 9, 10]);
          expect(seqs(await store.history(convId, { limit: 50 }, viewer))).toHaveLength(10);
        });

        it("`before` gives the `limit` right before it, exclusive, oldest first", async () => {
          expect(seqs(await store.history(convId, { before: 8, limit: 3 }, viewer))).toEqual([5, 6, 7]);
          expect(seqs(await store.history(convId, { before: 3, limit: 5 }, viewer))).toEqual([1, 2]);
          expect(seqs(await store.history(convId, { before: 1, limit: 5 }, viewer))).toEqual([]);
        });

        it("`after` gives the `limit` right after it, exclusive, oldest first", async () => {
          expect(seqs(await store.history(convId, { after: 2, limit: 3 }, viewer))).toEqual([3, 4, 5]);
          expect(seqs(await store.history(convId, { after: 8, limit: 5 }, viewer))).toEqual([9, 10]);
          expect(seqs(await store.history(convId, { after: 10, limit: 5 }, viewer))).toEqual([]);
          expect(seqs(await store.history(convId, { after: 0, limit: 2 }, viewer))).toEqual([1, 2]);
        });

        it("with both bounds stays inside them, paging forward from `after`", async () => {
          expect(seqs(await store.history(convId, { after: 2, before: 6, limit: 10 }, viewer))).toEqual([
            3, 4, 5,
          ]);
          expect(seqs(await store.history(convId, { after: 2, before: 9, limit: 2 }, viewer))).toEqual([
            3, 4,
          ]);
        });

        it("is empty for an unknown or empty conversation", async () => {
          expect(await store.history(convId + 10_000, { limit: 5 }, viewer)).toEqual([]);
          expect(await store.lastSeq(convId + 10_000)).toBe(0);
        });
      });
    });

    describe("direct messages", () => {
      it("has one conversation per pair whichever side asks, created only on request", async () => {
        const a = await user("pam");
        const b = await user("ray");
        const c = await user("sue");
        expect(await store.getDmConversation(a.id, b.id, false)).toBeUndefined();
        expect(await store.dmConversations(a.id)).toEqual([]);
        const ab = await store.getDmConversation(a.id, b.id, true);
        expect(ab).toBeDefined();
        expect(await store.getDmConversation(b.id, a.id, false)).toBe(ab);
        expect(await store.getDmConversation(b.id, a.id, true)).toBe(ab);
        const ac = await store.getDmConversation(c.id, a.id, true);
        expect(ac).not.toBe(ab);
        const r = await room("r", a.id);
        expect([r.convId]).not.toContain(ab);
        expect((await send(ab!, a.id, "hi")).message.seq).toBe(1);
        expect((await send(ac!, a.id, "hi")).message.seq).toBe(1);
      });

      it("has a conversation of one for a user with themselves (notes to self)", async () => {
        const a = await user("pia");
        const b = await user("quin");
        const self = await store.getDmConversation(a.id, a.id, true);
        expect(self).toBeDefined();
        expect(await store.getDmConversation(a.id, a.id, false)).toBe(self);
        expect(self).not.toBe(await store.getDmConversation(a.id, b.id, true));
        await send(self!, a.id, "note");
        expect((await store.history(self!, { limit: 10 }, a.id)).map((m) => m.body)).toEqual(["note"]);
        const mine = (await store.dmConversations(a.id)).find((c) => c.convId === self);
        expect(mine).toMatchObject({ otherUserId: a.id, otherUsername: "pia", lastSeq: 1, unread: 0 });
        expect((await store.dmConversations(b.id)).map((c) => c.convId)).not.toContain(self);
      });

      it("lists DM conversations with the other party, ordered by their name, with unread counts", async () => {
        const me = await user("tom");
        const zoe = await user("Zoe");
        const amy = await user("amy");
        const withZoe = (await store.getDmConversation(me.id, zoe.id, true))!;
        const withAmy = (await store.getDmConversation(amy.id, me.id, true))!;
        await send(withZoe, zoe.id, "1");
        await send(withZoe, me.id, "2"); // mine: never unread for me
        await send(withZoe, zoe.id, "3");
        await send(withAmy, amy.id, "a");
        const list = await store.dmConversations(me.id);
        expect(list).toEqual([
          {
            convId: withAmy,
            otherUserId: amy.id,
            otherUsername: "amy",
            lastSeq: 1,
            readSeq: 0,
            unread: 1,
            hasVisible: true,
          },
          {
            convId: withZoe,
            otherUserId: zoe.id,
            otherUsername: "Zoe",
            lastSeq: 3,
            readSeq: 0,
            unread: 2,
            hasVisible: true,
          },
        ]);
        const zoes = await store.dmConversations(zoe.id);
        expect(zoes).toEqual([
          {
            convId: withZoe,
            otherUserId: me.id,
            otherUsername: "tom",
            lastSeq: 3,
            readSeq: 0,
            unread: 1,
            hasVisible: true,
          },
        ]);
      });

      it("counts unread only after the read marker", async () => {
        const me = await user("una");
        const bo = await user("bo");
        const conv = (await store.getDmConversation(me.id, bo.id, true))!;
        for (let i = 0; i < 4; i++) await send(conv, bo.id, `m${i}`);
        await store.setRead(me.id, conv, 3);
        expect(await store.dmConversations(me.id)).toMatchObject([{ readSeq: 3, unread: 1, lastSeq: 4 }]);
        await store.setRead(me.id, conv, 4);
        expect(await store.dmConversations(me.id)).toMatchObject([{ readSeq: 4, unread: 0 }]);
      });

      it("hides a message from the user it is hidden for, in history and unread, but not from others", async () => {
        const me = await user("val");
        const pest = await user("pest");
        await store.setBlock(me.id, pest.id, true);
        const conv = (await store.getDmConversation(me.id, pest.id, true))!;
        const shown = await send(conv, pest.id, "before the block took effect");
        const hidden = await send(conv, pest.id, "blocked", { hiddenFor: me.id });
        expect(hidden.duplicate).toBe(false);
        expect(hidden.message.seq).toBe(2);
        expect(await store.history(conv, { limit: 10 }, me.id)).toEqual([shown.message]);
        expect((await store.history(conv, { limit: 10 }, pest.id)).map((m) => m.seq)).toEqual([1, 2]);
        expect(await store.dmConversations(me.id)).toMatchObject([
          { otherUsername: "pest", unread: 1, lastSeq: 2 },
        ]);
        // Hidden messages do not count against the page size.
        await send(conv, me.id, "mine");
        expect((await store.history(conv, { limit: 2 }, me.id)).map((m) => m.seq)).toEqual([1, 3]);
      });

      it("says whether a conversation holds any message the user can see", async () => {
        const me = await user("wes");
        const pest = await user("nag");
        const conv = (await store.getDmConversation(pest.id, me.id, true))!;
        expect(await store.dmConversations(me.id)).toMatchObject([
          { otherUsername: "nag", hasVisible: false },
        ]);
        // A blocked user's messages alone leave nothing visible to the one who blocked.
        await send(conv, pest.id, "let me in", { hiddenFor: me.id });
        expect(await store.dmConversations(me.id)).toMatchObject([
          { lastSeq: 1, unread: 0, hasVisible: false },
        ]);
        expect(await store.dmConversations(pest.id)).toMatchObject([
          { otherUsername: "wes", lastSeq: 1, hasVisible: true },
        ]);
        await send(conv, me.id, "no");
        expect(await store.dmConversations(me.id)).toMatchObject([
          { otherUsername: "nag", lastSeq: 2, unread: 0, hasVisible: true },
        ]);
      });

      it("shows the other party's current name after a rename", async () => {
        const a = await user("wade");
        const b = await user("xavi");
        const conv = (await store.getDmConversation(a.id, b.id, true))!;
        await send(conv, b.id, "yo");
        await store.renameUser(b.id, "xavier");
        expect(await store.dmConversations(a.id)).toMatchObject([
          { otherUserId: b.id, otherUsername: "xavier" },
        ]);
        expect(await store.getDmConversation(a.id, b.id, false)).toBe(conv);
      });
    });

    describe("read markers", () => {
      it("start at 0 and only move forward", async () => {
        const o = await user("yara");
        const p = await user("zane");
        const r = await room("r", o.id);
        expect(await store.getRead(o.id, r.convId)).toBe(0);
        await store.setRead(o.id, r.convId, 5);
        expect(await store.getRead(o.id, r.convId)).toBe(5);
        await store.setRead(o.id, r.convId, 3);
        expect(await store.getRead(o.id, r.convId)).toBe(5);
        await store.setRead(o.id, r.convId, 7);
        expect(await store.getRead(o.id, r.convId)).toBe(7);
        // Per user and per conversation.
        expect(await store.getRead(p.id, r.convId)).toBe(0);
        const other = await room("s", o.id);
        expect(await store.getRead(o.id, other.convId)).toBe(0);
      });
    });

    describe("settings", () => {
      it("mutes rooms and users and blocks users, idempotently, reported by current names", async () => {
        const me = await user("adam");
        const b = await user("Bea");
        const c = await user("cy");
        const r1 = await room("zeta", me.id);
        const r2 = await room("Eta", me.id);
        expect(await store.getSettings(me.id)).toEqual({ mutedRooms: [], mutedUsers: [], blocked: [] });
        await store.setMute(me.id, { roomId: r1.id }, true);
        await store.setMute(me.id, { roomId: r2.id }, true);
        await store.setMute(me.id, { roomId: r2.id }, true);
        await store.setMute(me.id, { userId: c.id }, true);
        await store.setMute(me.id, { userId: b.id }, true);
        await store.setBlock(me.id, c.id, true);
        await store.setBlock(me.id, c.id, true);
        expect(await store.getSettings(me.id)).toEqual({
          mutedRooms: ["Eta", "zeta"],
          mutedUsers: ["Bea", "cy"],
          blocked: ["cy"],
        });
        await store.renameUser(c.id, "cyrus");
        expect(await store.getSettings(me.id)).toEqual({
          mutedRooms: ["Eta", "zeta"],
          mutedUsers: ["Bea", "cyrus"],
          blocked: ["cyrus"],
        });
        await store.setMute(me.id, { roomId: r1.id }, false);
        await store.setMute(me.id, { userId: b.id }, false);
        await store.setMute(me.id, { userId: b.id }, false);
        await store.setBlock(me.id, c.id, false);
        expect(await store.getSettings(me.id)).toEqual({
          mutedRooms: ["Eta"],
          mutedUsers: ["cyrus"],
          blocked: [],
        });
        // Settings are the user's own.
        expect(await store.getSettings(c.id)).toEqual({ mutedRooms: [], mutedUsers: [], blocked: [] });
      });

      it("isBlocked(user, by) is directional", async () => {
        const a = await user("ann");
        const b = await user("ben");
        await store.setBlock(a.id, b.id, true);
        expect(await store.isBlocked(b.id, a.id)).toBe(true);
        expect(await store.isBlocked(a.id, b.id)).toBe(false);
        await store.setBlock(a.id, b.id, false);
        expect(await store.isBlocked(b.id, a.id)).toBe(false);
      });
    });

    describe("peer devices", () => {
      const device = (id: string, extra: Partial<NewDevice> = {}): NewDevice => ({
        id,
        key: `key-${id}`,
        endpoints: [],
        createdAt: T0,
        lastSeen: T0,
        ...extra,
      });

      it("stores devices per user, lists the unrevoked ones oldest first, and updates in place", async () => {
        const a = await user("cat");
        const b = await user("dan");
        expect(await store.listDevices(a.id)).toEqual([]);
        const first = device("00000000000000bb", {
          signKey: "sign-1",
          encKey: "enc-1",
          name: "laptop",
          signature: "sig-1",
          endpoints: [
            { host: "127.0.0.1", port: 4000 },
            { host: "::1", port: 4001 },
          ],
        });
        await store.putDevice(a.id, first);
        await store.putDevice(a.id, device("00000000000000aa", { createdAt: T0 + 5, lastSeen: T0 + 5 }));
        await store.putDevice(b.id, device("00000000000000cc"));
        expect(await store.getDevice(a.id, first.id)).toEqual(first);
        expect((await store.listDevices(a.id)).map((d) => d.id)).toEqual([
          "00000000000000bb",
          "00000000000000aa",
        ]);
        // An update keeps createdAt and replaces the rest, clearing what is no longer given.
        await store.putDevice(a.id, device(first.id, { createdAt: T0 + 99, lastSeen: T0 + 100 }));
        expect(await store.getDevice(a.id, first.id)).toEqual(
          device(first.id, { createdAt: T0, lastSeen: T0 + 100 }),
        );
        // Devices are the user's own: the same id of another user is another device.
        expect(await store.getDevice(b.id, first.id)).toBeUndefined();
      });

      it("keeps one master key per user; replacing it drops every device's signature", async () => {
        const a = await user("eli");
        expect(await store.getMasterKey(a.id)).toBeUndefined();
        await store.setMasterKey(a.id, "master-1", T0);
        await store.putDevice(a.id, device("0000000000000001", { signature: "by-1" }));
        expect(await store.setDeviceSignature(a.id, "0000000000000001", "by-1-again")).toBe(true);
        expect((await store.getDevice(a.id, "0000000000000001"))?.signature).toBe("by-1-again");
        // Setting the same key again keeps signatures.
        await store.setMasterKey(a.id, "master-1", T0 + 1);
        expect((await store.getDevice(a.id, "0000000000000001"))?.signature).toBe("by-1-again");
        await store.setMasterKey(a.id, "master-2", T0 + 2);
        expect(await store.getMasterKey(a.id)).toBe("master-2");
        expect((await store.getDevice(a.id, "0000000000000001"))?.signature).toBeUndefined();
        expect(await store.setDeviceSignature(a.id, "00000000000000ff", "x")).toBe(false);
      });

      it("revokes a device for good: unlisted, unsignable, and only the newest revoked ones are kept", async () => {
        const a = await user("fay");
        for (let i = 1; i <= 4; i++) await store.putDevice(a.id, device(`000000000000000${i}`));
        expect(await store.revokeDevice(a.id, "0000000000000001", T0 + 1, 2)).toBe(true);
        expect(await store.revokeDevice(a.id, "0000000000000001", T0 + 2, 2)).toBe(false);
        expect(await store.revokeDevice(a.id, "00000000000000ff", T0 + 2, 2)).toBe(false);
        expect((await store.listDevices(a.id)).map((d) => d.id)).toEqual([
          "0000000000000002",
          "0000000000000003",
          "0000000000000004",
        ]);
        expect(await store.getDevice(a.id, "0000000000000001")).toMatchObject({ revokedAt: T0 + 1 });
        expect(await store.setDeviceSignature(a.id, "0000000000000001", "x")).toBe(false);
        // A later announce of the revoked key updates the row but does not bring it back.
        await store.putDevice(a.id, device("0000000000000001", { lastSeen: T0 + 9 }));
        expect(await store.getDevice(a.id, "0000000000000001")).toMatchObject({ revokedAt: T0 + 1 });
        expect(await store.listDevices(a.id)).toHaveLength(3);
        // Past `keepRevoked`, the oldest revoked rows are forgotten.
        await store.revokeDevice(a.id, "0000000000000002", T0 + 3, 2);
        await store.revokeDevice(a.id, "0000000000000003", T0 + 4, 2);
        expect(await store.getDevice(a.id, "0000000000000001")).toBeUndefined();
        expect(await store.getDevice(a.id, "0000000000000002")).toMatchObject({ revokedAt: T0 + 3 });
        expect((await store.listDevices(a.id)).map((d) => d.id)).toEqual(["0000000000000004"]);
      });
    });

    describe("durability", () => {
      it("resolves appendMessage only once the message can be read back", async () => {
        const o = await user("eve");
        const r = await room("r", o.id);
        const pending = send(r.convId, o.id, "x");
        const res = await pending;
        expect(await store.history(r.convId, { after: res.message.seq - 1, limit: 1 }, o.id)).toEqual([
          res.message,
        ]);
      });

      it("keeps the order of writes issued while appends are pending", async () => {
        const o = await user("fin");
        const r = await room("r", o.id);
        // Not awaited on purpose: the room is deleted after the append was issued, so the append goes first.
        const appended = send(r.convId, o.id, "last words");
        const deleted = store.deleteRoom(r.id);
        const [res] = await Promise.all([appended, deleted]);
        expect(res.message.seq).toBe(1);
        expect(await store.getRoom("r")).toBeUndefined();
      });

      it("close() writes appends still queued", async () => {
        const o = await user("gil");
        const r = await room("r", o.id);
        const pending = Array.from({ length: 5 }, (_, i) => send(r.convId, o.id, `m${i}`));
        await store.close();
        const results = await Promise.all(pending);
        expect(results.map((x) => x.message.seq)).toEqual([1, 2, 3, 4, 5]);
        store = await open(); // afterEach closes this one
      });
    });

    describe("running a hub: admins, suspensions, resets, deletions, audit", () => {
      it("counts and lists live users a page at a time, by username, with a prefix", async () => {
        for (const name of ["carol", "Alice", "bob", "albert"]) await user(name);
        expect(await store.countUsers()).toBe(4);
        const names = async (q: Parameters<Store["listUsers"]>[0]) =>
          (await store.listUsers(q)).map((u) => u.username);
        expect(await names({ limit: 10 })).toEqual(["albert", "Alice", "bob", "carol"]);
        expect(await names({ limit: 2 })).toEqual(["albert", "Alice"]);
        expect(await names({ limit: 2, after: "ALICE" })).toEqual(["bob", "carol"]);
        expect(await names({ limit: 10, prefix: "AL" })).toEqual(["albert", "Alice"]);
        expect(await names({ limit: 10, prefix: "al", after: "albert" })).toEqual(["Alice"]);
      });

      it("stores the server-admin flag, a suspension and a pending reset, and clears them", async () => {
        const u = await user("ursula");
        expect(u.serverAdmin).toBeUndefined();
        expect(u.suspension).toBeUndefined();
        await store.setServerAdmin(u.id, true);
        await store.setSuspension(u.id, { at: T0 + 5, reason: "spam" });
        await store.setPasswordReset(u.id, { tokenHash: "h", expiresAt: T0 + 9 });
        expect(await store.getUserByName("ursula")).toMatchObject({
          serverAdmin: true,
          suspension: { at: T0 + 5, reason: "spam" },
          reset: { tokenHash: "h", expiresAt: T0 + 9 },
        });
        await store.setServerAdmin(u.id, false);
        await store.setSuspension(u.id, null);
        await store.setPasswordReset(u.id, null);
        expect(await store.getUserById(u.id)).toEqual(u);
      });

      it("deletes a user, keeping their messages under the deleted-user name, and frees the name", async () => {
        const d = await user("dora");
        const e = await user("ed");
        const r = await room("r", e.id);
        await store.addMember(r.id, d.id, "member", T0);
        await send(r.convId, d.id, "from dora");
        await send(r.convId, e.id, "from ed");
        await store.createSession({ tokenHash: "dora-t", userId: d.id, createdAt: T0, expiresAt: T0 + 1e9 });
        await store.setBlock(e.id, d.id, true);
        await store.setMute(d.id, { roomId: r.id }, true);
        await store.setMasterKey(d.id, "dora-master", T0);
        await store.putDevice(d.id, {
          id: "00000000000000dd",
          key: "dora-key",
          endpoints: [],
          createdAt: T0,
          lastSeen: T0,
        });
        await store.deleteUser(d.id, { erase: false, at: T0 + 100 });

        expect(await store.getUserByName("dora")).toBeUndefined();
        expect(await store.searchUsers("d", 10)).toEqual([]);
        expect(await store.searchUsers(DELETED_USERNAME.slice(0, 3), 10)).toEqual([]);
        expect(await store.countUsers()).toBe(1);
        expect((await store.listUsers({ limit: 10 })).map((u) => u.username)).toEqual(["ed"]);
        expect((await store.getUserById(d.id))?.username).toBe(DELETED_USERNAME);
        expect(await store.getSession("dora-t")).toBeUndefined();
        expect((await store.getMembers(r.id)).map((m) => m.username)).toEqual(["ed"]);
        expect((await store.getSettings(e.id)).blocked).toEqual([]);
        // Their peer identity goes too: no device of theirs is handed out for a direct chat.
        expect(await store.listDevices(d.id)).toEqual([]);
        expect(await store.getDevice(d.id, "00000000000000dd")).toBeUndefined();
        expect(await store.getMasterKey(d.id)).toBeUndefined();
        const kept = await store.history(r.convId, { limit: 10 }, e.id);
        expect(kept.map((m) => [m.from, m.body])).toEqual([
          [DELETED_USERNAME, "from dora"],
          ["ed", "from ed"],
        ]);
        // The name is free at once, for a new and unrelated account.
        const again = await user("dora");
        expect(again.id).not.toBe(d.id);
        expect(await store.getUserByName("DORA")).toEqual(again);
      });

      it("deleting with erase removes the user's messages and no one else's", async () => {
        const d = await user("dora");
        const e = await user("ed");
        const conv = (await store.getDmConversation(d.id, e.id, true))!;
        await send(conv, d.id, "d1");
        await send(conv, e.id, "e1");
        await store.deleteUser(d.id, { erase: true, at: T0 + 100 });
        expect((await store.history(conv, { limit: 10 }, e.id)).map((m) => m.body)).toEqual(["e1"]);
        // Deleting twice changes nothing.
        await store.deleteUser(d.id, { erase: true, at: T0 + 200 });
        expect((await store.getUserById(d.id))?.username).toBe(DELETED_USERNAME);
      });

      it("appends audit entries and lists them newest first, a page at a time", async () => {
        const first = await store.appendAudit({ at: T0, actor: "root", action: "suspend", target: "x" });
        expect(first).toEqual({ id: first.id, at: T0, actor: "root", action: "suspend", target: "x" });
        await store.appendAudit({ at: T0 + 1, actor: "root", action: "kick", detail: "why" });
        const third = await store.appendAudit({ at: T0 + 2, actor: "operator", action: "grant" });
        const all = await store.listAudit({ limit: 10 });
        expect(all.map((a) => a.action)).toEqual(["grant", "kick", "suspend"]);
        expect(all[1]).toMatchObject({ detail: "why" });
        expect((await store.listAudit({ limit: 1, before: third.id })).map((a) => a.action)).toEqual([
          "kick",
        ]);
      });
    });

    describe("edits, deletions, replies, reactions (#12)", () => {
      async function setup() {
        const a = await user("ann");
        const b = await user("ben");
        const r = await room("r", a.id);
        await store.addMember(r.id, b.id, "member", T0);
        const m = (await send(r.convId, a.id, "first words here")).message;
        return { a, b, r, m };
      }
      const entry = (
        e: Partial<Parameters<Store["appendEntry"]>[0]> & {
          convId: number;
          messageId: number;
          userId: number;
        },
      ) => store.appendEntry({ kind: "edit", body: "", ts: T0 + 100, ...e });

      it("an edit takes the next seq, changes the body and editedAt; history keeps the place", async () => {
        const { a, r, m } = await setup();
        const res = await entry({
          convId: r.convId,
          messageId: m.id,
          userId: a.id,
          body: "better words",
          cid: "e1",
        });
        expect(res.result).toBe("stored");
        if (res.result !== "stored") return;
        expect(res.entry).toMatchObject({
          seq: 2,
          kind: "edit",
          messageId: m.id,
          messageSeq: m.seq,
          user: "ann",
          body: "better words",
          cid: "e1",
        });
        expect(await store.lastSeq(r.convId)).toBe(2);
        const [h] = await store.history(r.convId, { limit: 10 }, a.id);
        expect(h).toMatchObject({ id: m.id, seq: 1, body: "better words", editedAt: T0 + 100 });
        const next = await send(r.convId, a.id, "after");
        expect(next.message.seq).toBe(3);
        const items = await store.sequenced(r.convId, 0, 10, a.id);
        expect(items.map((i) => [i.message ? "m" : i.entry!.kind, (i.message ?? i.entry!).seq])).toEqual([
          ["m", 1],
          ["edit", 2],
          ["m", 3],
        ]);
        expect(await store.sequenced(r.convId, 1, 1, a.id)).toHaveLength(1);
      });

      it("an entry called after an append without waiting gets the higher seq", async () => {
        const { a, r, m } = await setup();
        const sent = send(r.convId, a.id, "two");
        const edited = entry({ convId: r.convId, messageId: m.id, userId: a.id, body: "one!" });
        const [s1, e1] = await Promise.all([sent, edited]);
        expect(s1.message.seq).toBe(2);
        expect(e1.result === "stored" && e1.entry.seq).toBe(3);
      });

      it("a repeated cid stores one entry and returns the first", async () => {
        const { a, r, m } = await setup();
        const first = await entry({
          convId: r.convId,
          messageId: m.id,
          userId: a.id,
          body: "x",
          cid: "same",
        });
        const again = await entry({
          convId: r.convId,
          messageId: m.id,
          userId: a.id,
          body: "y",
          cid: "same",
        });
        expect(again.result).toBe("duplicate");
        expect("entry" in again && again.entry).toEqual("entry" in first && first.entry);
        expect(await store.lastSeq(r.convId)).toBe(2);
      });

      it("a deletion erases the body, its edits and reactions; history keeps a tombstone", async () => {
        const { a, b, r, m } = await setup();
        await entry({ convId: r.convId, messageId: m.id, userId: a.id, body: "secret edit" });
        await entry({ convId: r.convId, messageId: m.id, userId: b.id, kind: "react", body: "👍" });
        const reply = await send(r.convId, b.id, "answer", { replyTo: m.id });
        expect(reply.message.replyTo).toBe(m.id);
        const before = (await store.history(r.convId, { limit: 10 }, b.id))[1]!;
        expect(before.reply).toEqual({ seq: m.seq, from: "ann", body: "secret edit", deleted: false });
        const del = await entry({
          convId: r.convId,
          messageId: m.id,
          userId: b.id,
          kind: "delete",
          body: "",
        });
        expect(del.result === "stored" && del.entry).toMatchObject({
          kind: "delete",
          messageId: m.id,
          messageSeq: m.seq,
          user: "ben",
          body: "",
          seq: 5,
        });
        const [tomb, answer] = await store.history(r.convId, { limit: 10 }, a.id);
        expect(tomb).toMatchObject({
          id: m.id,
          body: "",
          deleted: { at: T0 + 100, byUserId: b.id, by: "ben" },
        });
        expect(answer!.reply).toEqual({ seq: m.seq, from: "ann", body: "", deleted: true });
        expect(await store.getMessage(m.id)).toMatchObject({ body: "", deleted: { by: "ben" } });
        const tagged = (await send(r.convId, a.id, "tagged", { clientTags: { "+k": "private" } })).message;
        await entry({ convId: r.convId, messageId: tagged.id, userId: a.id, kind: "delete" });
        // Client tags may hold words too: erased with the body.
        expect((await store.getMessage(tagged.id))!.clientTags).toBeUndefined();
        const edits = (await store.sequenced(r.convId, 0, 10, a.id)).filter((i) => i.entry?.kind === "edit");
        expect(edits.map((i) => i.entry!.body)).toEqual([""]);
        expect((await store.reactions([m.id], a.id)).size).toBe(0);
        const terms = [{ kind: "word" as const, text: "secret" }];
        const q = { terms, convIds: [r.convId], viewerId: a.id, sort: "newest" as const, limit: 10 };
        expect(await store.search(q)).toEqual([]);
        // Nothing more may happen to it.
        expect((await entry({ convId: r.convId, messageId: m.id, userId: a.id, body: "again" })).result).toBe(
          "gone",
        );
        expect(
          (await entry({ convId: r.convId, messageId: m.id, userId: a.id, kind: "delete" })).result,
        ).toBe("gone");
      });

      it("a message of another conversation, or none, is gone", async () => {
        const { a, r, m } = await setup();
        const other = await room("other", a.id);
        expect((await entry({ convId: other.convId, messageId: m.id, userId: a.id, body: "x" })).result).toBe(
          "gone",
        );
        expect(
          (await entry({ convId: r.convId, messageId: m.id + 999, userId: a.id, body: "x" })).result,
        ).toBe("gone");
        expect(await store.getMessage(m.id + 999)).toBeUndefined();
      });

      it("keeps one reaction per user per emoji, counts them per viewer, leaves out blocked users", async () => {
        const { a, b, r, m } = await setup();
        const c = await user("cat");
        const react = (u: number, emoji: string, on = true) =>
          entry({
            convId: r.convId,
            messageId: m.id,
            userId: u,
            kind: on ? "react" : "unreact",
            body: emoji,
            maxReactions: 2,
          });
        expect((await react(a.id, "👍")).result).toBe("stored");
        expect((await react(a.id, "👍")).result).toBe("unchanged");
        expect((await react(b.id, "👍")).result).toBe("stored");
        expect((await react(c.id, ":tada:")).result).toBe("stored");
        expect((await react(a.id, "🎉")).result).toBe("stored");
        expect((await react(a.id, "🔥")).result).toBe("limit");
        expect((await react(a.id, "🎉", false)).result).toBe("stored");
        expect((await react(a.id, "🎉", false)).result).toBe("unchanged");
        const seen = (await store.reactions([m.id], a.id)).get(m.id)!;
        expect(Object.fromEntries(seen)).toEqual({
          "👍": { count: 2, me: true },
          ":tada:": { count: 1, me: false },
        });
        await store.setBlock(b.id, c.id, true);
        const byBen = (await store.reactions([m.id], b.id)).get(m.id)!;
        expect(Object.fromEntries(byBen)).toEqual({ "👍": { count: 2, me: true } });
        expect(await store.lastSeq(r.convId)).toBe(1 + 5);
      });

      it("leaves entries hidden for a viewer out of the replay", async () => {
        const { a, b, r, m } = await setup();
        await entry({
          convId: r.convId,
          messageId: m.id,
          userId: b.id,
          kind: "react",
          body: "👍",
          hiddenFor: a.id,
        });
        expect(
          (await store.sequenced(r.convId, 0, 10, a.id)).map((i) => (i.message ?? i.entry!).seq),
        ).toEqual([1]);
        expect(
          (await store.sequenced(r.convId, 0, 10, b.id)).map((i) => (i.message ?? i.entry!).seq),
        ).toEqual([1, 2]);
      });

      describe("search", () => {
        it("finds all words, prefixes and phrases, in the given conversations only, newest first, paged", async () => {
          const { a, b, r } = await setup();
          const other = await room("other", b.id);
          const ids: number[] = [];
          for (let i = 0; i < 5; i++)
            ids.push((await send(r.convId, a.id, `The quick brown fox number ${i}`)).message.id);
          await send(r.convId, b.id, "a brown dog, not quick");
          await send(other.convId, b.id, "quick brown fox elsewhere");
          const base = { convIds: [r.convId], viewerId: a.id, sort: "newest" as const, limit: 3 };
          const words = [
            { kind: "word" as const, text: "quick" },
            { kind: "prefix" as const, text: "fo" },
          ];
          const page1 = await store.search({ ...base, terms: words });
          expect(page1.map((h) => h.message.id)).toEqual([ids[4], ids[3], ids[2]]);
          expect(page1[0]!.snippet).toContain("\u0001quick\u0002");
          const page2 = await store.search({ ...base, terms: words, beforeId: page1[2]!.message.id });
          expect(page2.map((h) => h.message.id)).toEqual([ids[1], ids[0]]);
          const phrase = await store.search({
            ...base,
            limit: 10,
            terms: [{ kind: "phrase", text: "brown dog" }],
          });
          expect(phrase.map((h) => h.message.body)).toEqual(["a brown dog, not quick"]);
          const both = await store.search({
            ...base,
            convIds: [r.convId, other.convId],
            limit: 10,
            fromUserId: b.id,
            terms: [{ kind: "word", text: "QUICK" }],
          });
          expect(both.map((h) => h.message.body)).toEqual([
            "quick brown fox elsewhere",
            "a brown dog, not quick",
          ]);
          expect(await store.search({ ...base, convIds: [], terms: words })).toEqual([]);
        });

        it("ranks by relevance with an offset", async () => {
          const { a, r } = await setup();
          await send(r.convId, a.id, "apple");
          await send(r.convId, a.id, "apple apple apple pie");
          await send(
            r.convId,
            a.id,
            "a long message that mentions an apple once among many other words here",
          );
          const base = {
            convIds: [r.convId],
            viewerId: a.id,
            sort: "relevance" as const,
            limit: 2,
            terms: [{ kind: "word" as const, text: "apple" }],
          };
          const top = await store.search(base);
          // Engines weigh repetition and length differently; both rank the long message last.
          expect(top.map((h) => h.message.body).sort()).toEqual(["apple", "apple apple apple pie"]);
          const rest = await store.search({ ...base, offset: 2 });
          expect(rest).toHaveLength(1);
          expect(rest[0]!.message.body).toMatch(/long message/);
        });

        it("follows edits and leaves out messages hidden for the viewer", async () => {
          const { a, b, r, m } = await setup();
          await entry({ convId: r.convId, messageId: m.id, userId: a.id, body: "replaced text" });
          await send(r.convId, b.id, "replaced again", { hiddenFor: a.id });
          const q = (text: string, viewerId: number) =>
            store.search({
              terms: [{ kind: "word", text }],
              convIds: [r.convId],
              viewerId,
              sort: "newest",
              limit: 10,
            });
          expect(await q("first", a.id)).toEqual([]);
          expect((await q("replaced", a.id)).map((h) => h.message.id)).toEqual([m.id]);
          expect(await q("replaced", b.id)).toHaveLength(2);
        });
      });
    });

    describe("health", () => {
      it("checkWritable resolves on an open store, writing nothing", async () => {
        await store.checkWritable();
        expect(await store.searchUsers("", 10)).toEqual([]);
      });

      it("checkWritable rejects once the store is closed", async () => {
        await store.close();
        await expect(store.checkWritable()).rejects.toThrow(/closed/);
        store = await open(); // afterEach closes this one
      });
    });
  });
}

/** The pure state functions: ordering, dedupe, gaps, unread, renames, events. No hub needed. */
import { describe, expect, it } from "vitest";
import type { Member, Message, Room, User } from "../../src/protocol/index.js";
import * as S from "../../src/client/core/state.js";
import { backoffDelay } from "../../src/client/core/backoff.js";
import { isFatal } from "../../src/client/core/reconnect.js";
import {
  HubError,
  HubFingerprintChangedError,
  HubUnreachableError,
  NotConnectedError,
} from "../../src/client/core/errors.js";
import { conversationOf, mentions, parseKey } from "../../src/client/core/keys.js";
import type { ClientState, ConversationKey } from "../../src/client/core/types.js";

const MAX = 100;

function user(username: string): User {
  return { username, displayName: username, online: true };
}

function msg(
  seq: number,
  from: string,
  where: { room: string } | { user: string },
  body = `m${seq}`,
): Message {
  return { id: `id${seq}`, seq, ts: 1000 + seq, from, ...where, body };
}

function room(name: string): Room {
  return { name, members: 0, locked: false, joined: true };
}

function member(username: string, role: Member["role"] = "member"): Member {
  return { username, role, joinedAt: 1, online: true };
}

/** A room the user is in; `lastSeq` null: a room whose start the client does not know yet. */
function withRoom(lastSeq: number | null = 0): ClientState {
  let s = S.setMe(S.initialState(), user("alice"));
  s = S.upsertRoom(s, {
    info: room("ops"),
    members: [member("alice", "owner"), member("bob")],
    ...(lastSeq !== null && { lastSeq }),
  });
  return s;
}

const OPS: ConversationKey = "room:ops";

describe("deliver", () => {
  it("appends in seq order and drops what was seen", () => {
    let s = withRoom();
    const r1 = S.deliver(s, OPS, [msg(2, "bob", { room: "ops" }), msg(1, "bob", { room: "ops" })], MAX);
    expect(r1.delivered.map((n) => n.message.seq)).toEqual([1, 2]);
    s = r1.state;
    const r2 = S.deliver(s, OPS, [msg(2, "bob", { room: "ops" }), msg(1, "bob", { room: "ops" })], MAX);
    expect(r2.delivered).toEqual([]);
    expect(r2.state).toBe(s);
    expect(s.rooms["ops"]!.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(s.rooms["ops"]!.lastSeq).toBe(2);
  });

  it("holds messages beyond a gap and reports where to fill it", () => {
    const s = withRoom(3);
    const r = S.deliver(s, OPS, [msg(6, "bob", { room: "ops" }), msg(4, "bob", { room: "ops" })], MAX);
    expect(r.delivered.map((n) => n.message.seq)).toEqual([4]);
    expect(r.held.map((m) => m.seq)).toEqual([6]);
    expect(r.gapAfter).toBe(4);
    const filled = S.deliver(r.state, OPS, [...r.held, msg(5, "bob", { room: "ops" })], MAX);
    expect(filled.delivered.map((n) => n.message.seq)).toEqual([5, 6]);
    expect(filled.held).toEqual([]);
    expect(filled.gapAfter).toBeUndefined();
  });

  it("a room listed with the hub's read marker starts with that many unread", () => {
    let s = S.setMe(S.initialState(), user("alice"));
    s = S.upsertRoom(s, { info: { ...room("ops"), lastSeq: 12, readSeq: 9 }, members: [member("alice")] });
    expect(s.rooms["ops"]).toMatchObject({ lastSeq: 12, readSeq: 9, unread: 3 });
  });

  it("a room joined empty (lastSeq 0 from the hub) waits for seq 1 when seq 2 arrives first", () => {
    const s = withRoom(0);
    const early = S.deliver(s, OPS, [msg(2, "bob", { room: "ops" })], MAX);
    expect(early.delivered).toEqual([]);
    expect(early.held.map((m) => m.seq)).toEqual([2]);
    expect(early.gapAfter).toBe(0);
    const both = S.deliver(early.state, OPS, [...early.held, msg(1, "bob", { room: "ops" })], MAX);
    expect(both.delivered.map((n) => n.message.seq)).toEqual([1, 2]);
  });

  it("a conversation that saw nothing accepts any first seq, older history stays on the hub", () => {
    const s = S.setMe(S.initialState(), user("alice"));
    const r = S.deliver(s, "dm:bob", [msg(41, "bob", { user: "bob" })], MAX);
    expect(r.delivered).toHaveLength(1);
    expect(r.state.dms["bob"]).toMatchObject({ lastSeq: 41, hasOlder: true, unread: 1 });
  });

  it("counts unread from others only, clears on own message and in the focused conversation", () => {
    let s = withRoom();
    s = S.deliver(s, OPS, [msg(1, "bob", { room: "ops" }), msg(2, "bob", { room: "ops" })], MAX).state;
    expect(s.rooms["ops"]!.unread).toBe(2);
    s = S.deliver(s, OPS, [msg(3, "alice", { room: "ops" })], MAX).state;
    expect(s.rooms["ops"]).toMatchObject({ unread: 0, readSeq: 3 });
    s = S.setFocus(s, OPS);
    const r = S.deliver(s, OPS, [msg(4, "bob", { room: "ops" })], MAX);
    expect(r.state.rooms["ops"]).toMatchObject({ unread: 0, readSeq: 4 });
    expect(r.delivered[0]).toMatchObject({ focused: true, own: false });
  });

  it("flags mentions, own messages and mutes on notices", () => {
    let s = withRoom();
    s = S.applySettings(s, { muted: { rooms: [], users: ["carol"] }, blocked: [] });
    const r = S.deliver(
      s,
      OPS,
      [
        msg(1, "bob", { room: "ops" }, "hey @alice look"),
        msg(2, "carol", { room: "ops" }, "alice?"),
        msg(3, "alice", { room: "ops" }, "alice here"),
        msg(4, "bob", { room: "ops" }, "malice is not a mention"),
      ],
      MAX,
    );
    expect(r.delivered.map((n) => [n.mention, n.own, n.muted])).toEqual([
      [true, false, false],
      [true, false, true],
      [false, true, false],
      [false, false, false],
    ]);
  });

  it("keeps at most the window size and then knows older messages exist", () => {
    const s = withRoom();
    const many = Array.from({ length: 10 }, (_, i) => msg(i + 1, "bob", { room: "ops" }));
    const r = S.deliver(s, OPS, many, 4);
    expect(r.state.rooms["ops"]!.messages.map((m) => m.seq)).toEqual([7, 8, 9, 10]);
    expect(r.state.rooms["ops"]!.hasOlder).toBe(true);
    expect(r.state.rooms["ops"]!.unread).toBe(10);
  });
});

describe("history pages", () => {
  it("absorbPage puts what is at or before the cursor behind the window and delivers what is after", () => {
    const s = withRoom(5);
    const page = [1, 2, 3, 4, 5, 6].map((n) => msg(n, "bob", { room: "ops" }));
    const r = S.absorbPage(s, OPS, page, MAX);
    expect(r.delivered.map((n) => n.message.seq)).toEqual([6]);
    expect(r.state.rooms["ops"]!.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.state.rooms["ops"]!.hasOlder).toBe(false);
  });

  it("prependOlder only joins a run that touches the window", () => {
    let s = withRoom(null);
    s = S.deliver(
      s,
      OPS,
      [10, 11].map((n) => msg(n, "bob", { room: "ops" })),
      MAX,
    ).state;
    const far = S.prependOlder(
      s,
      OPS,
      [1, 2].map((n) => msg(n, "bob", { room: "ops" })),
    );
    expect(far.added).toBe(0);
    const near = S.prependOlder(
      s,
      OPS,
      [7, 8, 9].map((n) => msg(n, "bob", { room: "ops" })),
    );
    expect(near.added).toBe(3);
    expect(near.state.rooms["ops"]!.messages.map((m) => m.seq)).toEqual([7, 8, 9, 10, 11]);
    expect(near.state.rooms["ops"]!.hasOlder).toBe(true);
  });

  it("skipTo moves the cursor past a hole the hub cannot fill", () => {
    const s = withRoom(3);
    const r = S.deliver(s, OPS, [msg(9, "bob", { room: "ops" })], MAX);
    const skipped = S.skipTo(r.state, OPS, 8);
    const after = S.deliver(skipped, OPS, r.held, MAX);
    expect(after.delivered.map((n) => n.message.seq)).toEqual([9]);
  });
});

describe("events", () => {
  it("member joins, leaves, roles and succession", () => {
    let s = withRoom();
    s = S.applyEvent(s, { ev: "member.joined", room: "ops", username: "carol", role: "member" }, 5);
    expect(Object.keys(s.rooms["ops"]!.members).sort()).toEqual(["alice", "bob", "carol"]);
    expect(s.rooms["ops"]!.info.members).toBe(3);
    expect(s.online).toContain("carol");
    s = S.applyEvent(s, { ev: "member.left", room: "ops", username: "bob", reason: "kicked" }, 6);
    expect(s.rooms["ops"]!.members["bob"]).toBeUndefined();
    s = S.applyEvent(
      s,
      { ev: "role.changed", room: "ops", username: "carol", role: "owner", reason: "succession" },
      7,
    );
    expect(s.rooms["ops"]!.members["carol"]!.role).toBe("owner");
    expect(s.rooms["ops"]!.info.owner).toBe("carol");
    s = S.applyEvent(
      s,
      { ev: "role.changed", room: "ops", username: "alice", role: "admin", reason: "demoted" },
      8,
    );
    expect(s.rooms["ops"]!.myRole).toBe("admin");
  });

  it("kicked, banned, room.deleted and leaving remove the room and unfocus it", () => {
    for (const ev of [
      { ev: "kicked", room: "ops", by: "bob" } as const,
      { ev: "banned", room: "ops", by: "bob" } as const,
      { ev: "room.deleted", room: "ops" } as const,
      { ev: "member.left", room: "ops", username: "alice", reason: "left" } as const,
    ]) {
      const s = S.applyEvent(S.setFocus(withRoom(), OPS), ev, 1);
      expect(s.rooms["ops"]).toBeUndefined();
      expect(s.focus).toBeNull();
    }
  });

  it("presence updates the online list, profiles and members", () => {
    let s = S.setOnline(withRoom(), [user("alice"), user("bob")]);
    s = S.applyEvent(s, { ev: "presence", username: "bob", online: false, reason: "timeout" }, 99);
    expect(s.online).toEqual(["alice"]);
    expect(s.users["bob"]).toMatchObject({ online: false, lastSeen: 99 });
    expect(s.rooms["ops"]!.members["bob"]!.online).toBe(false);
  });

  it("the online list holds room members and DM partners only, and users.online settles the rest", () => {
    let s = S.ensureDm(withRoom(), "dora");
    // The hub's whole list: eve shares nothing with alice, dora is the other side of a DM.
    s = S.setOnline(s, [user("alice"), user("bob"), user("dora"), user("eve")]);
    expect(s.online).toEqual(["alice", "bob", "dora"]);
    // A later list without dora (her logout came while we were away) takes her off.
    s = S.setOnline(s, [user("alice"), user("bob")]);
    expect(s.users["dora"]!.online).toBe(false);
    expect(s.online).toEqual(["alice", "bob"]);
    // A member who leaves every room we share leaves the list, whatever happens to the name later.
    s = S.applyEvent(s, { ev: "member.left", room: "ops", username: "bob", reason: "left" }, 1);
    expect(s.online).toEqual(["alice"]);
  });

  it("settings.changed marks rooms and DMs muted", () => {
    let s = S.ensureDm(withRoom(), "bob");
    s = S.applyEvent(
      s,
      { ev: "settings.changed", muted: { rooms: ["ops"], users: ["bob"] }, blocked: ["eve"] },
      1,
    );
    expect(s.rooms["ops"]!.muted).toBe(true);
    expect(s.dms["bob"]!.muted).toBe(true);
    expect(s.blocked).toEqual(["eve"]);
  });

  it("read.changed from another device moves the marker and recounts unread", () => {
    let s = withRoom();
    s = S.deliver(
      s,
      OPS,
      [1, 2, 3].map((n) => msg(n, "bob", { room: "ops" })),
      MAX,
    ).state;
    s = S.applyEvent(s, { ev: "read.changed", room: "ops", seq: 2 }, 1);
    expect(s.rooms["ops"]).toMatchObject({ readSeq: 2, unread: 1 });
    s = S.markRead(s, OPS, 1);
    expect(s.rooms["ops"]!.readSeq).toBe(2);
  });

  it("user.renamed renames the user everywhere", () => {
    let s = S.setOnline(withRoom(), [user("alice"), user("bob")]);
    s = S.deliver(s, OPS, [msg(1, "bob", { room: "ops" })], MAX).state;
    s = S.deliver(s, "dm:bob", [msg(1, "bob", { user: "bob" })], MAX).state;
    s = S.applySettings(s, { muted: { rooms: [], users: ["bob"] }, blocked: ["bob"] });
    s = S.outboxAdd(s, { cid: "c1", key: "dm:bob", body: "hi", createdAt: 1, attempts: 0 });
    s = S.setFocus(s, "dm:bob");
    s = S.applyEvent(s, { ev: "user.renamed", from: "bob", to: "robert" }, 1);
    expect(s.rooms["ops"]!.members["robert"]!.username).toBe("robert");
    expect(s.rooms["ops"]!.members["bob"]).toBeUndefined();
    expect(s.rooms["ops"]!.messages[0]!.from).toBe("robert");
    expect(s.dms["bob"]).toBeUndefined();
    expect(s.dms["robert"]).toMatchObject({ key: "dm:robert", name: "robert" });
    expect(s.dms["robert"]!.messages[0]).toMatchObject({ from: "robert", user: "robert" });
    expect(s.online).toEqual(["alice", "robert"]);
    expect(s.users["robert"]!.username).toBe("robert");
    expect(s.muted.users).toEqual(["robert"]);
    expect(s.blocked).toEqual(["robert"]);
    expect(s.outbox[0]!.key).toBe("dm:robert");
    expect(s.focus).toBe("dm:robert");
  });

  it("renaming me changes me", () => {
    const s = S.applyEvent(withRoom(), { ev: "user.renamed", from: "alice", to: "ally" }, 1);
    expect(s.me!.username).toBe("ally");
    expect(s.rooms["ops"]!.members["ally"]!.role).toBe("owner");
  });
});

describe("state snapshots", () => {
  it("refresh keeps delivered messages of known rooms and drops rooms no longer joined", () => {
    let s = withRoom();
    s = S.deliver(s, OPS, [msg(1, "bob", { room: "ops" })], MAX).state;
    s = S.upsertRoom(s, {
      info: { ...room("ops"), description: "new" },
      members: [member("alice", "owner")],
    });
    expect(s.rooms["ops"]!.messages).toHaveLength(1);
    expect(s.rooms["ops"]!.info.description).toBe("new");
    s = S.upsertRoom(s, { info: room("dev"), members: [member("alice")], lastSeq: 7 });
    expect(s.rooms["dev"]).toMatchObject({ lastSeq: 7, readSeq: 7, hasOlder: true, myRole: "member" });
    s = S.retainRooms(s, ["dev"]);
    expect(Object.keys(s.rooms)).toEqual(["dev"]);
  });

  it("DM conversations from dm.list start at their last seq with the hub's unread count", () => {
    const s = S.upsertConversations(S.initialState(), [{ user: "bob", lastSeq: 10, unread: 3 }]);
    expect(s.dms["bob"]).toMatchObject({ lastSeq: 10, readSeq: 7, unread: 3, hasOlder: true });
    expect(S.cursorsOf(S.ensureDm(s, "carol"))).toEqual({ "dm:bob": 10 });
  });

  it("outbox add, attempt, remove", () => {
    let s = S.outboxAdd(S.initialState(), { cid: "c", key: OPS, body: "x", createdAt: 1, attempts: 0 });
    s = S.outboxAttempt(s, "c");
    expect(s.outbox[0]!.attempts).toBe(1);
    expect(S.outboxRemove(s, "c").outbox).toEqual([]);
  });
});

describe("keys, backoff, reconnect policy", () => {
  it("keys", () => {
    expect(parseKey("room:a")).toEqual({ kind: "room", name: "a" });
    expect(parseKey("dm:b")).toEqual({ kind: "dm", name: "b" });
    expect(parseKey("room:")).toBeNull();
    expect(parseKey("x:y")).toBeNull();
    expect(conversationOf({ room: "a" })).toBe("room:a");
    expect(conversationOf({ user: "b" })).toBe("dm:b");
    expect(mentions("ping @Alice!", "alice")).toBe(true);
    expect(mentions("palice", "alice")).toBe(false);
    expect(mentions("alice_2 there", "alice")).toBe(false);
  });

  it("backoff grows exponentially with full jitter and a cap", () => {
    const policy = { baseMs: 100, maxMs: 2000 };
    expect([0, 1, 2, 3, 4, 10, 1000].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([
      99, 199, 399, 799, 1599, 1999, 1999,
    ]);
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
    const samples = Array.from({ length: 200 }, () => backoffDelay(3, policy));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(800);
    expect(new Set(samples).size).toBeGreaterThan(50);
  });

  it("gives up only on failures a retry cannot fix", () => {
    expect(isFatal(new HubFingerprintChangedError("h:1", "A", "B", "parley trust wss://h:1"))).toBe(true);
    expect(isFatal(new HubError({ code: "UNSUPPORTED_PROTOCOL", message: "" }))).toBe(true);
    expect(isFatal(new HubUnreachableError("wss://h:1"))).toBe(false);
    expect(isFatal(new NotConnectedError())).toBe(false);
    expect(isFatal(new HubError({ code: "INTERNAL", message: "" }))).toBe(false);
  });
});

describe("stale events", () => {
  it("another user's join in a room we do not hold does not bring the room back", () => {
    const s = S.applyEvent(
      S.removeRoom(withRoom(), "ops"),
      { ev: "member.joined", room: "ops", username: "bob", role: "member" },
      1,
    );
    expect(s.rooms["ops"]).toBeUndefined();
    const mine = S.applyEvent(s, { ev: "member.joined", room: "ops", username: "alice", role: "member" }, 1);
    expect(mine.rooms["ops"]?.myRole).toBe("member");
  });
});

describe("deliver under shuffled, repeated and lost input", () => {
  /** A small seeded generator (mulberry32), so a failure replays exactly. */
  function rng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it("ends with every message once, in order, whatever the arrival order (20 seeds)", () => {
    for (let seed = 1; seed <= 20; seed += 1) {
      const random = rng(seed);
      const all = Array.from({ length: 120 }, (_, i) =>
        msg(i + 1, i % 3 === 0 ? "alice" : "bob", { room: "ops" }),
      );
      let state = withRoom(0);
      // Start the window at message 1 so the conversation is not "fresh" for out-of-order arrivals.
      state = S.deliver(state, OPS, [all[0]!], MAX).state;
      let held: S.Sequenced[] = [];
      const heard: number[] = [1];
      // Live traffic: batches of random messages (some repeated, some never sent = lost).
      for (let round = 0; round < 80; round += 1) {
        const batch = Array.from(
          { length: 1 + Math.floor(random() * 4) },
          () => all[Math.floor(random() * all.length)]!,
        );
        const r = S.deliver(state, OPS, [...held, ...batch], MAX * 2);
        state = r.state;
        held = r.held;
        heard.push(...r.delivered.map((n) => n.message.seq));
        // Sometimes the client fills its gap from history, as ParleyClient does.
        if (r.gapAfter !== undefined && random() < 0.3) {
          const page = all.filter((m) => m.seq > r.gapAfter!).slice(0, 10);
          const f = S.deliver(state, OPS, [...held, ...page], MAX * 2);
          state = f.state;
          held = f.held;
          heard.push(...f.delivered.map((n) => n.message.seq));
        }
      }
      // Finally a resume replays everything after the cursor.
      const cursor = state.rooms["ops"]!.lastSeq;
      const end = S.deliver(state, OPS, [...held, ...all.filter((m) => m.seq > cursor)], MAX * 2);
      heard.push(...end.delivered.map((n) => n.message.seq));
      const seqs = end.state.rooms["ops"]!.messages.map((m) => m.seq);
      expect(seqs, `seed ${seed}`).toEqual(all.map((m) => m.seq));
      expect(heard, `seed ${seed}`).toEqual(all.map((m) => m.seq));
      expect(end.held).toEqual([]);
    }
  });
});

describe("emitter", () => {
  it("a throwing listener does not stop the others and is reported with the event name", async () => {
    const { Emitter } = await import("../../src/client/core/emitter.js");
    const reported: string[] = [];
    const e = new Emitter<{ a: number }>((error, name) =>
      reported.push(`${String(name)}: ${(error as Error).message}`),
    );
    const got: number[] = [];
    e.on("a", () => {
      throw new Error("boom");
    });
    const off = e.on("a", (n) => got.push(n));
    e.emit("a", 1);
    off();
    e.emit("a", 2);
    expect(got).toEqual([1]);
    expect(reported).toEqual(["a: boom", "a: boom"]);
  });
});

/**
 * PROTOCOL.md's Messages section through a real hub over wss, with the hub's default limits on:
 * msg.send to rooms and users, idempotent cid, seq per conversation, offline DMs, dm.history, dm.list
 * and read. Each test registers users of its own (names prefixed by the test) so tests stay independent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, registerAndLogin, TestClient } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";

let hub: TestHub;
const open: TestClient[] = [];

beforeAll(async () => {
  hub = await startHub();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await hub.stop();
});

async function user(name: string) {
  const c = await registerAndLogin(hub.url, name);
  open.push(c);
  return c;
}

async function device(name: string) {
  const c = await login(hub.url, name);
  open.push(c);
  return c;
}

/** An account that exists but has no connection: registered, never logged in. */
async function offlineUser(name: string) {
  const c = await TestClient.connect(hub.url);
  await c.call("register", { username: name, password: "correct horse battery staple" });
  await c.close();
}

describe("msg.send to a room", () => {
  it("stores and delivers: seq +1 per message, cid only on the sender's own devices, body trimmed", async () => {
    const [a, b] = [await user("ms-a"), await user("ms-b")];
    const a2 = await device("ms-a");
    await a.call("room.create", { name: "ms-room" });
    await b.call("room.join", { room: "ms-room" });

    const first = await a.call("msg.send", { room: "ms-room", body: "  hello\tthere\nfriend  ", cid: "m1" });
    expect(first).toEqual({ id: expect.any(String), seq: 1, ts: expect.any(Number) });
    expect(Math.abs(first.ts - Date.now())).toBeLessThan(10_000);

    const atB = await b.nextEvent("message", (m) => m.room === "ms-room");
    expect(atB).toEqual({
      ev: "message",
      id: first.id,
      seq: 1,
      ts: first.ts,
      from: "ms-a",
      room: "ms-room",
      body: "hello\tthere\nfriend",
    });
    const atA2 = await a2.nextEvent("message", (m) => m.room === "ms-room");
    expect(atA2).toMatchObject({ id: first.id, seq: 1, cid: "m1", from: "ms-a" });

    const second = await b.call("msg.send", { room: "ms-room", body: "hi", cid: "m1" });
    const third = await a.call("msg.send", { room: "ms-room", body: "again", cid: "m2" });
    expect([second.seq, third.seq]).toEqual([2, 3]);
    expect(Number(third.id)).not.toBe(Number(first.id));
  });

  it("is idempotent per (sender, cid): a retry gets the first id and seq and is stored and delivered once", async () => {
    const [a, b] = [await user("idem-a"), await user("idem-b")];
    await a.call("room.create", { name: "idem-room" });
    await b.call("room.join", { room: "idem-room" });
    const first = await a.call("msg.send", { room: "idem-room", body: "once", cid: "same" });
    const retry = await a.call("msg.send", { room: "idem-room", body: "once", cid: "same" });
    expect(retry).toEqual(first);
    const next = await a.call("msg.send", { room: "idem-room", body: "twice", cid: "other" });
    expect(next.seq).toBe(first.seq + 1);
    // The barrier: once "twice" arrived, "once" would have arrived twice if it was delivered twice.
    await b.nextEvent("message", (m) => m.body === "twice");
    expect(b.eventsNamed("message").filter((m) => m.body === "once")).toHaveLength(1);
    const { messages } = await b.call("room.history", { room: "idem-room" });
    expect(messages.map((m) => m.body)).toEqual(["once", "twice"]);
  });

  it("refuses empty, too long, control characters, both or neither target, non-members", async () => {
    const [a, b] = [await user("bad-a"), await user("bad-b")];
    await a.call("room.create", { name: "bad-room" });
    const send = (params: Record<string, unknown>) => a.codeOf("msg.send", { cid: "x", ...params });
    expect(await send({ room: "bad-room", body: "" })).toBe("EMPTY_BODY");
    expect(await send({ room: "bad-room", body: " \n\t " })).toBe("EMPTY_BODY");
    expect(await send({ room: "bad-room", body: "x".repeat(4001) })).toBe("BODY_TOO_LONG");
    expect(await send({ room: "bad-room", body: "bell\u0007" })).toBe("INVALID_PARAMS");
    expect(await send({ room: "bad-room", body: "\u001b[2Jwiped" })).toBe("INVALID_PARAMS");
    expect(await send({ room: "bad-room", body: "\u009bcsi" })).toBe("INVALID_PARAMS");
    expect(await send({ room: "bad-room", user: "bad-b", body: "both" })).toBe("INVALID_PARAMS");
    expect(await send({ body: "neither" })).toBe("INVALID_PARAMS");
    expect(await send({ room: "bad-room", body: "no cid", cid: "" })).toBe("INVALID_PARAMS");
    expect(await b.codeOf("msg.send", { room: "bad-room", body: "let me in", cid: "y" })).toBe("NOT_MEMBER");
    expect(await b.codeOf("msg.send", { room: "no-such-room", body: "hm", cid: "z" })).toBe("NO_SUCH_ROOM");
    // 4000 characters (not UTF-16 units) is the limit.
    const long = await a.call("msg.send", { room: "bad-room", body: "😀".repeat(4000), cid: "long" });
    expect(long.seq).toBe(1);
    const reply = await a.request("msg.send", { room: "bad-room", body: "x".repeat(4001), cid: "x" });
    expect(reply.ok ? undefined : reply.error.message).toMatch(/4000/);
  });

  it("rate-limits a user's messages with retryAfterMs", async () => {
    const a = await user("fast-a");
    await a.call("room.create", { name: "fast-room" });
    const replies = [];
    // Default: burst 50, then 10 per second; 53 at once must hit the limit (and stay under the
    // connection's request burst of 60, with the 4 requests this connection has made already).
    for (let i = 0; i < 53; i++)
      replies.push(a.request("msg.send", { room: "fast-room", body: `${i}`, cid: `f${i}` }));
    const results = await Promise.all(replies);
    const limited = results.filter((r) => !r.ok);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expect(r.ok ? undefined : r.error).toMatchObject({
        code: "RATE_LIMITED",
        retryAfterMs: expect.any(Number),
      });
    }
    // The ones accepted have consecutive seqs: nothing is lost or stored twice.
    const seqs = results.flatMap((r) => (r.ok ? [(r as unknown as { seq: number }).seq] : []));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });
});

describe("msg.send to a user (DM)", () => {
  it("delivers to the recipient (user = sender) and to the sender's devices (user = recipient, with cid)", async () => {
    const [a, b] = [await user("dm-a"), await user("dm-b")];
    const a2 = await device("dm-a");
    const sent = await a.call("msg.send", { user: "dm-b", body: "psst", cid: "d1" });
    expect(sent.seq).toBe(1);
    expect(await b.nextEvent("message", (m) => m.user === "dm-a")).toEqual({
      ev: "message",
      id: sent.id,
      seq: 1,
      ts: sent.ts,
      from: "dm-a",
      user: "dm-a",
      body: "psst",
    });
    expect(await a2.nextEvent("message", (m) => m.user === "dm-b")).toMatchObject({
      id: sent.id,
      from: "dm-a",
      user: "dm-b",
      cid: "d1",
    });
    // One conversation, one seq, both directions; the name is matched ignoring case.
    const back = await b.call("msg.send", { user: "DM-A", body: "what", cid: "d1" });
    expect(back.seq).toBe(2);
    const { messages } = await a.call("dm.history", { user: "dm-b" });
    expect(messages.map((m) => [m.seq, m.from, m.body])).toEqual([
      [1, "dm-a", "psst"],
      [2, "dm-b", "what"],
    ]);
  });

  it("keeps a seq per conversation, independent of rooms and other conversations", async () => {
    const [a, b, c] = [await user("seq-a"), await user("seq-b"), await user("seq-c")];
    await a.call("room.create", { name: "seq-room" });
    for (let i = 0; i < 3; i++) await a.call("msg.send", { room: "seq-room", body: `r${i}`, cid: `r${i}` });
    expect((await a.call("msg.send", { user: "seq-b", body: "to b", cid: "b1" })).seq).toBe(1);
    expect((await a.call("msg.send", { user: "seq-c", body: "to c", cid: "c1" })).seq).toBe(1);
    expect((await b.call("msg.send", { user: "seq-a", body: "to a", cid: "a1" })).seq).toBe(2);
    expect((await a.call("msg.send", { room: "seq-room", body: "r3", cid: "r3" })).seq).toBe(4);
    expect((await c.call("dm.list")).conversations).toEqual([{ user: "seq-a", lastSeq: 1, unread: 1 }]);
  });

  it("refuses an unknown user", async () => {
    const a = await user("dmerr-a");
    expect(await a.codeOf("msg.send", { user: "no-such-user-x", body: "hello?", cid: "n1" })).toBe(
      "NO_SUCH_USER",
    );
  });
});

describe("offline DM delivery", () => {
  it("stores DMs to an offline user: on login dm.list shows them unread and dm.history returns them", async () => {
    const a = await user("off-a");
    await offlineUser("off-b");
    const one = await a.call("msg.send", { user: "off-b", body: "are you there?", cid: "o1" });
    await a.call("msg.send", { user: "off-b", body: "call me", cid: "o2" });

    const b = await device("off-b");
    expect((await b.call("dm.list")).conversations).toEqual([{ user: "off-a", lastSeq: 2, unread: 2 }]);
    const { messages } = await b.call("dm.history", { user: "off-a" });
    expect(messages).toEqual([
      { id: one.id, seq: 1, ts: one.ts, from: "off-a", user: "off-a", body: "are you there?" },
      expect.objectContaining({ seq: 2, body: "call me" }),
    ]);
    expect(messages[0]).not.toHaveProperty("cid");
    // The sender's own copy carries its cid.
    expect((await a.call("dm.history", { user: "off-b" })).messages[0]).toMatchObject({ cid: "o1" });
  });

  it("replays DMs missed while away on resume, oldest first", async () => {
    const a = await user("rep-a");
    const b = await user("rep-b");
    await b.close();
    await a.call("msg.send", { user: "rep-b", body: "first", cid: "p1" });
    await a.call("msg.send", { user: "rep-b", body: "second", cid: "p2" });
    const again = await TestClient.connect(hub.url);
    open.push(again);
    await again.call("resume", { token: b.token });
    await again.nextEvent("message", (m) => m.body === "second");
    expect(again.eventsNamed("message").map((m) => m.body)).toEqual(["first"]);
  });
});

describe("dm.history", () => {
  it("pages before and after a seq, oldest first; empty when there is no conversation", async () => {
    const [a] = [await user("dh-a"), await user("dh-b"), await user("dh-c")];
    for (let i = 1; i <= 5; i++) await a.call("msg.send", { user: "dh-b", body: `d${i}`, cid: `d${i}` });
    const seqs = async (p: Record<string, unknown>) =>
      (await a.call("dm.history", { user: "dh-b", ...p })).messages.map((m) => m.seq);
    expect(await seqs({})).toEqual([1, 2, 3, 4, 5]);
    expect(await seqs({ before: 4, limit: 2 })).toEqual([2, 3]);
    expect(await seqs({ after: 3 })).toEqual([4, 5]);
    expect(await seqs({ limit: 1 })).toEqual([5]);
    expect((await a.call("dm.history", { user: "dh-c" })).messages).toEqual([]);
  });

  it("refuses an unknown user and bad paging", async () => {
    const a = await user("dherr-a");
    expect(await a.codeOf("dm.history", { user: "nobody-named-so" })).toBe("NO_SUCH_USER");
    expect(await a.codeOf("dm.history", { user: "dherr-a", limit: 0 })).toBe("INVALID_PARAMS");
    expect(await a.codeOf("dm.history", { user: "dherr-a", before: -1 })).toBe("INVALID_PARAMS");
  });
});

describe("dm.list and read", () => {
  it("lists conversations with lastSeq and unread; read drops unread and tells the other devices", async () => {
    const [a, b] = [await user("rd-a"), await user("rd-b")];
    const b2 = await device("rd-b");
    for (let i = 1; i <= 3; i++) await a.call("msg.send", { user: "rd-b", body: `u${i}`, cid: `u${i}` });
    await b.call("msg.send", { user: "rd-a", body: "mine", cid: "mine" });
    // The reader's own messages are never unread.
    expect((await b.call("dm.list")).conversations).toEqual([{ user: "rd-a", lastSeq: 4, unread: 3 }]);
    expect((await a.call("dm.list")).conversations).toEqual([{ user: "rd-b", lastSeq: 4, unread: 1 }]);

    await b.call("read", { user: "rd-a", seq: 2 });
    expect(await b2.nextEvent("read.changed")).toEqual({ ev: "read.changed", user: "rd-a", seq: 2 });
    expect((await b2.call("dm.list")).conversations[0]?.unread).toBe(1);
    // Read markers only move forward.
    await b.call("read", { user: "rd-a", seq: 1 });
    expect((await b.call("dm.list")).conversations[0]?.unread).toBe(1);
    await b.call("read", { user: "rd-a", seq: 4 });
    expect((await b.call("dm.list")).conversations[0]?.unread).toBe(0);
  });

  it("read in a room moves the marker used by resume; refuses non-members and bad targets", async () => {
    const [a, b] = [await user("rr-a"), await user("rr-b")];
    await a.call("room.create", { name: "rr-room" });
    await b.call("room.join", { room: "rr-room" });
    for (let i = 1; i <= 3; i++) await a.call("msg.send", { room: "rr-room", body: `q${i}`, cid: `q${i}` });
    await b.call("read", { room: "rr-room", seq: 2 });
    await b.close();
    // Without a cursor, resume replays from the read marker.
    const again = await TestClient.connect(hub.url);
    open.push(again);
    await again.call("resume", { token: b.token });
    await again.nextEvent("message", (m) => m.body === "q3");
    expect(again.eventsNamed("message").filter((m) => m.room === "rr-room")).toEqual([]);

    const c = await user("rr-c");
    expect(await c.codeOf("read", { room: "rr-room", seq: 1 })).toBe("NOT_MEMBER");
    expect(await c.codeOf("read", { user: "nobody-named-so", seq: 1 })).toBe("NO_SUCH_USER");
    expect(await c.codeOf("read", { room: "rr-room", user: "rr-a", seq: 1 })).toBe("INVALID_PARAMS");
    expect(await c.codeOf("read", { user: "rr-a", seq: -1 })).toBe("INVALID_PARAMS");
  });

  it("a read marker past the last message does not hide the messages that come after it", async () => {
    const [a, b] = [await user("far-a"), await user("far-b")];
    await a.call("msg.send", { user: "far-b", body: "one", cid: "f1" });
    await b.call("read", { user: "far-a", seq: 1000 });
    await a.call("msg.send", { user: "far-b", body: "two", cid: "f2" });
    expect((await b.call("dm.list")).conversations).toEqual([{ user: "far-a", lastSeq: 2, unread: 1 }]);
  });

  it("dm.list needs a session", async () => {
    const c = await TestClient.connect(hub.url);
    open.push(c);
    expect(await c.codeOf("dm.list")).toBe("UNAUTHENTICATED");
  });
});

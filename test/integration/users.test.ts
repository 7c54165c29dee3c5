/**
 * PROTOCOL.md's Users and presence section through a real hub over wss: users.online, users.search,
 * me.update, me.rename, me.password, and the presence / user.updated / user.renamed events to the
 * users who share a room or a DM conversation.
 */
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, PASSWORD, registerAndLogin, TestClient } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { SUBPROTOCOL } from "../../src/protocol/limits.js";

let hub: TestHub;
const open: TestClient[] = [];
const PING_MS = 150;

beforeAll(async () => {
  // The search test registers more accounts than the per-address registration limit allows at once
  // (that limit has its own tests); a fast keep-alive lets the timeout test run in well under a second.
  hub = await startHub({ config: { rateLimits: false }, options: { pingIntervalMs: PING_MS } });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await hub.stop();
});

async function user(name: string, extra: Record<string, unknown> = {}) {
  const c = await registerAndLogin(hub.url, name, PASSWORD, extra);
  open.push(c);
  return c;
}

async function device(name: string, password = PASSWORD) {
  const c = await login(hub.url, name, password);
  open.push(c);
  return c;
}

async function offlineUser(name: string) {
  const c = await TestClient.connect(hub.url);
  await c.call("register", { username: name, password: PASSWORD });
  await c.close();
}

/** Two users who share a room, so each hears the other's presence and profile changes. */
async function roommates(a: string, b: string, room: string) {
  const [ca, cb] = [await user(a), await user(b)];
  await ca.call("room.create", { name: room });
  await cb.call("room.join", { room });
  return [ca, cb] as const;
}

describe("users.online", () => {
  it("lists the users online now, with online: true; a user who logs out drops off", async () => {
    const a = await user("on-a");
    const b = await user("on-b");
    await offlineUser("on-c");
    const names = async () => (await a.call("users.online")).users.map((u) => u.username);
    expect(await names()).toEqual(expect.arrayContaining(["on-a", "on-b"]));
    expect(await names()).not.toContain("on-c");
    const { users } = await a.call("users.online");
    expect(users.find((u) => u.username === "on-b")).toMatchObject({ displayName: "on-b", online: true });
    await b.call("logout");
    expect(await names()).not.toContain("on-b");
  });

  it("needs a session", async () => {
    const c = await TestClient.connect(hub.url);
    open.push(c);
    expect(await c.codeOf("users.online")).toBe("UNAUTHENTICATED");
  });
});

describe("users.search", () => {
  it("finds by username or display-name prefix, ignoring case, at most 20", async () => {
    const a = await user("sx-seeker");
    await Promise.all(
      Array.from({ length: 22 }, async (_, i) => {
        const c = await TestClient.connect(hub.url);
        await c.call("register", { username: `sq-${String(i).padStart(2, "0")}`, password: PASSWORD });
        await c.close();
      }),
    );
    await user("zz-hidden", { displayName: "Sq Display" });
    const many = await a.call("users.search", { query: "SQ-" });
    expect(many.users).toHaveLength(20);
    expect(many.users.every((u) => u.username.startsWith("sq-"))).toBe(true);
    const one = await a.call("users.search", { query: "sq-07" });
    expect(one.users).toEqual([{ username: "sq-07", displayName: "sq-07", online: false }]);
    const byDisplay = await a.call("users.search", { query: "sq disp" });
    expect(byDisplay.users).toEqual([
      expect.objectContaining({ username: "zz-hidden", displayName: "Sq Display", online: true }),
    ]);
    // A prefix, not a substring.
    expect((await a.call("users.search", { query: "q-0" })).users).toEqual([]);
  });

  it("refuses a query that is not a string", async () => {
    const a = await user("sx-bad");
    expect(await a.codeOf("users.search", { query: 5 })).toBe("INVALID_PARAMS");
    expect(await a.codeOf("users.search", {})).toBe("INVALID_PARAMS");
  });
});

describe("me.update", () => {
  it("changes names (null clears one); roommates and the user's devices hear user.updated", async () => {
    const [a, b] = await roommates("up-a", "up-b", "up-room");
    const a2 = await device("up-a");
    const { user: updated } = await a.call("me.update", {
      displayName: "  Ada L.  ",
      firstName: "Ada",
      lastName: "Lovelace",
    });
    expect(updated).toEqual({
      username: "up-a",
      displayName: "Ada L.",
      firstName: "Ada",
      lastName: "Lovelace",
      online: true,
    });
    expect(await b.nextEvent("user.updated")).toEqual({ ev: "user.updated", user: updated });
    expect((await a2.nextEvent("user.updated")).user.displayName).toBe("Ada L.");

    const { user: cleared } = await a.call("me.update", { lastName: null });
    expect(cleared).not.toHaveProperty("lastName");
    expect(cleared.firstName).toBe("Ada");
    expect((await b.call("users.search", { query: "up-a" })).users[0]).not.toHaveProperty("lastName");
  });

  it("refuses empty, overlong and control-character names, changing nothing", async () => {
    const a = await user("upe-a");
    expect(await a.codeOf("me.update", { displayName: "   " })).toBe("INVALID_PARAMS");
    expect(await a.codeOf("me.update", { displayName: "x".repeat(65) })).toBe("INVALID_PARAMS");
    expect(await a.codeOf("me.update", { firstName: "evil\u001b[31m" })).toBe("INVALID_PARAMS");
    expect(await a.codeOf("me.update", { lastName: "rtl\u202e" })).toBe("INVALID_PARAMS");
    expect(await a.codeOf("me.update", { displayName: null })).toBe("INVALID_PARAMS");
    const reply = await a.request("me.update", { displayName: "   " });
    expect(reply.ok ? "" : reply.error.message).toContain("displayName");
    expect((await a.call("users.search", { query: "upe-a" })).users[0]?.displayName).toBe("upe-a");
  });
});

describe("me.rename", () => {
  it("keeps history, memberships, roles and DMs; roommates hear user.renamed; the new name logs in", async () => {
    const [a, b] = await roommates("rn-old", "rn-b", "rn-room");
    await a.call("msg.send", { room: "rn-room", body: "before", cid: "1" });
    await a.call("msg.send", { user: "rn-b", body: "dm before", cid: "2" });
    await a.call("room.promote", { room: "rn-room", username: "rn-b" });

    const { user: renamed } = await a.call("me.rename", { username: "rn-New", password: PASSWORD });
    expect(renamed.username).toBe("rn-New");
    expect(await b.nextEvent("user.renamed")).toEqual({ ev: "user.renamed", from: "rn-old", to: "rn-New" });

    const { members } = await b.call("room.members", { room: "rn-room" });
    expect(members.map((m) => [m.username, m.role])).toEqual([
      ["rn-New", "owner"],
      ["rn-b", "admin"],
    ]);
    expect((await b.call("room.history", { room: "rn-room" })).messages.map((m) => m.from)).toEqual([
      "rn-New",
    ]);
    expect((await b.call("dm.list")).conversations.map((c) => c.user)).toEqual(["rn-New"]);
    expect((await b.call("dm.history", { user: "rn-new" })).messages.map((m) => m.body)).toEqual([
      "dm before",
    ]);
    // Powers went with the name.
    await a.call("room.demote", { room: "rn-room", username: "rn-b" });
    // New messages carry the new name.
    await a.call("msg.send", { room: "rn-room", body: "after", cid: "3" });
    expect(await b.nextEvent("message", (m) => m.body === "after")).toMatchObject({ from: "rn-New" });

    // The new name logs in, the old one no longer does, and it is free again.
    await device("RN-NEW");
    const probe = await TestClient.connect(hub.url);
    open.push(probe);
    expect(await probe.codeOf("login", { username: "rn-old", password: PASSWORD })).toBe("BAD_CREDENTIALS");
    await probe.call("register", { username: "rn-old", password: PASSWORD });
  });

  it("allows a change of case only; refuses a taken name, an invalid one and a wrong password", async () => {
    const a = await user("rne-a");
    await offlineUser("rne-taken");
    expect(await a.codeOf("me.rename", { username: "RNE-TAKEN", password: PASSWORD })).toBe("USERNAME_TAKEN");
    expect(await a.codeOf("me.rename", { username: "no way", password: PASSWORD })).toBe("INVALID_USERNAME");
    expect(await a.codeOf("me.rename", { username: "ab", password: PASSWORD })).toBe("INVALID_USERNAME");
    expect(await a.codeOf("me.rename", { username: "rne-b", password: "not the password" })).toBe(
      "BAD_CREDENTIALS",
    );
    expect((await a.call("users.search", { query: "rne-" })).users.map((u) => u.username)).toEqual([
      "rne-a",
      "rne-taken",
    ]);
    expect((await a.call("me.rename", { username: "RNE-a", password: PASSWORD })).user.username).toBe(
      "RNE-a",
    );
  });
});

describe("me.password", () => {
  it("changes the password and ends the user's other sessions, keeping this one", async () => {
    const a = await user("pw-a");
    const a2 = await device("pw-a");
    const next = "a much better passphrase";
    await a.call("me.password", { old: PASSWORD, new: next });
    expect(await a2.nextEvent("session.ended")).toEqual({ ev: "session.ended", reason: "password" });
    await a2.closed;
    // The other session's token is dead; this connection still works.
    const probe = await TestClient.connect(hub.url);
    open.push(probe);
    expect(await probe.codeOf("resume", { token: a2.token })).toBe("SESSION_EXPIRED");
    expect((await a.call("users.online")).users.map((u) => u.username)).toContain("pw-a");
    // This session's token still resumes.
    const again = await TestClient.connect(hub.url);
    open.push(again);
    await again.call("resume", { token: a.token });
    expect(await probe.codeOf("login", { username: "pw-a", password: PASSWORD })).toBe("BAD_CREDENTIALS");
    await device("pw-a", next);
  });

  it("refuses a wrong old password and a weak new one, changing nothing", async () => {
    const a = await user("pwe-a");
    expect(await a.codeOf("me.password", { old: "wrong password", new: "another fine phrase" })).toBe(
      "BAD_CREDENTIALS",
    );
    expect(await a.codeOf("me.password", { old: PASSWORD, new: "short" })).toBe("WEAK_PASSWORD");
    expect(await a.codeOf("me.password", { old: PASSWORD, new: "password123" })).toBe("WEAK_PASSWORD");
    expect(await a.codeOf("me.password", { old: PASSWORD, new: "pwe-a" })).toBe("WEAK_PASSWORD");
    await device("pwe-a");
  });
});

describe("presence", () => {
  it("tells roommates about login, logout and disconnect", async () => {
    const a = await user("pr-a");
    const b = await user("pr-b");
    await a.call("room.create", { name: "pr-room" });
    await b.call("room.join", { room: "pr-room" });
    await b.call("logout");
    expect(await a.nextEvent("presence", (e) => e.username === "pr-b")).toEqual({
      ev: "presence",
      username: "pr-b",
      online: false,
      reason: "logout",
    });
    const b2 = await device("pr-b");
    expect(await a.nextEvent("presence", (e) => e.username === "pr-b")).toEqual({
      ev: "presence",
      username: "pr-b",
      online: true,
      reason: "login",
    });
    await b2.close();
    expect(await a.nextEvent("presence", (e) => e.username === "pr-b")).toMatchObject({
      online: false,
      reason: "disconnect",
    });
    // The last time seen is kept for offline users.
    const [seen] = (await a.call("room.members", { room: "pr-room" })).members.filter(
      (m) => m.username === "pr-b",
    );
    expect(seen?.online).toBe(false);
    const [found] = (await a.call("users.search", { query: "pr-b" })).users;
    expect(found?.lastSeen).toEqual(expect.any(Number));
  });

  it("reports reason quit when the client closes its connection itself (code 1000 or 1001)", async () => {
    const a = await user("qt-a");
    await a.call("room.create", { name: "qt-room" });
    for (const [name, code] of [
      ["qt-b", 1000],
      ["qt-c", 1001],
    ] as const) {
      const b = await user(name);
      await b.call("room.join", { room: "qt-room" });
      b.ws.close(code, "bye");
      // Regression: a clean quit (Ctrl+C in parley chat) was reported as "disconnect".
      expect(await a.nextEvent("presence", (e) => e.username === name && !e.online)).toMatchObject({
        reason: "quit",
      });
    }
    // A link that breaks without a close frame is still a disconnect.
    const d = await user("qt-d");
    await d.call("room.join", { room: "qt-room" });
    d.ws.terminate();
    expect(await a.nextEvent("presence", (e) => e.username === "qt-d" && !e.online)).toMatchObject({
      reason: "disconnect",
    });
  });

  it("keeps a multi-device user online while any session is; DM partners hear it; strangers do not", async () => {
    const a = await user("md-a");
    const stranger = await user("md-x");
    const b1 = await user("md-b");
    await b1.call("msg.send", { user: "md-a", body: "hi", cid: "1" });
    const b2 = await device("md-b");
    await b1.close();
    // Still online through b2: no presence event, still listed.
    expect((await a.call("users.online")).users.map((u) => u.username)).toContain("md-b");
    await b2.close();
    const offline = await a.nextEvent("presence", (e) => e.username === "md-b");
    expect(offline).toMatchObject({ online: false, reason: "disconnect" });
    expect(a.eventsNamed("presence").filter((e) => e.username === "md-b")).toEqual([]);
    expect((await a.call("users.online")).users.map((u) => u.username)).not.toContain("md-b");
    expect(stranger.eventsNamed("presence").filter((e) => e.username === "md-b")).toEqual([]);
  });

  it("reports reason timeout for a connection that stops answering pings", async () => {
    const a = await user("to-a");
    await offlineUser("to-b");
    await a.call("msg.send", { user: "to-b", body: "you there?", cid: "1" });
    // A raw client that never answers pings (the ws client answers them by default).
    const ws = new WebSocket(hub.url, [SUBPROTOCOL], { rejectUnauthorized: false, autoPong: false });
    await new Promise<void>((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const loggedIn = new Promise<boolean>((resolve) =>
      ws.on("message", (data) => {
        const frame = JSON.parse(data.toString()) as { re?: number; ok?: boolean };
        if (frame.re === 2) resolve(frame.ok === true);
      }),
    );
    const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
    ws.send(JSON.stringify({ id: 1, op: "hello", client: "silent", protocol: 1 }));
    ws.send(JSON.stringify({ id: 2, op: "login", username: "to-b", password: PASSWORD }));
    expect(await loggedIn).toBe(true);
    expect(await a.nextEvent("presence", (e) => e.username === "to-b" && e.online)).toMatchObject({
      reason: "login",
    });
    const gone = await a.nextEvent("presence", (e) => e.username === "to-b", PING_MS * 20);
    expect(gone).toMatchObject({ online: false, reason: "timeout" });
    await closed;
  });
});

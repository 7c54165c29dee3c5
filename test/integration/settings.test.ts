/**
 * PROTOCOL.md's Mute and block section through a real hub over wss: mute marks messages `muted: true`
 * but still delivers them; block silently stops a user's DMs; settings live on the hub and follow the
 * user to every device.
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

describe("mute", () => {
  it("marks a muted room's messages muted: true and still delivers them; unmute lifts it", async () => {
    const [a, b] = [await user("mr-a"), await user("mr-b")];
    await a.call("room.create", { name: "mr-room" });
    await b.call("room.join", { room: "mr-room" });
    await b.call("mute", { room: "mr-room", on: true });
    await a.call("msg.send", { room: "mr-room", body: "shh", cid: "1" });
    expect(await b.nextEvent("message", (m) => m.body === "shh")).toMatchObject({
      muted: true,
      from: "mr-a",
    });
    // The sender's own copy is never muted.
    expect(await a.nextEvent("message", (m) => m.body === "shh")).not.toHaveProperty("muted");

    await b.call("mute", { room: "MR-ROOM", on: false });
    await a.call("msg.send", { room: "mr-room", body: "loud", cid: "2" });
    expect(await b.nextEvent("message", (m) => m.body === "loud")).not.toHaveProperty("muted");
  });

  it("marks a muted user's messages muted in rooms and DMs, for the muter only", async () => {
    const [a, b, c] = [await user("mu-a"), await user("mu-b"), await user("mu-c")];
    await a.call("room.create", { name: "mu-room" });
    await b.call("room.join", { room: "mu-room" });
    await c.call("room.join", { room: "mu-room" });
    await b.call("mute", { user: "mu-a", on: true });
    await a.call("msg.send", { room: "mu-room", body: "in room", cid: "1" });
    await a.call("msg.send", { user: "mu-b", body: "in dm", cid: "2" });
    expect(await b.nextEvent("message", (m) => m.body === "in room")).toMatchObject({ muted: true });
    expect(await b.nextEvent("message", (m) => m.body === "in dm")).toMatchObject({
      muted: true,
      user: "mu-a",
    });
    expect(await c.nextEvent("message", (m) => m.body === "in room")).not.toHaveProperty("muted");
  });

  it("marks muted messages replayed by resume too", async () => {
    const [a, b] = [await user("mp-a"), await user("mp-b")];
    await a.call("room.create", { name: "mp-room" });
    await b.call("room.join", { room: "mp-room" });
    await b.call("mute", { room: "mp-room", on: true });
    await b.close();
    await a.call("msg.send", { room: "mp-room", body: "while away", cid: "1" });
    const again = await TestClient.connect(hub.url);
    open.push(again);
    await again.call("resume", { token: b.token });
    expect(await again.nextEvent("message", (m) => m.body === "while away")).toMatchObject({ muted: true });
  });

  it("refuses an unknown room or user, and both or neither target", async () => {
    const a = await user("me-a");
    expect(await a.codeOf("mute", { room: "no-such-room-m", on: true })).toBe("NO_SUCH_ROOM");
    expect(await a.codeOf("mute", { user: "no-such-user-m", on: true })).toBe("NO_SUCH_USER");
    expect(await a.codeOf("mute", { room: "x", user: "y", on: true })).toBe("INVALID_PARAMS");
    expect(await a.codeOf("mute", { on: true })).toBe("INVALID_PARAMS");
    expect(await a.codeOf("mute", { user: "me-a", on: "yes" })).toBe("INVALID_PARAMS");
    expect(await a.call("settings")).toEqual({ muted: { rooms: [], users: [] }, blocked: [] });
  });

  it("does not carry over to a new room that takes a deleted room's name", async () => {
    const [a, b] = [await user("md-a"), await user("md-b")];
    await a.call("room.create", { name: "md-room" });
    await b.call("room.join", { room: "md-room" });
    await b.call("mute", { room: "md-room", on: true });
    await a.call("msg.send", { room: "md-room", body: "old room", cid: "0" });
    expect(await b.nextEvent("message", (m) => m.body === "old room")).toMatchObject({ muted: true });
    await a.call("room.delete", { room: "md-room" });
    await b.nextEvent("room.deleted", (e) => e.room === "md-room");
    expect((await b.call("settings")).muted.rooms).toEqual([]);
    await a.call("room.create", { name: "md-room" });
    await b.call("room.join", { room: "md-room" });
    await a.call("msg.send", { room: "md-room", body: "fresh start", cid: "1" });
    expect(await b.nextEvent("message", (m) => m.body === "fresh start")).not.toHaveProperty("muted");
  });
});

describe("block", () => {
  it("stops the blocked user's DMs from reaching you, live and in history, while their send succeeds", async () => {
    const [a, b, c] = [await user("bl-a"), await user("bl-b"), await user("bl-c")];
    await b.call("block", { user: "bl-a", on: true });
    const sent = await a.call("msg.send", { user: "bl-b", body: "hello?", cid: "1" });
    expect(sent.seq).toBe(1);
    // The sender cannot tell: their own devices get their copy, and their history has it.
    expect(await a.nextEvent("message", (m) => m.body === "hello?")).toMatchObject({ user: "bl-b" });
    expect((await a.call("dm.history", { user: "bl-b" })).messages.map((m) => m.body)).toEqual(["hello?"]);
    // Barrier: a later DM from someone else arrives; the blocked one never did.
    await c.call("msg.send", { user: "bl-b", body: "from c", cid: "1" });
    await b.nextEvent("message", (m) => m.body === "from c");
    expect(b.eventsNamed("message").filter((m) => m.from === "bl-a")).toEqual([]);
    expect((await b.call("dm.history", { user: "bl-a" })).messages).toEqual([]);
    // Nor does the conversation the blocked user started show up in the list.
    expect((await b.call("dm.list")).conversations.map((x) => x.user)).toEqual(["bl-c"]);

    await b.call("block", { user: "bl-a", on: false });
    await a.call("msg.send", { user: "bl-b", body: "now?", cid: "2" });
    expect(await b.nextEvent("message", (m) => m.from === "bl-a")).toMatchObject({ body: "now?", seq: 2 });
  });

  it("does not replay a blocked user's DMs on resume, and leaves room messages alone", async () => {
    const [a, b] = [await user("br-a"), await user("br-b")];
    await a.call("room.create", { name: "br-room" });
    await b.call("room.join", { room: "br-room" });
    await b.call("block", { user: "br-a", on: true });
    await b.close();
    await a.call("msg.send", { user: "br-b", body: "dm while blocked", cid: "1" });
    await a.call("msg.send", { room: "br-room", body: "room while blocked", cid: "2" });
    const again = await TestClient.connect(hub.url);
    open.push(again);
    await again.call("resume", { token: b.token });
    await again.nextEvent("message", (m) => m.body === "room while blocked");
    expect(again.eventsNamed("message").filter((m) => m.body === "dm while blocked")).toEqual([]);
  });

  it("refuses an unknown user and yourself", async () => {
    const a = await user("be-a");
    expect(await a.codeOf("block", { user: "no-such-user-b", on: true })).toBe("NO_SUCH_USER");
    expect(await a.codeOf("block", { user: "be-a", on: true })).toBe("INVALID_PARAMS");
    expect(await a.codeOf("block", { user: "be-a" })).toBe("INVALID_PARAMS");
    expect((await a.call("settings")).blocked).toEqual([]);
  });
});

describe("settings", () => {
  it("are stored on the hub: another device sees them, live (settings.changed) and on login", async () => {
    const [a] = [await user("st-a"), await user("st-b"), await user("st-c")];
    await a.call("room.create", { name: "st-room" });
    const a2 = await device("st-a");
    await a.call("mute", { room: "st-room", on: true });
    await a.call("mute", { user: "st-b", on: true });
    await a.call("block", { user: "st-c", on: true });
    const expected = { muted: { rooms: ["st-room"], users: ["st-b"] }, blocked: ["st-c"] };
    await a2.waitFor(
      () => a2.eventsNamed("settings.changed").find((e) => e.blocked.length === 1),
      5000,
      "settings.changed with the block",
    );
    expect(a2.eventsNamed("settings.changed").at(-1)).toEqual({ ev: "settings.changed", ...expected });

    const a3 = await device("st-a");
    expect(await a3.call("settings")).toEqual(expected);
    await a3.call("mute", { user: "st-b", on: false });
    expect(await a.call("settings")).toEqual({ ...expected, muted: { rooms: ["st-room"], users: [] } });
  });

  it("needs a session", async () => {
    const c = await TestClient.connect(hub.url);
    open.push(c);
    expect(await c.codeOf("settings")).toBe("UNAUTHENTICATED");
  });
});

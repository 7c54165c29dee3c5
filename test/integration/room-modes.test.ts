/**
 * Moderated rooms, voice and secret rooms (issue 14) through a real hub over wss: who may change them,
 * who may post in a moderated room (messages, replies, files; edits and reactions stay allowed), voice
 * as a flag of the membership (events, room.members, what ends it and what keeps it), and secret rooms
 * left out of rooms.list for non-members but joinable by name. Users are shared by the file; each test
 * works in rooms of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestClient } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { roomWith, signUpAll } from "../helpers/rooms.js";

let hub: TestHub;
let ann: TestClient, bob: TestClient, cat: TestClient, dan: TestClient;

beforeAll(async () => {
  hub = await startHub({ config: { rateLimits: false } });
  [ann, bob, cat, dan] = await signUpAll(hub.url, ["rm-ann", "rm-bob", "rm-cat", "rm-dan"]);
});
afterAll(async () => {
  await Promise.all([ann, bob, cat, dan].map((c) => c?.close()));
  await hub.stop();
});

let cids = 0;
const send = (c: TestClient, room: string, body: string, extra: { replyTo?: string } = {}) =>
  c.call("msg.send", { room, body, cid: `rm-${++cids}`, ...extra });
const sendCode = (c: TestClient, room: string, body: string) =>
  c.codeOf("msg.send", { room, body, cid: `rm-${++cids}` });

async function voicedOf(c: TestClient, room: string): Promise<Record<string, boolean>> {
  const { members } = await c.call("room.members", { room });
  return Object.fromEntries(members.map((m) => [m.username, m.voiced === true]));
}

describe("moderated rooms", () => {
  it("is off by default; only admins and the owner turn it on or off, and members hear room.updated", async () => {
    const room = await roomWith("mod", ann, bob, cat);
    const { room: created } = await ann.call("room.update", { room, description: "stage" });
    expect(created).toMatchObject({ moderated: false, secret: false });
    expect(await bob.codeOf("room.update", { room, moderated: true })).toBe("FORBIDDEN");
    await ann.call("room.promote", { room, username: "rm-bob" });
    const { room: moderated } = await bob.call("room.update", { room, moderated: true });
    expect(moderated.moderated).toBe(true);
    const heard = await cat.nextEvent(
      "room.updated",
      (e) => e.room.name === room && e.room.moderated === true,
    );
    expect(heard.by).toBe("rm-bob");
    // A member still cannot turn it off.
    expect(await cat.codeOf("room.update", { room, moderated: false })).toBe("FORBIDDEN");
  });

  it("refuses a non-voiced member's message, reply and file; voice lets them post; devoice stops them again", async () => {
    const room = await roomWith("mod-send", ann, bob, cat);
    await ann.call("room.promote", { room, username: "rm-bob" });
    const before = await send(cat, room, "said before moderation");
    await ann.call("room.update", { room, moderated: true });
    // The owner and an admin still post.
    const fromOwner = await send(ann, room, "announcement");
    await send(bob, room, "admin speaking");
    // A member does not: a message, a reply, a file's upload slot.
    expect(await sendCode(cat, room, "may I?")).toBe("FORBIDDEN");
    expect(
      await cat.codeOf("msg.send", { room, body: "re", cid: `rm-${++cids}`, replyTo: fromOwner.id }),
    ).toBe("FORBIDDEN");
    expect(await cat.codeOf("file.prepare", { room, name: "a.txt", size: 3 })).toBe("FORBIDDEN");
    const { messages } = await ann.call("room.history", { room });
    expect(messages.map((m) => m.body)).not.toContain("may I?");
    // Editing one's own earlier message and reacting are not posting.
    await cat.call("msg.edit", {
      messageId: before.id,
      body: "said before moderation (edited)",
      cid: `rm-${++cids}`,
    });
    await cat.call("msg.react", { messageId: fromOwner.id, emoji: "👍", on: true });
    // Voice lets the member post: the member hears voice.changed, room.members shows it.
    await ann.call("room.voice", { room, username: "rm-cat", voice: true });
    expect(await cat.nextEvent("voice.changed", (e) => e.room === room)).toEqual({
      ev: "voice.changed",
      room,
      username: "rm-cat",
      voiced: true,
      by: "rm-ann",
    });
    expect(await voicedOf(bob, room)).toEqual({ "rm-ann": false, "rm-bob": false, "rm-cat": true });
    await send(cat, room, "thank you");
    await send(cat, room, "a reply", { replyTo: fromOwner.id });
    expect(await cat.call("file.prepare", { room, name: "a.txt", size: 3 })).toHaveProperty("fileId");
    // An admin takes it: refused again.
    await bob.call("room.voice", { room, username: "rm-cat", voice: false });
    await cat.nextEvent("voice.changed", (e) => e.room === room && !e.voiced);
    expect(await sendCode(cat, room, "again?")).toBe("FORBIDDEN");
    // Not moderated any more: everyone posts, voice or not.
    await ann.call("room.update", { room, moderated: false });
    await send(cat, room, "free again");
  });

  it("lets only admins and the owner give or take voice, to members only", async () => {
    const room = await roomWith("voice-who", ann, bob, cat);
    expect(await bob.codeOf("room.voice", { room, username: "rm-cat", voice: true })).toBe("FORBIDDEN");
    expect(await bob.codeOf("room.voice", { room, username: "rm-bob", voice: true })).toBe("FORBIDDEN");
    expect(await dan.codeOf("room.voice", { room, username: "rm-cat", voice: true })).toBe("FORBIDDEN");
    expect(await ann.codeOf("room.voice", { room, username: "rm-dan", voice: true })).toBe("NOT_MEMBER");
    expect(await ann.codeOf("room.voice", { room, username: "rm-nobody", voice: true })).toBe("NO_SUCH_USER");
    expect(await voicedOf(ann, room)).toEqual({ "rm-ann": false, "rm-bob": false, "rm-cat": false });
  });

  it("keeps voice through a promotion and demotion; leaving, a kick or a ban ends it", async () => {
    const room = await roomWith("voice-life", ann, bob, cat, dan);
    await ann.call("room.update", { room, moderated: true });
    for (const username of ["rm-bob", "rm-cat", "rm-dan"]) {
      await ann.call("room.voice", { room, username, voice: true });
    }
    await ann.call("room.promote", { room, username: "rm-bob" });
    await ann.call("room.demote", { room, username: "rm-bob" });
    expect((await voicedOf(ann, room))["rm-bob"]).toBe(true);
    await send(bob, room, "still voiced after the demotion");
    await bob.call("room.leave", { room });
    await ann.call("room.kick", { room, username: "rm-cat" });
    await ann.call("room.ban", { room, username: "rm-dan" });
    await ann.call("room.unban", { room, username: "rm-dan" });
    for (const c of [bob, cat, dan]) await c.call("room.join", { room });
    expect(await voicedOf(ann, room)).toEqual({
      "rm-ann": false,
      "rm-bob": false,
      "rm-cat": false,
      "rm-dan": false,
    });
    for (const c of [bob, cat, dan]) expect(await sendCode(c, room, "back")).toBe("FORBIDDEN");
  });
});

describe("secret rooms", () => {
  const listed = async (c: TestClient, query?: string) =>
    (await c.call("rooms.list", { detail: true, ...(query !== undefined && { query }) })).rooms.map(
      (r) => r.name,
    );

  it("only admins and the owner make a room secret", async () => {
    const room = await roomWith("sec-who", ann, bob);
    expect(await bob.codeOf("room.update", { room, secret: true })).toBe("FORBIDDEN");
    expect((await ann.call("room.update", { room, secret: true })).room.secret).toBe(true);
  });

  it("is left out of rooms.list and its search for non-members, listed to members, and joined by name", async () => {
    const room = await roomWith("hid", ann, bob);
    const open = await roomWith("hid-open", ann);
    await ann.call("room.update", { room, secret: true, password: "sesame-key" });
    expect(await listed(cat)).toContain(open);
    expect(await listed(cat)).not.toContain(room);
    expect(await listed(cat, "hid")).toEqual([open]);
    expect((await cat.call("rooms.list", { query: "hid" })).rooms.map((r) => r.name)).toEqual([open]);
    // Members see it, flagged.
    expect(await listed(bob, "hid")).toEqual([room, open].sort());
    const { rooms } = await bob.call("rooms.list", { detail: true, query: room });
    expect(rooms[0]).toMatchObject({ name: room, secret: true });
    // Joined by name, with its password; then listed to the new member too.
    expect(await cat.codeOf("room.join", { room })).toBe("WRONG_PASSWORD");
    await cat.call("room.join", { room, password: "sesame-key" });
    expect(await listed(cat, "hid")).toEqual([room, open].sort());
    // No longer secret: listed to everyone.
    await ann.call("room.update", { room, secret: false });
    expect(await listed(dan, "hid")).toEqual([room, open].sort());
  });
});

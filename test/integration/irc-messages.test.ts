/**
 * Notices, client-only tags, TAGMSG and notes to self (issue 14), end to end over real sockets: the
 * WebSocket protocol (`notice`, `clientTags`, `msg.tagmsg`) and the IRC gateway (NOTICE, `+tags`,
 * TAGMSG, PRIVMSG to one's own nick) against one real hub, each side checking what the other sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, TestClient, login, registerAndLogin } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { IrcTestClient } from "../helpers/irc.js";
import type { RunningHub } from "../../src/hub/server.js";

let hub: TestHub & { hub: RunningHub };
let ircPort: number;
let web: TestClient;
let web2: TestClient;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  hub = await startHub({ config: { rateLimits: false, ircPort: 0, ircHistoryReplay: 20 } });
  ircPort = hub.hub.irc!.port!;
  web = await registerAndLogin(hub.url, "n-web");
  web2 = await registerAndLogin(hub.url, "n-two");
  for (const u of ["n-ann", "n-bob", "n-cat"]) {
    await hub.hub.domain.accounts.register({ username: u, password: PASSWORD }, "127.0.0.1");
  }
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await web?.close();
  await web2?.close();
  await hub?.stop();
});

let rooms = 0;
const roomName = (stem: string) => `${stem}-${++rooms}`;

async function irc(username: string, caps: string[] = []): Promise<IrcTestClient> {
  const c = await IrcTestClient.connect(ircPort);
  open.push(c);
  await c.saslLogin(username, PASSWORD, caps);
  return c;
}

/** A room made by `n-web` with these IRC users in it (each has seen its own JOIN). */
async function roomWith(stem: string, ...members: IrcTestClient[]): Promise<string> {
  const room = roomName(stem);
  await web.call("room.create", { name: room });
  for (const m of members) {
    m.send(`JOIN #${room}`);
    await m.expectCommand("366");
  }
  return room;
}

const TAGS = "message-tags";

describe("notices over the WebSocket protocol", () => {
  it("round-trips notice and clientTags through msg.send, the live event and history", async () => {
    const room = roomName("ws-notice");
    await web.call("room.create", { name: room });
    await web2.call("room.join", { room });
    const clientTags = { "+draft/reply": "1-1", "+example.com/x": "a;b c", "+flag": "" };
    const sent = await web.call("msg.send", {
      room,
      body: "deploy done",
      cid: "wn1",
      notice: true,
      clientTags,
    });
    const live = await web2.nextEvent("message", (m) => m.id === sent.id);
    expect(live).toMatchObject({ body: "deploy done", notice: true, clientTags });
    await web.call("msg.send", { room, body: "plain", cid: "wn2" });
    const { messages } = await web2.call("room.history", { room });
    expect(messages.map((m) => [m.body, m.notice, m.clientTags])).toEqual([
      ["deploy done", true, clientTags],
      ["plain", undefined, undefined],
    ]);
  });

  it("stores a DM notice for an offline user and replays it on resume", async () => {
    const cat = await login(hub.url, "n-cat");
    await cat.close();
    const sent = await web.call("msg.send", {
      user: "n-cat",
      body: "backup failed",
      cid: "wn3",
      notice: true,
    });
    const back = await TestClient.connect(hub.url);
    open.push(back);
    await back.call("resume", { token: cat.token, cursors: { "dm:n-web": sent.seq - 1 } });
    const replayed = await back.nextEvent("message", (m) => m.id === sent.id);
    expect(replayed).toMatchObject({ notice: true, user: "n-web", body: "backup failed" });
  });

  it("validates client tags at the boundary: names, size (TAGS_TOO_LONG) and msg.tagmsg's shape", async () => {
    const room = roomName("ws-bad");
    await web.call("room.create", { name: room });
    const bad = (clientTags: unknown) => web.codeOf("msg.send", { room, body: "x", cid: "b", clientTags });
    expect(await bad({ msgid: "forged" })).toBe("INVALID_PARAMS");
    expect(await bad({ "+ok": 5 })).toBe("INVALID_PARAMS");
    expect(await bad({ "+k": "a".repeat(4092) })).toBe("TAGS_TOO_LONG");
    expect(await web.codeOf("msg.send", { room, body: "x", cid: "b", notice: "yes" })).toBe("INVALID_PARAMS");
    expect(await web.codeOf("msg.tagmsg", { room, clientTags: {} })).toBe("INVALID_PARAMS");
    expect((await web.call("room.history", { room })).messages).toEqual([]);
  });
});

describe("IRC NOTICE", () => {
  it("sends a notice to a channel: WebSocket clients get notice: true, IRC members NOTICE, history keeps it", async () => {
    const ann = await irc("n-ann", ["echo-message", "batch", TAGS]);
    const bob = await irc("n-bob");
    const room = await roomWith("notice", ann, bob);
    ann.send(`NOTICE #${room} :the build is green`);
    const echo = await ann.expect((m) => m.params[1] === "the build is green");
    expect(echo.command).toBe("NOTICE");
    expect((await bob.expect((m) => m.params[1] === "the build is green")).command).toBe("NOTICE");
    expect(await web.nextEvent("message", (m) => m.room === room)).toMatchObject({
      from: "n-ann",
      body: "the build is green",
      notice: true,
    });
    // A WebSocket notice reaches IRC as NOTICE, a plain message as PRIVMSG.
    await web.call("msg.send", { room, body: "from a bot", cid: "in1", notice: true });
    await web.call("msg.send", { room, body: "from a person", cid: "in2" });
    expect((await bob.expect((m) => m.params[1] === "from a bot")).command).toBe("NOTICE");
    expect((await bob.expect((m) => m.params[1] === "from a person")).command).toBe("PRIVMSG");
    // CHATHISTORY replays each under its own command.
    ann.send(`CHATHISTORY LATEST #${room} * 10`);
    await ann.expectCommand("BATCH");
    const replayed = [
      await ann.expect((m) => m.params[1] === "the build is green"),
      await ann.expect((m) => m.params[1] === "from a bot"),
      await ann.expect((m) => m.params[1] === "from a person"),
    ];
    expect(replayed.map((m) => m.command)).toEqual(["NOTICE", "NOTICE", "PRIVMSG"]);
  });

  it("sends a notice to a user, and never answers a NOTICE with an error", async () => {
    const ann = await irc("n-ann");
    ann.send("NOTICE n-web :your job finished");
    expect(await web.nextEvent("message", (m) => m.body === "your job finished")).toMatchObject({
      user: "n-ann",
      notice: true,
    });
    ann.send("NOTICE #no-such-room-here :hello");
    ann.send("NOTICE no-such-user-here :hello");
    const lines = await ann.sync();
    expect(lines).toEqual([]);
  });
});

describe("IRC client-only tags", () => {
  it("relays +tags to clients with message-tags only, stores them, and CHATHISTORY returns them", async () => {
    const ann = await irc("n-ann", ["echo-message", "batch", TAGS]);
    const bob = await irc("n-bob", [TAGS]);
    const cat = await irc("n-cat", ["server-time"]);
    const room = await roomWith("tags", ann, bob, cat);
    ann.send(`@+example/color=red;+empty;label-less=dropped PRIVMSG #${room} :tagged`);
    const echo = await ann.expect((m) => m.params[1] === "tagged");
    expect(echo.tags.get("+example/color")).toBe("red");
    const relayed = await bob.expect((m) => m.params[1] === "tagged");
    expect(relayed.tags.get("+example/color")).toBe("red");
    expect(relayed.tags.get("+empty")).toBe("");
    expect(relayed.tags.has("label-less")).toBe(false);
    expect(relayed.tags.get("msgid")).toBe(echo.tags.get("msgid"));
    const plain = await cat.expect((m) => m.params[1] === "tagged");
    expect([...plain.tags.keys()]).toEqual(["time"]);
    const ev = await web.nextEvent("message", (m) => m.body === "tagged");
    expect(ev.clientTags).toEqual({ "+example/color": "red", "+empty": "" });

    bob.send(`CHATHISTORY LATEST #${room} * 5`);
    const history = await bob.expect((m) => m.command === "PRIVMSG" && m.params[1] === "tagged");
    expect(history.tags.get("+example/color")).toBe("red");
  });

  it("refuses client tags over 4094 bytes with 417 and relays nothing", async () => {
    const ann = await irc("n-ann", [TAGS]);
    const bob = await irc("n-bob", [TAGS]);
    const room = await roomWith("long-tags", ann, bob);
    // "@+k=" + value + " " = 4097 bytes: one over the client tag section's 4096.
    ann.send(`@+k=${"a".repeat(4092)} PRIVMSG #${room} :too much`);
    await ann.expectCommand("417");
    ann.send(`@+k=${"a".repeat(4091)} PRIVMSG #${room} :just fits`);
    // The relayed line's tags (msgid and the 4094 bytes) pass a client's 4096: read it raw.
    await web.nextEvent("message", (m) => m.room === room);
    await bob.sync();
    const raw = bob.lines.find((l) => l.endsWith(`PRIVMSG #${room} :just fits`));
    expect(raw).toMatch(/^@msgid=[^ ]+;\+k=a{4091} :n-ann!/);
    expect(bob.lines.some((l) => l.endsWith(":too much"))).toBe(false);
    const { messages } = await web.call("room.history", { room });
    expect(messages.map((m) => m.body)).toEqual(["just fits"]);
  });

  it("TAGMSG reaches members with message-tags (and WebSocket clients as tagmsg) and is not stored", async () => {
    const ann = await irc("n-ann", ["echo-message", "labeled-response", TAGS]);
    const bob = await irc("n-bob", [TAGS]);
    const cat = await irc("n-cat");
    const room = await roomWith("tagmsg", ann, bob, cat);
    const before = (await web.call("room.history", { room })).messages.length;
    ann.send(`@label=t1;+typing=active TAGMSG #${room}`);
    const echo = await ann.expectCommand("TAGMSG", `#${room}`);
    expect(echo.tags.get("label")).toBe("t1");
    const relayed = await bob.expectCommand("TAGMSG", `#${room}`);
    expect(relayed.tags.get("+typing")).toBe("active");
    expect(relayed.tags.get("msgid")).toBe(echo.tags.get("msgid"));
    expect(await web.nextEvent("tagmsg", (e) => e.room === room)).toMatchObject({
      from: "n-ann",
      clientTags: { "+typing": "active" },
    });
    expect((await cat.sync()).filter((m) => m.command === "TAGMSG")).toEqual([]);
    expect((await web.call("room.history", { room })).messages).toHaveLength(before);

    // Not a member: refused by the same rule as messages.
    const outsider = roomName("closed");
    await web2.call("room.create", { name: outsider });
    expect(await web.codeOf("msg.tagmsg", { room: outsider, clientTags: { "+typing": "active" } })).toBe(
      "NOT_MEMBER",
    );
  });
});

describe("notes to self", () => {
  it("IRC PRIVMSG to one's own nick: the echo and the delivery with echo-message, once without; stored once", async () => {
    const dev = await login(hub.url, "n-bob");
    const bob = await irc("n-bob", ["echo-message", "labeled-response", "batch", TAGS]);
    bob.send("@label=me1 PRIVMSG n-bob :remember the milk");
    const first = await bob.expect((m) => m.params[1] === "remember the milk");
    const second = await bob.expect((m) => m.params[1] === "remember the milk");
    expect([first, second].map((m) => [m.command, m.params[0]])).toEqual([
      ["PRIVMSG", "n-bob"],
      ["PRIVMSG", "n-bob"],
    ]);
    expect([first, second].filter((m) => m.tags.get("label") === "me1")).toHaveLength(1);
    expect(first.tags.get("msgid")).toBe(second.tags.get("msgid"));
    // The account's other connection gets it once, as a DM with itself.
    expect(await dev.nextEvent("message", (m) => m.body === "remember the milk")).toMatchObject({
      from: "n-bob",
      user: "n-bob",
    });

    const plain = await irc("n-bob");
    plain.send("PRIVMSG n-bob :and eggs");
    await plain.expect((m) => m.params[1] === "and eggs");
    expect((await plain.sync()).filter((m) => m.params[1] === "and eggs")).toEqual([]);

    const { messages } = await dev.call("dm.history", { user: "n-bob" });
    expect(messages.map((m) => m.body)).toEqual(["remember the milk", "and eggs"]);
    expect((await dev.call("dm.list")).conversations).toContainEqual({
      user: "n-bob",
      lastSeq: 2,
      unread: 0,
    });
    await dev.close();
  });

  it("a WebSocket DM to yourself reaches your other devices and history", async () => {
    const other = await login(hub.url, "n-web");
    const sent = await web.call("msg.send", { user: "n-web", body: "note", cid: "self1" });
    expect(await other.nextEvent("message", (m) => m.id === sent.id)).toMatchObject({
      user: "n-web",
      cid: "self1",
    });
    expect((await other.call("dm.history", { user: "n-web" })).messages.map((m) => m.body)).toEqual(["note"]);
    await other.close();
  });
});

describe("IRC: redaction, reactions and replies as IRCv3 draft tags", () => {
  const REDACT = "draft/message-redaction";

  it("a WebSocket user's reply, reaction and deletion reach IRC as +draft/reply, TAGMSG and REDACT; others get text", async () => {
    const ann = await irc("n-ann", [TAGS, REDACT]);
    const cat = await irc("n-cat");
    const room = await roomWith("draft-out", ann, cat);
    const orig = await web.call("msg.send", { room, body: "original", cid: "do1" });
    const msgid = (await ann.expect((m) => m.params[1] === "original")).tags.get("msgid")!;
    expect(msgid).toBe(`${orig.seq}-${orig.id}`);

    await web.call("msg.send", { room, body: "answer", cid: "do2", replyTo: orig.id });
    const reply = await ann.expect((m) => m.command === "PRIVMSG" && m.params[1]!.endsWith("answer"));
    expect(reply.tags.get("+draft/reply")).toBe(msgid);
    expect(reply.params[1]).toBe('(re n-web: "original") answer');
    const plainReply = await cat.expect((m) => m.command === "PRIVMSG" && m.params[1]!.endsWith("answer"));
    expect(plainReply.params[1]).toBe('(re n-web: "original") answer');
    expect(plainReply.tags.has("+draft/reply")).toBe(false);

    await web.call("msg.react", { messageId: orig.id, emoji: "👍", on: true });
    const react = await ann.expectCommand("TAGMSG", `#${room}`);
    expect(react.source).toMatch(/^n-web!/);
    expect(Object.fromEntries(react.tags)).toMatchObject({ "+draft/react": "👍", "+draft/reply": msgid });
    expect((await cat.expectCommand("NOTICE", `#${room}`)).params[1]).toBe("* n-web reacted 👍");
    await web.call("msg.react", { messageId: orig.id, emoji: "👍", on: false });
    const unreact = await ann.expectCommand("TAGMSG", `#${room}`);
    expect(unreact.tags.get("+draft/unreact")).toBe("👍");
    expect(unreact.tags.has("+draft/react")).toBe(false);
    expect((await cat.expectCommand("NOTICE", `#${room}`)).params[1]).toBe("* n-web took back 👍");

    // No ratified IRCv3 edit: everyone gets the notice.
    await web.call("msg.edit", { messageId: orig.id, body: "changed" });
    expect((await ann.expectCommand("NOTICE", `#${room}`)).params[1]).toBe(
      "* n-web edited a message: changed",
    );
    expect((await cat.expectCommand("NOTICE", `#${room}`)).params[1]).toBe(
      "* n-web edited a message: changed",
    );

    await web.call("msg.delete", { messageId: orig.id });
    const redact = await ann.expectCommand("REDACT");
    expect(redact.params).toEqual([`#${room}`, msgid]);
    expect(redact.source).toMatch(/^n-web!/);
    expect((await cat.expectCommand("NOTICE", `#${room}`)).params[1]).toBe("* n-web deleted a message");
    expect((await ann.sync()).filter((m) => m.command === "NOTICE")).toEqual([]);
  });

  it("an IRC TAGMSG reaction, a +draft/reply PRIVMSG and a REDACT go through the domain; refusals are FAIL REDACT", async () => {
    const ann = await irc("n-ann", [TAGS, REDACT, "echo-message", "labeled-response"]);
    const bob = await irc("n-bob", [TAGS, REDACT]);
    const room = await roomWith("draft-in", ann, bob);
    const orig = await web.call("msg.send", { room, body: "react here", cid: "di1" });
    const msgid = (await ann.expect((m) => m.params[1] === "react here")).tags.get("msgid")!;

    ann.send(`@label=r1;+draft/react=🎉;+draft/reply=${msgid} TAGMSG #${room}`);
    expect(await web.nextEvent("reaction", (e) => e.room === room)).toMatchObject({
      id: orig.id,
      msgSeq: orig.seq,
      emoji: "🎉",
      user: "n-ann",
      on: true,
    });
    const echo = await ann.expectCommand("TAGMSG", `#${room}`);
    expect(echo.tags.get("label")).toBe("r1");
    expect(echo.tags.get("+draft/react")).toBe("🎉");
    expect((await bob.expectCommand("TAGMSG", `#${room}`)).tags.get("+draft/reply")).toBe(msgid);
    expect((await web.call("room.history", { room })).messages[0]!.reactions).toEqual({
      "🎉": { count: 1, me: false },
    });
    ann.send(`@+draft/unreact=🎉;+draft/reply=${msgid} TAGMSG #${room}`);
    expect(await web.nextEvent("reaction", (e) => e.room === room && !e.on)).toMatchObject({ emoji: "🎉" });

    ann.send(`@+draft/reply=${msgid} PRIVMSG #${room} :yes indeed`);
    const ownEcho = await ann.expect((m) => m.command === "PRIVMSG" && m.params[1] === "yes indeed");
    expect(ownEcho.tags.get("+draft/reply")).toBe(msgid);
    const own = ownEcho.tags.get("msgid")!;
    const answer = await web.nextEvent("message", (m) => m.body === "yes indeed");
    expect(answer).toMatchObject({ replyTo: orig.id, replyToSeq: orig.seq });
    // Relayed as its author wrote it, with the tag it came with.
    const relayed = await bob.expect((m) => m.command === "PRIVMSG" && m.params[1] === "yes indeed");
    expect(relayed.tags.get("+draft/reply")).toBe(msgid);

    // A plain member may not redact the owner's message.
    ann.send(`REDACT #${room} ${msgid} :spam`);
    const refused = await ann.expectCommand("FAIL");
    expect(refused.params.slice(0, 4)).toEqual(["REDACT", "REDACT_FORBIDDEN", `#${room}`, msgid]);
    ann.send(`REDACT #${room} not-a-msgid`);
    expect((await ann.expectCommand("FAIL")).params.slice(0, 4)).toEqual([
      "REDACT",
      "UNKNOWN_MSGID",
      `#${room}`,
      "not-a-msgid",
    ]);
    ann.send(`REDACT #${room} 999999-999999`);
    expect((await ann.expectCommand("FAIL")).params[1]).toBe("UNKNOWN_MSGID");
    ann.send(`REDACT #nowhere-${room} ${msgid}`);
    expect((await ann.expectCommand("FAIL")).params.slice(0, 3)).toEqual([
      "REDACT",
      "INVALID_TARGET",
      `#nowhere-${room}`,
    ]);
    expect((await web.call("room.history", { room })).messages[0]!.deleted).toBeUndefined();

    // Her own message she may redact: everyone with the capability gets REDACT, WebSocket message.deleted.
    ann.send(`@label=x1 REDACT #${room} ${own}`);
    expect(await web.nextEvent("message.deleted", (e) => e.room === room)).toMatchObject({
      id: answer.id,
      by: "n-ann",
    });
    const mine = await ann.expectCommand("REDACT");
    expect(mine.params).toEqual([`#${room}`, own]);
    expect(mine.tags.get("label")).toBe("x1");
    expect((await bob.expectCommand("REDACT")).params).toEqual([`#${room}`, own]);
    // History leaves the deleted message out for a client with the capability; others see the tombstone.
    bob.send(`CHATHISTORY LATEST #${room} * 10`);
    await bob.expect((m) => m.command === "PRIVMSG" && m.params[1] === "react here");
    const lines = await bob.sync();
    expect(lines.some((m) => m.command === "PRIVMSG" && m.tags.get("msgid") === own)).toBe(false);
  });

  it("REDACT is an unknown command without the capability", async () => {
    const cat = await irc("n-cat");
    cat.send("REDACT #x 1-1");
    expect((await cat.expectCommand("421")).params[1]).toBe("REDACT");
  });
});

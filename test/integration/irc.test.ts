/**
 * The IRC gateway through raw plain and TLS sockets against a real hub: registration, the room ↔
 * channel mapping both ways with a WebSocket client, offline DMs, moderation modes, history, and bad
 * input and limits (issue 14). Users are shared by the file; each test uses rooms of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, registerAndLogin, type TestClient } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { IrcTestClient } from "../helpers/irc.js";
import type { RunningHub } from "../../src/hub/server.js";

let hub: TestHub & { hub: RunningHub };
let ircPort: number;
let ircTlsPort: number;
let web: TestClient;
const open: IrcTestClient[] = [];

beforeAll(async () => {
  hub = await startHub({ config: { rateLimits: false, ircPort: 0, ircTlsPort: 0, ircHistoryReplay: 20 } });
  ircPort = hub.hub.irc!.port!;
  ircTlsPort = hub.hub.irc!.tlsPort!;
  web = await registerAndLogin(hub.url, "i-web");
  for (const u of ["i-ann", "i-bob", "i-cat", "i-dan"]) {
    await hub.hub.domain.accounts.register({ username: u, password: PASSWORD }, "127.0.0.1");
  }
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await web?.close();
  await hub?.stop();
});

let rooms = 0;
const roomName = (stem: string) => `${stem}-${++rooms}`;

async function irc(username?: string, caps: string[] = [], tls = false): Promise<IrcTestClient> {
  const c = await IrcTestClient.connect(tls ? ircTlsPort : ircPort, { tls });
  open.push(c);
  if (username) await c.saslLogin(username, PASSWORD, caps);
  return c;
}

describe("registration", () => {
  it("logs in with SASL PLAIN over TLS; the nick is the Parley username", async () => {
    const c = await IrcTestClient.connect(ircTlsPort, { tls: true });
    open.push(c);
    c.send("CAP LS 302");
    const ls = await c.expectCommand("CAP");
    expect(ls.params[2]).toContain("sasl=PLAIN");
    expect(ls.params[2]).toContain("draft/chathistory");
    c.send("CAP REQ :sasl");
    await c.expect((m) => m.command === "CAP" && m.params[1] === "ACK");
    c.send("AUTHENTICATE PLAIN");
    await c.expectCommand("AUTHENTICATE", "+");
    c.send(`AUTHENTICATE ${Buffer.from(`\0I-ANN\0${PASSWORD}`).toString("base64")}`);
    await c.expectCommand("900");
    await c.expectCommand("903");
    c.send("NICK whatever");
    c.send("USER x 0 * :X");
    c.send("CAP END");
    const welcome = await c.expectCommand("001");
    expect(welcome.params[0]).toBe("i-ann");
    const isupport = [await c.expectCommand("005"), await c.expectCommand("005")];
    expect(isupport.flatMap((m) => m.params).join(" ")).toContain("PREFIX=(qov)~@+");
    expect(isupport.flatMap((m) => m.params).join(" ")).toContain("CHANMODES=b,k,l,mnst");
    expect(isupport.flatMap((m) => m.params)).toContain("WHOX");
  });

  it("refuses a wrong SASL password with 904 and lets the client try again", async () => {
    const c = await irc();
    c.send("CAP REQ :sasl");
    await c.expect((m) => m.command === "CAP");
    c.send("AUTHENTICATE PLAIN");
    await c.expectCommand("AUTHENTICATE", "+");
    c.send(`AUTHENTICATE ${Buffer.from(`\0i-bob\0wrong password!`).toString("base64")}`);
    await c.expectCommand("904");
    c.send("AUTHENTICATE PLAIN");
    await c.expectCommand("AUTHENTICATE", "+");
    c.send(`AUTHENTICATE ${Buffer.from(`\0i-bob\0${PASSWORD}`).toString("base64")}`);
    await c.expectCommand("903");
  });

  it("refuses a SASL PLAIN payload with a NUL inside the password (RFC 4616), instead of cutting it there", async () => {
    const c = await irc();
    c.send("CAP REQ :sasl");
    await c.expect((m) => m.command === "CAP");
    for (const payload of [`\0i-bob\0${PASSWORD}\0`, `\0i-bob\0${PASSWORD}\0extra`, `\0i-bob\0`]) {
      c.send("AUTHENTICATE PLAIN");
      await c.expectCommand("AUTHENTICATE", "+");
      c.send(`AUTHENTICATE ${Buffer.from(payload).toString("base64")}`);
      expect((await c.expectCommand("904")).params.at(-1)).toContain("malformed");
    }
  });

  it("accepts PASS username:password from clients without SASL", async () => {
    const c = await irc();
    c.send(`PASS :i-bob:${PASSWORD}`);
    c.send("NICK i-bob");
    c.send("USER b 0 * :B");
    expect((await c.expectCommand("001")).params[0]).toBe("i-bob");
  });

  it("refuses a client that does not log in, saying how, then closes", async () => {
    const c = await irc();
    c.send("NICK stranger");
    c.send("USER s 0 * :S");
    const notice = await c.expectCommand("NOTICE");
    expect(notice.params[1]).toMatch(/SASL/);
    await c.expectCommand("904");
    await c.expectCommand("ERROR");
  });

  it("refuses a nick change with ERR_NICKLOCKED", async () => {
    const c = await irc("i-cat");
    c.send("NICK other");
    const m = await c.expectCommand("902");
    expect(m.params[2]).toMatch(/rename/);
  });

  it("answers AUTHENTICATE after registration with 462: the account is fixed for the connection", async () => {
    const c = await irc("i-cat");
    c.send("AUTHENTICATE PLAIN");
    await c.expectCommand("462");
  });

  it("labels the refusal of an unknown command (labeled-response)", async () => {
    const c = await irc("i-cat", ["labeled-response"]);
    c.send("@label=x1 NO_SUCH_COMMAND");
    const m = await c.expectCommand("421");
    expect(m.tags.get("label")).toBe("x1");
  });

  it("answers commands before registration with 451", async () => {
    const c = await irc();
    c.send("JOIN #x");
    await c.expectCommand("451");
  });
});

describe("channels", () => {
  it("chats both ways with a WebSocket client, converting formatting", async () => {
    const room = roomName("chat");
    await web.call("room.create", { name: room });
    const ann = await irc("i-ann", ["server-time", "message-tags", "account-tag"]);
    ann.send(`JOIN #${room}`);
    await ann.expectCommand("JOIN", `#${room}`);
    const names = await ann.expectCommand("353");
    expect(names.params[3]!.split(" ").sort()).toEqual(["i-ann", "~i-web"]);
    await ann.expectCommand("366");
    await web.nextEvent("member.joined", (e) => e.username === "i-ann");

    await web.call("msg.send", { room, body: "hello **world** and `code`", cid: "w1" });
    const got = await ann.expect((m) => m.command === "PRIVMSG" && m.params[0] === `#${room}`);
    expect(got.params[1]).toBe("hello \x02world\x02 and \x11code\x11");
    expect(got.tags.get("account")).toBe("i-web");
    expect(got.tags.get("time")).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(got.tags.get("msgid")).toBeTruthy();

    ann.send(`PRIVMSG #${room} :from \x02irc\x02 with \x1ditalics\x1d\x0304 and colour`);
    const ev = await web.nextEvent("message", (m) => m.from === "i-ann");
    expect(ev.body).toBe("from **irc** with *italics* and colour");
  });

  it("gives each client of a room the tags it negotiated, whatever the others asked for", async () => {
    // A room message's lines are rendered once per capability set and shared (render.ts): clients with
    // different sets in one room must each still get exactly their own tags.
    const room = roomName("caps");
    await web.call("room.create", { name: room });
    const all = await irc("i-bob", ["server-time", "message-tags", "account-tag"]);
    const none = await irc("i-cat");
    const timeOnly = await irc("i-dan", ["server-time"]);
    for (const c of [all, none, timeOnly]) {
      c.send(`JOIN #${room}`);
      await c.expectCommand("366");
    }
    await web.call("msg.send", { room, body: "one\ntwo", cid: "caps-1", clientTags: { "+draft/x": "y" } });
    const isMsg = (m: { command: string; params: string[] }) =>
      m.command === "PRIVMSG" && m.params[0] === `#${room}`;
    const [a1, a2] = [await all.expect(isMsg), await all.expect(isMsg)];
    expect([a1.params[1], a2.params[1]]).toEqual(["one", "two"]);
    expect([...a1.tags.keys()].sort()).toEqual(["+draft/x", "account", "msgid", "time"]);
    expect([...a2.tags.keys()].sort()).toEqual(["account", "time"]);
    const [n1, n2] = [await none.expect(isMsg), await none.expect(isMsg)];
    expect([n1.params[1], n2.params[1]]).toEqual(["one", "two"]);
    expect(n1.tags.size + n2.tags.size).toBe(0);
    const t1 = await timeOnly.expect(isMsg);
    expect([...t1.tags.keys()]).toEqual(["time"]);
    expect(t1.tags.get("time")).toBe(a1.tags.get("time"));
  });

  it("shows replies with their quote, and edits, reactions and deletions as notices", async () => {
    const room = roomName("changes");
    await web.call("room.create", { name: room });
    const cat = await irc("i-cat");
    cat.send(`JOIN #${room}`);
    await cat.expectCommand("366");
    const sent = await web.call("msg.send", { room, body: "the **first** line\nand more", cid: "c1" });
    await cat.expect((m) => m.command === "PRIVMSG" && m.params[1] === "the \x02first\x02 line");
    await web.call("msg.send", { room, body: "an answer", cid: "c2", replyTo: sent.id });
    const reply = await cat.expect((m) => m.command === "PRIVMSG" && m.params[1]!.endsWith("an answer"));
    expect(reply.params[1]).toBe('(re i-web: "the \x02first\x02 line") an answer');
    const notice = (text: string) =>
      cat.expect((m) => m.command === "NOTICE" && m.params[0] === `#${room}` && m.params[1] === text);
    await web.call("msg.edit", { messageId: sent.id, body: "the *new* line", cid: "e1" });
    await notice("* i-web edited a message: the \x1dnew\x1d line");
    await web.call("msg.react", { messageId: sent.id, emoji: "👍", on: true, cid: "r1" });
    await notice("* i-web reacted 👍");
    await web.call("msg.react", { messageId: sent.id, emoji: "👍", on: false, cid: "r2" });
    await notice("* i-web took back 👍");
    await web.call("msg.delete", { messageId: sent.id, cid: "d1" });
    await notice("* i-web deleted a message");
    // History shows the tombstone and the reply's quote saying so.
    cat.send(`CHATHISTORY LATEST #${room} * 10`);
    await cat.expect((m) => m.command === "PRIVMSG" && m.params[1] === "(message deleted)");
    await cat.expect(
      (m) => m.command === "PRIVMSG" && m.params[1] === "(re i-web: a deleted message) an answer",
    );
  });

  it("joins a password room with its key, and is refused without", async () => {
    const room = roomName("locked");
    await web.call("room.create", { name: room, password: "open sesame" });
    const bob = await irc("i-bob");
    bob.send(`JOIN #${room}`);
    await bob.expectCommand("475");
    bob.send(`JOIN #${room} wrongkey`);
    await bob.expectCommand("475");
    bob.send(`JOIN #${room} :open sesame`);
    await bob.expectCommand("JOIN", `#${room}`);
  });

  it("creates a channel on JOIN, shows topic, modes and kicks", async () => {
    const room = roomName("mod");
    const ann = await irc("i-ann", ["multi-prefix"]);
    ann.send(`JOIN #${room}`);
    await ann.expectCommand("JOIN", `#${room}`);
    expect((await ann.expectCommand("353")).params[3]).toBe("~@i-ann");
    const dan = await irc("i-dan");
    dan.send(`JOIN #${room}`);
    await dan.expectCommand("366");
    await ann.expect((m) => m.command === "JOIN" && m.source?.startsWith("i-dan!") === true);

    ann.send(`TOPIC #${room} :the \x02topic\x02`);
    const topic = await dan.expectCommand("TOPIC", `#${room}`);
    expect(topic.params[1]).toBe("the \x02topic\x02");

    ann.send(`MODE #${room} +o i-dan`);
    await dan.expectCommand("MODE", `#${room}`, "+o", "i-dan");
    ann.send(`MODE #${room} +l 5`);
    await dan.expectCommand("MODE", `#${room}`, "+l", "5");
    ann.send(`MODE #${room} +k :two words`);
    await ann.expectCommand("696");
    ann.send(`MODE #${room} +l 0`);
    await ann.expectCommand("696");
    ann.send(`MODE #${room} +k secret`);
    await dan.expectCommand("MODE", `#${room}`, "+k");
    dan.send(`MODE #${room}`);
    const modes = await dan.expectCommand("324");
    expect(modes.params[2]).toBe("+ntkl");

    // An admin may not kick the owner: the domain decides, the gateway says 482.
    dan.send(`KICK #${room} i-ann :no`);
    await dan.expectCommand("482");
    ann.send(`KICK #${room} i-dan :bye`);
    const kick = await dan.expectCommand("KICK", `#${room}`, "i-dan");
    expect(kick.source).toMatch(/^i-ann!/);
    dan.send(`PRIVMSG #${room} :still here?`);
    await dan.expectCommand("404");

    ann.send(`MODE #${room} +b i-dan`);
    await ann.expectCommand("MODE", `#${room}`, "+b", "i-dan!*@*");
    dan.send(`JOIN #${room} secret`);
    await dan.expectCommand("474");
    ann.send(`MODE #${room} b`);
    const ban = await ann.expectCommand("367");
    expect(ban.params[2]).toBe("i-dan!*@*");
  });

  it("replays recent history in a chathistory batch on JOIN, and answers CHATHISTORY", async () => {
    const room = roomName("hist");
    await web.call("room.create", { name: room });
    for (let i = 1; i <= 5; i++) await web.call("msg.send", { room, body: `old ${i}`, cid: `h${room}${i}` });
    const cat = await irc("i-cat", ["batch", "server-time", "message-tags"]);
    cat.send(`JOIN #${room}`);
    const start = await cat.expect((m) => m.command === "BATCH" && m.params[1] === "chathistory");
    const id = start.params[0]!.slice(1);
    const lines: string[] = [];
    for (;;) {
      const m = await cat.expect(
        (x) => x.command === "PRIVMSG" || (x.command === "BATCH" && x.params[0] === `-${id}`),
      );
      if (m.command === "BATCH") break;
      expect(m.tags.get("batch")).toBe(id);
      lines.push(m.params[1]!);
    }
    expect(lines).toEqual(["old 1", "old 2", "old 3", "old 4", "old 5"]);

    cat.send(`CHATHISTORY LATEST #${room} * 2`);
    await cat.expect((m) => m.command === "BATCH" && m.params[1] === "chathistory");
    const a = await cat.expectCommand("PRIVMSG");
    const b = await cat.expectCommand("PRIVMSG");
    expect([a.params[1], b.params[1]]).toEqual(["old 4", "old 5"]);
    cat.send(`CHATHISTORY BEFORE #${room} msgid=${a.tags.get("msgid")} 10`);
    await cat.expect((m) => m.command === "BATCH" && m.params[1] === "chathistory");
    expect((await cat.expectCommand("PRIVMSG")).params[1]).toBe("old 1");
    const texts = async () => {
      const start = await cat.expect((m) => m.command === "BATCH" && m.params[1] === "chathistory");
      const out: string[] = [];
      for (;;) {
        const m = await cat.expect(
          (x) =>
            x.command === "PRIVMSG" ||
            (x.command === "BATCH" && x.params[0] === `-${start.params[0]!.slice(1)}`),
        );
        if (m.command === "BATCH") return out;
        out.push(m.params[1]!);
      }
    };
    const second = (await cat.sync()).length; // drain
    void second;
    cat.send(`CHATHISTORY AROUND #${room} msgid=${a.tags.get("msgid")} 3`);
    expect(await texts()).toEqual(["old 3", "old 4", "old 5"]);
    cat.send(`CHATHISTORY AROUND #${room} msgid=${a.tags.get("msgid")} 1`);
    expect(await texts()).toEqual(["old 4"]);
    cat.send(
      `CHATHISTORY BETWEEN #${room} msgid=${b.tags.get("msgid")} timestamp=2000-01-01T00:00:00.000Z 2`,
    );
    expect(await texts()).toEqual(["old 3", "old 4"]);
    cat.send("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10");
    await cat.expect((m) => m.command === "CHATHISTORY" && m.params[1] === `#${room}`);
  });

  it("lists rooms and answers WHO and WHOIS", async () => {
    const room = roomName("list");
    await web.call("room.create", { name: room, description: "a listed room" });
    const bob = await irc("i-bob");
    bob.send("LIST");
    const entry = await bob.expect((m) => m.command === "322" && m.params[1] === `#${room}`);
    expect(entry.params[3]).toBe("a listed room");
    bob.send("WHOIS i-web");
    const whois = await bob.expectCommand("311");
    expect(whois.params[1]).toBe("i-web");
    await bob.expectCommand("330");
    await bob.expectCommand("318");
    bob.send("WHOIS nobody-here");
    await bob.expectCommand("401");
  });

  it("answers WHOX (WHO %fields,token) with 354 in the spec's field order, whatever order was asked", async () => {
    const room = roomName("whox");
    await web.call("room.create", { name: room });
    const bob = await irc("i-bob");
    bob.send(`JOIN #${room}`);
    await bob.expectCommand("366");

    bob.send(`WHO #${room} %ronfact,42`);
    const rows = [await bob.expectCommand("354"), await bob.expectCommand("354")];
    await bob.expectCommand("315");
    const byNick = new Map(rows.map((r) => [r.params[3], r.params]));
    // t c n f a o r: token, channel, nick, flags, account, op level, real name.
    expect(byNick.get("i-web")).toEqual(["i-bob", "42", `#${room}`, "i-web", "H~", "i-web", "n/a", "i-web"]);
    expect(byNick.get("i-bob")?.slice(0, 6)).toEqual(["i-bob", "42", `#${room}`, "i-bob", "H", "i-bob"]);

    // A token that is not 1-3 digits drops the t field; unknown field letters are ignored.
    bob.send("WHO i-web %tnzq,abcd");
    expect((await bob.expectCommand("354")).params).toEqual(["i-bob", "i-web"]);
    await bob.expectCommand("315");
  });

  it("WHO with a mask lists the users sharing a channel with the asker, and no one else", async () => {
    const room = roomName("whomask");
    // Fresh accounts: the shared ones are in rooms of other tests.
    for (const u of ["w-eve", "w-fay", "w-gus"]) {
      await hub.hub.domain.accounts.register({ username: u, password: PASSWORD }, "127.0.0.1");
    }
    const bob = await irc("w-eve");
    const cat = await irc("w-fay");
    await irc("w-gus");
    for (const c of [bob, cat]) {
      c.send(`JOIN #${room}`);
      await c.expectCommand("366");
    }
    bob.send("WHO w-*");
    const nicks: string[] = [];
    for (;;) {
      const m = await bob.expect((x) => x.command === "352" || x.command === "315");
      if (m.command === "315") break;
      nicks.push(m.params[5]!);
    }
    // w-gus is online but shares no channel with w-eve.
    expect(nicks.sort()).toEqual(["w-eve", "w-fay"]);
  });
});

describe("room rules (issue 14)", () => {
  it("PART with a reason shows it to IRC members and on member.left", async () => {
    const room = roomName("part");
    const ann = await irc("i-ann");
    ann.send(`JOIN #${room}`);
    await ann.expectCommand("366");
    await web.call("room.join", { room });
    const bob = await irc("i-bob");
    bob.send(`JOIN #${room}`);
    await bob.expectCommand("366");
    bob.send(`PART #${room} :off to bed`);
    expect((await bob.expectCommand("PART", `#${room}`)).params[1]).toBe("off to bed");
    const seen = await ann.expect((m) => m.command === "PART" && m.source?.startsWith("i-bob!") === true);
    expect(seen.params).toEqual([`#${room}`, "off to bed"]);
    const left = await web.nextEvent("member.left", (e) => e.room === room && e.username === "i-bob");
    expect(left.message).toBe("off to bed");
  });

  it("MODE -t lets members set the topic; +t takes it back; 333 says who set it", async () => {
    const room = roomName("tlock");
    const ann = await irc("i-ann");
    ann.send(`JOIN #${room}`);
    await ann.expectCommand("366");
    const dan = await irc("i-dan");
    dan.send(`JOIN #${room}`);
    await dan.expectCommand("366");
    dan.send(`TOPIC #${room} :mine`);
    await dan.expectCommand("482", "i-dan", `#${room}`);
    dan.send(`MODE #${room} -t`);
    await dan.expectCommand("482");

    ann.send(`MODE #${room} -t`);
    await dan.expectCommand("MODE", `#${room}`, "-t");
    dan.send(`MODE #${room}`);
    expect((await dan.expectCommand("324")).params[2]).toBe("+n");
    dan.send(`TOPIC #${room} :mine`);
    expect((await ann.expectCommand("TOPIC", `#${room}`)).params[1]).toBe("mine");

    const cat = await irc("i-cat");
    cat.send(`JOIN #${room}`);
    expect((await cat.expectCommand("332")).params[2]).toBe("mine");
    const who = await cat.expectCommand("333");
    expect(who.params.slice(1, 3)).toEqual([`#${room}`, "i-dan"]);
    expect(Number(who.params[3])).toBeGreaterThan(0);

    ann.send(`MODE #${room} +t`);
    await dan.expectCommand("MODE", `#${room}`, "+t");
    dan.send(`TOPIC #${room} :again`);
    await dan.expectCommand("482");
  });

  it("+m keeps PRIVMSG to admins and voiced members (404 for others); +v/-v is room.voice, shown in NAMES and WHO", async () => {
    const room = roomName("voice");
    const ann = await irc("i-ann", ["multi-prefix"]);
    ann.send(`JOIN #${room}`);
    await ann.expectCommand("366");
    const dan = await irc("i-dan");
    dan.send(`JOIN #${room}`);
    await dan.expectCommand("366");
    await web.call("room.join", { room });
    dan.send(`MODE #${room} +m`);
    await dan.expectCommand("482");
    ann.send(`MODE #${room} +m`);
    await dan.expectCommand("MODE", `#${room}`, "+m");
    const updated = await web.nextEvent(
      "room.updated",
      (e) => e.room.name === room && e.room.moderated === true,
    );
    expect(updated.by).toBe("i-ann");
    dan.send(`MODE #${room}`);
    expect((await dan.expectCommand("324")).params[2]).toBe("+mnt");
    // A member without voice cannot send; the owner can.
    dan.send(`PRIVMSG #${room} :may I?`);
    const refused = await dan.expectCommand("404", "i-dan", `#${room}`);
    expect(refused.params[2]).toContain("moderated");
    ann.send(`PRIVMSG #${room} :announcement`);
    await dan.expect((m) => m.command === "PRIVMSG" && m.params[1] === "announcement");
    // Voice: members see the MODE line (and WebSocket members voice.changed); then dan speaks.
    dan.send(`MODE #${room} +v i-ann`);
    await dan.expectCommand("482");
    ann.send(`MODE #${room} +v i-cat`);
    await ann.expectCommand("441", "i-ann", "i-cat");
    ann.send(`MODE #${room} +v i-dan`);
    const mode = await dan.expectCommand("MODE", `#${room}`, "+v", "i-dan");
    expect(mode.source).toMatch(/^i-ann!/);
    expect(await web.nextEvent("voice.changed", (e) => e.room === room)).toMatchObject({
      username: "i-dan",
      voiced: true,
      by: "i-ann",
    });
    dan.send(`PRIVMSG #${room} :thank you`);
    await ann.expect((m) => m.command === "PRIVMSG" && m.params[1] === "thank you");
    // NAMES and WHO: + for voice; with multi-prefix every prefix, highest first.
    ann.send(`MODE #${room} +v i-ann`);
    await ann.expectCommand("MODE", `#${room}`, "+v", "i-ann");
    ann.send(`NAMES #${room}`);
    const withMulti = await ann.expectCommand("353", "i-ann", "=", `#${room}`);
    expect(withMulti.params[3]!.split(" ").sort()).toEqual(["+i-dan", "i-web", "~@+i-ann"]);
    dan.send(`NAMES #${room}`);
    const without = await dan.expectCommand("353", "i-dan", "=", `#${room}`);
    expect(without.params[3]!.split(" ").sort()).toEqual(["+i-dan", "i-web", "~i-ann"]);
    dan.send(`WHO #${room}`);
    expect((await dan.expect((m) => m.command === "352" && m.params[5] === "i-dan")).params[6]).toBe("H+");
    // -v: refused again; -m: free again.
    ann.send(`MODE #${room} -v i-dan`);
    await dan.expectCommand("MODE", `#${room}`, "-v", "i-dan");
    dan.send(`PRIVMSG #${room} :again?`);
    await dan.expectCommand("404", "i-dan", `#${room}`);
    ann.send(`MODE #${room} -m`);
    await dan.expectCommand("MODE", `#${room}`, "-m");
    dan.send(`PRIVMSG #${room} :free again`);
    await ann.expect((m) => m.command === "PRIVMSG" && m.params[1] === "free again");
  });

  it("+s: NAMES shows @, 324 lists s, LIST and WHOIS leave it out for non-members, JOIN by name still works", async () => {
    const room = roomName("secret");
    const ann = await irc("i-ann");
    ann.send(`JOIN #${room}`);
    await ann.expectCommand("366");
    ann.send(`MODE #${room} +s`);
    await ann.expectCommand("MODE", `#${room}`, "+s");
    ann.send(`NAMES #${room}`);
    expect((await ann.expectCommand("353")).params.slice(1, 3)).toEqual(["@", `#${room}`]);
    ann.send(`MODE #${room}`);
    expect((await ann.expectCommand("324")).params[2]).toBe("+nst");
    const bob = await irc("i-bob");
    bob.send("LIST");
    const listed = (await bob.sync()).filter((m) => m.command === "322").map((m) => m.params[1]);
    expect(listed).not.toContain(`#${room}`);
    bob.send("WHOIS i-ann");
    await bob.expectCommand("318");
    const before = (await bob.sync()).concat();
    expect(before.some((m) => m.command === "319" && m.params[2]!.includes(`#${room}`))).toBe(false);
    // Joined by name: listed to the new member, NAMES with @ for them too.
    bob.send(`JOIN #${room}`);
    expect((await bob.expectCommand("353")).params.slice(1, 3)).toEqual(["@", `#${room}`]);
    await bob.expectCommand("366");
    bob.send("WHOIS i-ann");
    const channels = await bob.expectCommand("319", "i-bob", "i-ann");
    expect(channels.params[2]!.split(" ")).toContain(`~#${room}`);
    bob.send("LIST");
    await bob.expect((m) => m.command === "322" && m.params[1] === `#${room}`);
    ann.send(`MODE #${room} -s`);
    await bob.expectCommand("MODE", `#${room}`, "-s");
  });

  it("INVITE: 341 to the inviter, INVITE (with account-tag) to the invitee, who joins once past +l", async () => {
    const room = roomName("invite");
    const ann = await irc("i-ann");
    ann.send(`JOIN #${room}`);
    await ann.expectCommand("366");
    ann.send(`MODE #${room} +l 1`);
    await ann.expectCommand("MODE", `#${room}`, "+l", "1");
    const cat = await irc("i-cat", ["account-tag"]);
    cat.send(`JOIN #${room}`);
    await cat.expectCommand("471");
    ann.send(`INVITE i-cat #${room}`);
    await ann.expectCommand("341", "i-ann", "i-cat", `#${room}`);
    const invite = await cat.expectCommand("INVITE", "i-cat", `#${room}`);
    expect(invite.source).toMatch(/^i-ann!/);
    expect(invite.tags.get("account")).toBe("i-ann");
    cat.send(`JOIN #${room}`);
    await cat.expectCommand("JOIN", `#${room}`);

    ann.send(`INVITE i-cat #${room}`);
    await ann.expectCommand("443", "i-ann", "i-cat", `#${room}`);
    ann.send(`INVITE nobody-by-that-name #${room}`);
    await ann.expectCommand("401", "i-ann", "nobody-by-that-name");
    const bob = await irc("i-bob");
    bob.send(`INVITE i-dan #${room}`);
    await bob.expectCommand("442");
  });

  it("INVITE to a channel with a key: admins only (482 for a member)", async () => {
    const room = roomName("invkey");
    const ann = await irc("i-ann");
    ann.send(`JOIN #${room}`);
    await ann.expectCommand("366");
    ann.send(`MODE #${room} +k sesame`);
    await ann.expectCommand("MODE", `#${room}`, "+k");
    const bob = await irc("i-bob");
    bob.send(`JOIN #${room} sesame`);
    await bob.expectCommand("366");
    bob.send(`INVITE i-dan #${room}`);
    await bob.expectCommand("482");
    ann.send(`INVITE i-dan #${room}`);
    await ann.expectCommand("341");
    const dan = await irc("i-dan");
    dan.send(`JOIN #${room}`);
    await dan.expectCommand("JOIN", `#${room}`);
  });

  it("+b nick!*@* bans a name before any account has it; other masks get 696", async () => {
    const room = roomName("nameban");
    const ann = await irc("i-ann");
    ann.send(`JOIN #${room}`);
    await ann.expectCommand("366");
    ann.send(`MODE #${room} +b I-Newcomer!*@*`);
    await ann.expectCommand("MODE", `#${room}`, "+b", "I-Newcomer!*@*");
    ann.send(`MODE #${room} +b`);
    expect((await ann.expectCommand("367")).params.slice(1, 4)).toEqual([
      `#${room}`,
      "I-Newcomer!*@*",
      "i-ann",
    ]);
    await ann.expectCommand("368");
    for (const mask of ["ne*!*@*", "i-newcomer!ident@*", "*!*@host.example"]) {
      ann.send(`MODE #${room} +b ${mask}`);
      expect((await ann.expectCommand("696")).params.slice(1, 4)).toEqual([`#${room}`, "b", mask]);
    }

    await hub.hub.domain.accounts.register({ username: "i-newcomer", password: PASSWORD }, "127.0.0.1");
    const newcomer = await irc("i-newcomer");
    newcomer.send(`JOIN #${room}`);
    await newcomer.expectCommand("474");
    ann.send(`MODE #${room} -b i-newcomer`);
    await ann.expectCommand("MODE", `#${room}`, "-b", "i-newcomer!*@*");
    newcomer.send(`JOIN #${room}`);
    await newcomer.expectCommand("JOIN", `#${room}`);
  });
});

describe("direct messages and presence", () => {
  it("delivers a DM sent while the IRC user was offline when they connect", async () => {
    await web.call("msg.send", { user: "i-dan", body: "while you were *away*", cid: "dm-off-1" });
    const dan = await irc("i-dan", ["batch"]);
    // The replay is part of the welcome (saslLogin waited for it).
    const line = dan.lines.find((l) => l.includes("PRIVMSG i-dan :while you were"));
    expect(line).toMatch(/^\S+ :i-web!\S+ PRIVMSG i-dan :while you were /);
    expect(line!.endsWith("while you were \x1daway\x1d")).toBe(true);
    // Shown once: it is marked read, so the next connection does not replay it.
    await dan.close();
    const again = await irc("i-dan");
    const lines = await again.sync();
    expect(lines.some((l) => l.command === "PRIVMSG" && l.params[1]?.includes("while you were"))).toBe(false);
  });

  it("sends DMs both ways; echo-message with labeled-response tags the echo", async () => {
    const ann = await irc("i-ann", ["echo-message", "labeled-response", "message-tags", "batch"]);
    ann.send("@label=abc PRIVMSG i-web :hi from irc");
    const echo = await ann.expect((m) => m.command === "PRIVMSG" && m.params[0] === "i-web");
    expect(echo.tags.get("label")).toBe("abc");
    const ev = await web.nextEvent("message", (m) => m.body === "hi from irc");
    expect(ev.user).toBe("i-ann");
    await web.call("msg.send", { user: "i-ann", body: "hi back", cid: "dm-back" });
    const back = await ann.expect((m) => m.command === "PRIVMSG" && m.params[1] === "hi back");
    expect(back.params[0]).toBe("i-ann");
    ann.send("@label=xyz PING x");
    const pong = await ann.expectCommand("PONG");
    expect(pong.tags.get("label")).toBe("xyz");
  });

  it("MONITOR reports who is online and who comes online", async () => {
    const bob = await irc("i-bob");
    await hub.hub.domain.accounts.register({ username: "i-eve", password: PASSWORD }, "127.0.0.1");
    bob.send("MONITOR + i-eve,nobody-x");
    await bob.expect((m) => m.command === "731" && m.params[1] === "i-eve,nobody-x");
    const eve = await irc("i-eve");
    await bob.expect((m) => m.command === "730" && m.params[1]!.startsWith("i-eve!"));
    await eve.close();
    await bob.expect((m) => m.command === "731" && m.params[1] === "i-eve");
  });
});

describe("bad input and limits", () => {
  it("answers each garbage line with a numeric and stays up", async () => {
    const c = await irc("i-bob");
    c.send(Buffer.from([0x50, 0x52, 0x49, 0x56, 0x4d, 0x53, 0x47, 0x20, 0xff, 0xfe, 0x0d, 0x0a]));
    await c.expect((m) => m.command === "FAIL" && m.params[1] === "INVALID_UTF8");
    c.send(`PRIVMSG #x :${"a".repeat(600)}`);
    await c.expectCommand("417");
    c.send(`@${"t=".padEnd(9000, "v")} PING x`);
    await c.expectCommand("417");
    c.send("FROBNICATE now");
    await c.expectCommand("421", "i-bob", "FROBNICATE");
    c.send("KICK");
    await c.expectCommand("461");
    c.send("@=bad PING x");
    await c.expectCommand("421");
    c.send("JOIN #Not/Valid!");
    await c.expect((m) => m.command === "476" || m.command === "403");
    c.send("PRIVMSG nobody-at-all :hi");
    await c.expectCommand("401");
    await c.sync();
  });

  it("closes a client that sends too many bad lines", async () => {
    const c = await irc();
    for (let i = 0; i < 25; i++) c.send(`${i}${i} bad`);
    await c.expect((m) => m.command === "ERROR" && /bad lines/.test(m.params[0]!));
  });

  it("survives a line without end and resyncs", async () => {
    const c = await irc("i-cat");
    c.send(Buffer.alloc(20_000, 0x61));
    c.send("\r\nPING after");
    await c.expectCommand("417");
    await c.expect((m) => m.command === "PONG" && m.params[1] === "after");
  });
});

describe("labeled JOIN", () => {
  it("sends a labeled JOIN's replies in one labeled batch and the history after it, outside", async () => {
    const room = roomName("lab");
    await web.call("room.create", { name: room });
    for (let i = 1; i <= 2; i++) await web.call("msg.send", { room, body: `lab ${i}`, cid: `l${room}${i}` });
    const cat = await irc("i-cat", ["batch", "labeled-response", "message-tags"]);
    cat.send(`@label=j1 JOIN #${room},inv@lid`);
    const lines = await cat.sync();
    const start = lines[0]!;
    expect([start.command, start.params[1], start.tags.get("label")]).toEqual([
      "BATCH",
      "labeled-response",
      "j1",
    ]);
    const id = start.params[0]!.slice(1);
    const end = lines.findIndex((m) => m.command === "BATCH" && m.params[0] === `-${id}`);
    const inside = lines.slice(1, end);
    expect(inside.every((m) => m.tags.get("batch") === id)).toBe(true);
    expect(new Set(inside.map((m) => m.command))).toEqual(new Set(["JOIN", "353", "366", "403"]));
    // The replay follows the labeled batch, as its own chathistory batch.
    const after = lines.slice(end + 1);
    expect(after[0]).toMatchObject({
      command: "BATCH",
      params: [expect.any(String), "chathistory", `#${room}`],
    });
    expect(after.filter((m) => m.command === "PRIVMSG").map((m) => m.params[1])).toEqual(["lab 1", "lab 2"]);

    // A room with no history: no chathistory batch at all (an empty one is for CHATHISTORY).
    const fresh = roomName("lab");
    cat.send(`@label=j2 JOIN #${fresh}`);
    const second = await cat.sync();
    expect(second.some((m) => m.command === "BATCH" && m.params[1] === "chathistory")).toBe(false);
    expect(second.some((m) => m.command === "JOIN" && m.params[0] === `#${fresh}`)).toBe(true);
  });
});

describe("operators: OPER and KILL", () => {
  beforeAll(async () => {
    await hub.hub.domain.accounts.register({ username: "i-op", password: PASSWORD }, "127.0.0.1");
    const op = await hub.hub.domain.deps.store.getUserByName("i-op");
    await hub.hub.domain.deps.store.setServerAdmin(op!.id, true);
  });

  it("OPER with a server admin's name and password makes an operator; others get 464 or 491", async () => {
    const room = roomName("oper");
    const bob = await irc("i-bob");
    bob.send("OPER i-op wrong-password");
    await bob.expectCommand("464");
    bob.send(`OPER i-ann :${PASSWORD}`);
    await bob.expectCommand("491");
    bob.send(`OPER i-op :${PASSWORD}`);
    await bob.expectCommand("381");
    await bob.expectCommand("MODE", "i-bob", "+o");
    bob.send(`JOIN #${room}`);
    await bob.expectCommand("366");

    const ann = await irc("i-ann");
    ann.send(`JOIN #${room}`);
    await ann.expectCommand("366");
    ann.send("WHO i-bob");
    expect((await ann.expectCommand("352")).params[6]).toBe("H*");
    ann.send(`WHO #${room}`);
    const row = await ann.expect((m) => m.command === "352" && m.params[5] === "i-bob");
    expect(row.params[6]).toBe("H*~");
    ann.send("WHOIS i-bob");
    const whois = await ann.expect((m) => m.command === "313" || m.command === "318");
    expect(whois.command).toBe("313");
    // Not an operator: no 313 for ann.
    bob.send("WHOIS i-ann");
    expect((await bob.expect((m) => m.command === "313" || m.command === "318")).command).toBe("318");
    const audit = await hub.hub.domain.deps.store.listAudit({ limit: 20 });
    expect(audit.some((e) => e.action === "oper" && e.actor === "i-op")).toBe(true);
  });

  it("KILL ends every connection of a user with the admin kick; members see the QUIT; 481 for non-operators", async () => {
    await hub.hub.domain.accounts.register({ username: "i-kil", password: PASSWORD }, "127.0.0.1");
    const room = roomName("kill");
    const cat = await irc("i-cat");
    cat.send(`JOIN #${room}`);
    await cat.expectCommand("366");
    const target = await irc("i-kil");
    const second = await irc("i-kil");
    target.send(`JOIN #${room}`);
    await cat.expect((m) => m.command === "JOIN" && m.source?.startsWith("i-kil!") === true);

    cat.send("KILL i-kil :go away");
    await cat.expectCommand("481");
    const bob = await irc("i-bob");
    bob.send(`OPER i-op :${PASSWORD}`);
    await bob.expectCommand("381");
    bob.send("KILL i-kil :go away");
    const error = await target.expectCommand("ERROR");
    expect(error.params[0]).toContain("go away");
    await second.expectCommand("ERROR");
    const quit = await cat.expect((m) => m.command === "QUIT" && m.source?.startsWith("i-kil!") === true);
    expect(quit.params[0]).toBeTruthy();
    const audit = await hub.hub.domain.deps.store.listAudit({ limit: 20 });
    expect(audit.some((e) => e.action === "kick" && e.target === "i-kil" && e.actor === "i-op")).toBe(true);
  });

  it("counts wrong OPER passwords as failed logins: the same limits stop guessing", async () => {
    const limited = await startHub({ config: { ircPort: 0 } });
    try {
      const { domain } = limited.hub;
      await domain.accounts.register({ username: "r-op", password: PASSWORD }, "10.0.0.1");
      await domain.accounts.register({ username: "r-user", password: PASSWORD }, "10.0.0.2");
      await domain.deps.store.setServerAdmin((await domain.deps.store.getUserByName("r-op"))!.id, true);
      const c = await IrcTestClient.connect(limited.hub.irc!.port!);
      open.push(c);
      await c.saslLogin("r-user", PASSWORD);
      c.send(`OPER r-op :${PASSWORD}`);
      await c.expectCommand("381");
      const answers: string[] = [];
      for (let i = 0; i < 6; i++) {
        c.send("OPER r-op wrong-password");
        answers.push((await c.expectCommand("464")).params[1]!);
      }
      expect(answers.at(-1)).toContain("too many");
      // The right password is refused too while the account's brake holds.
      c.send(`OPER r-op :${PASSWORD}`);
      expect((await c.expect((m) => m.command === "464" || m.command === "381")).command).toBe("464");
    } finally {
      await limited.stop();
    }
  });
});

describe("QUIT", () => {
  it("shows a QUIT with its message to channel members; the member JOINs again on coming back", async () => {
    await hub.hub.domain.accounts.register({ username: "i-qui", password: PASSWORD }, "127.0.0.1");
    const room = roomName("quit");
    const qui = await irc("i-qui");
    qui.send(`JOIN #${room}`);
    await qui.expectCommand("366");
    await web.call("room.join", { room });
    const cat = await irc("i-cat", ["multi-prefix"]);
    cat.send(`JOIN #${room}`);
    expect((await cat.expectCommand("353")).params[3]!.split(" ")).toContain("~@i-qui");

    qui.send("QUIT :see you \x02soon\x02");
    await qui.expectCommand("ERROR");
    const quit = await cat.expect((m) => m.command === "QUIT");
    expect(quit.source).toBe("i-qui!i-qui@parley");
    // Control characters are taken out by the domain (one clean line).
    expect(quit.params[0]).toBe("Quit: see you  soon");
    const presence = await web.nextEvent("presence", (e) => e.username === "i-qui" && !e.online);
    expect(presence).toMatchObject({ reason: "quit", message: "see you  soon" });
    // Still a member of the room, but not shown among the channel's (online) names.
    cat.send(`NAMES #${room}`);
    expect((await cat.expectCommand("353")).params[3]!.split(" ")).not.toContain("~@i-qui");
    const members = await web.call("room.members", { room });
    expect(members.members.map((m: { username: string }) => m.username)).toContain("i-qui");

    await irc("i-qui");
    await cat.expectCommand("JOIN", `#${room}`);
    await cat.expectCommand("MODE", `#${room}`, "+q", "i-qui");
    cat.send(`NAMES #${room}`);
    expect((await cat.expectCommand("353")).params[3]!.split(" ")).toContain("~@i-qui");
  });
});

describe("guests (--irc-guests) and --irc-prefixes o", () => {
  let guestHub: TestHub & { hub: RunningHub };
  beforeAll(async () => {
    guestHub = await startHub({
      config: { rateLimits: false, ircPort: 0, ircGuests: true, ircPrefixes: "o" },
    });
    await guestHub.hub.domain.accounts.register({ username: "m-one", password: PASSWORD }, "127.0.0.1");
  });
  afterAll(async () => {
    await guestHub?.stop();
  });

  async function guest(nick: string): Promise<IrcTestClient> {
    const c = await IrcTestClient.connect(guestHub.hub.irc!.port!);
    open.push(c);
    c.send(`NICK ${nick}`);
    c.send(`USER ${nick} 0 * :${nick}`);
    return c;
  }

  async function member(caps: string[] = []): Promise<IrcTestClient> {
    const c = await IrcTestClient.connect(guestHub.hub.irc!.port!);
    open.push(c);
    await c.saslLogin("m-one", PASSWORD, caps);
    return c;
  }

  it("shows owner and admins as @ with PREFIX=(ov)@+", async () => {
    const g = await guest("g-pre");
    await g.expectCommand("001");
    const isupport = await g.expect(
      (m) => m.command === "005" && m.params.some((p) => p.startsWith("PREFIX=")),
    );
    expect(isupport.params).toContain("PREFIX=(ov)@+");
    g.send("CAP REQ :multi-prefix");
    await g.expectCommand("CAP");
    g.send("JOIN #pre");
    expect((await g.expectCommand("353")).params[3]).toBe("@g-pre");
    const m = await member();
    m.send("JOIN #pre");
    await m.expectCommand("366");
    g.send("MODE #pre +o m-one");
    await m.expectCommand("MODE", "#pre", "+o", "m-one");
    m.send("NAMES #pre");
    expect((await m.expectCommand("353")).params[3]!.split(" ").sort()).toEqual(["@g-pre", "@m-one"]);
    m.send("WHO #pre");
    const row = await m.expect((x) => x.command === "352" && x.params[5] === "g-pre");
    expect(row.params[6]).toBe("H@");
  });

  it("deletes a guest with its last connection: rooms pass on, the nick is free, a new account inherits nothing", async () => {
    const store = guestHub.hub.domain.deps.store;
    const g = await guest("g-own");
    await g.expectCommand("001");
    // A guest's nick is its own while it is connected; an account's name is never a guest's.
    const twin = await guest("g-own");
    await twin.expectCommand("433");
    const impostor = await guest("m-one");
    await impostor.expectCommand("433");
    g.send("JOIN #gone");
    await g.expectCommand("366");
    const m = await member(["batch", "server-time", "message-tags"]);
    m.send("JOIN #gone");
    await m.expectCommand("366");
    g.send("PRIVMSG m-one :a word from a guest");
    await m.expect((x) => x.command === "PRIVMSG" && x.params[1] === "a word from a guest");
    const dmsBefore = await guestHub.hub.domain.messages.dmHistory(
      { userId: (await store.getUserByName("m-one"))!.id, connId: "t", tokenHash: "t" },
      { user: "g-own" },
    );
    expect(dmsBefore.messages).toHaveLength(1);

    g.send("QUIT :bye");
    await g.expectCommand("ERROR");
    // QUIT settles before the ERROR: the account is gone, the room has passed on to m-one.
    expect(await store.getUserByName("g-own")).toBeUndefined();
    await m.expect((x) => x.command === "QUIT" && x.source?.startsWith("g-own!") === true);
    await m.expectCommand("MODE", "#gone", "+o", "m-one");
    const lines = await m.sync();
    // No PART after the QUIT: the guest is in no nick list any more.
    expect(lines.some((x) => x.command === "PART")).toBe(false);
    const members = await guestHub.hub.domain.rooms.members(
      { userId: (await store.getUserByName("m-one"))!.id, connId: "t", tokenHash: "t" },
      { room: "gone" },
    );
    expect(members.members.map((x) => [x.username, x.role])).toEqual([["m-one", "owner"]]);

    // The name again: as a guest, and then as an account, each a new user with no conversations.
    const again = await guest("g-own");
    await again.expectCommand("001");
    again.send("QUIT");
    await again.expectCommand("ERROR");
    await guestHub.hub.domain.accounts.register({ username: "g-own", password: PASSWORD }, "127.0.0.1");
    const account = await IrcTestClient.connect(guestHub.hub.irc!.port!);
    open.push(account);
    await account.saslLogin("g-own", PASSWORD, ["batch", "draft/chathistory", "message-tags"]);
    account.send("CHATHISTORY LATEST m-one * 10");
    const history = await account.sync();
    expect(history.some((x) => x.command === "BATCH")).toBe(true);
    expect(history.some((x) => x.command === "PRIVMSG")).toBe(false);
    account.send("WHOIS g-own");
    expect((await account.expect((x) => x.command === "330" || x.command === "318")).command).toBe("330");
  });
});

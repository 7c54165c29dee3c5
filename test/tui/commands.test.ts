/**
 * The slash commands through the app's controller, on the real SDK, against a real hub over TLS: what
 * each command prints, the one-line errors, notifications and the hidden password question. (The
 * screen itself is covered by the tmux end-to-end test; this covers every command quickly.)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParleyClient, type MessageNotice } from "../../src/client/index.js";
import { ChatController } from "../../src/tui/controller/controller.js";
import type { ViewKey } from "../../src/ui/view-keys.js";
import { COMMANDS } from "../../src/tui/commands/registry.js";
import { openInBrowser } from "../../src/tui/open-url.js";
import { startHub, type TestHub } from "../helpers/hub.js";

let hub: TestHub;
let dir: string;
let app: ChatController;
let aliceClient: ParleyClient;
let bob: ParleyClient;
let bells = 0;
const opened: string[] = [];

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function texts(view: ViewKey = app.getSnapshot().view): string[] {
  return (app.getSnapshot().notices[view] ?? []).map((n) => n.text);
}

/** Runs a command line and returns the lines it printed (in whatever view is current afterwards). */
async function run(line: string): Promise<string[]> {
  const before = new Set(Object.values(app.getSnapshot().notices).flatMap((list) => list.map((n) => n.id)));
  await app.submit(line);
  return Object.values(app.getSnapshot().notices)
    .flatMap((list) => list)
    .filter((n) => !before.has(n.id))
    .map((n) => n.text);
}

beforeAll(async () => {
  hub = await startHub();
  dir = await mkdtemp(join(tmpdir(), "parley-tui-commands-"));
  aliceClient = new ParleyClient({ urls: hub.url, configDir: join(dir, "alice") });
  app = new ChatController(aliceClient, {
    bell: () => {
      bells += 1;
    },
    openUrl: async (url) => {
      // A machine without a browser: the real opener, told to run a program that fails.
      if (url.includes("no-browser")) await openInBrowser(url, { app: { name: "false" } });
      opened.push(url);
    },
    exit: () => {},
  });
  app.start();
  expect(await app.register({ username: "alice", password: "correct horse 1", firstName: "Alice" })).toBe(
    true,
  );
  bob = new ParleyClient({ urls: hub.url, configDir: join(dir, "bob") });
  await bob.connect();
  await bob.register({ username: "bob", password: "battery staple 2" });
  await bob.login("bob", "battery staple 2");
});

afterAll(async () => {
  await app?.quit();
  await bob?.close();
  await hub?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("slash commands", () => {
  it("/help lists every command and the keys; /help NAME explains one", async () => {
    const all = await run("/help");
    for (const c of COMMANDS) expect(all.some((l) => l.includes(c.usage))).toBe(true);
    expect(all.some((l) => l.includes("Alt+1 … Alt+9"))).toBe(true);
    expect(await run("/help create")).toContain(
      "/create ROOM [--password PASSWORD] [--capacity N] [--desc TEXT] [--e2e] — Create a room; you become its owner.",
    );
    expect(await run("/help nope")).toEqual(["/help: there is no /nope — /help lists the commands"]);
  });

  it("an unknown command, bad arguments and a command out of place each get one line saying what to do", async () => {
    expect(await run("/jion x")).toEqual([
      "unknown command /jion — did you mean /join? /help lists the commands",
    ]);
    expect(await run("/create")).toEqual([
      "/create: missing argument — usage: /create ROOM [--password PASSWORD] [--capacity N] [--desc TEXT] [--e2e]",
    ]);
    expect((await run("/create r --capacity lots"))[0]).toContain(
      '--capacity needs a whole number, got "lots"',
    );
    expect((await run("/kick bob"))[0]).toContain("switch to a room first");
    expect(await run("hello?")).toEqual([
      "This is the status view: switch to a room or DM (Alt+number), or /join ROOM, /dm USER",
    ]);
  });

  it("hub errors become one line with advice", async () => {
    expect(await run("/join nosuchroom")).toEqual([
      "/join: there is no room named nosuchroom — /rooms lists them; /create makes one",
    ]);
  });

  it("error lines say each thing once (regression: `needs a password — the room needs its password`)", async () => {
    await bob.createRoom({ name: "book-club", password: "bob's secret" });
    /** Answers the hidden questions a command asks, in order. */
    const answering = async (line: string, answers: string[]): Promise<string[]> => {
      const before = new Set(
        Object.values(app.getSnapshot().notices).flatMap((list) => list.map((n) => n.id)),
      );
      const done = app.submit(line);
      for (const answer of answers) {
        await until(() => app.getSnapshot().prompt !== null, "the question");
        await app.submit(answer);
      }
      await done;
      return Object.values(app.getSnapshot().notices)
        .flat()
        .filter((n) => !before.has(n.id))
        .map((n) => n.text);
    };
    const lines = [
      ...(await run("/join book-club")),
      ...(await run("/join book-club not-it")),
      ...(await run("/create book-club")),
      ...(await run("/create bad!name")),
      ...(await answering("/rename ab", ["correct horse 1"])),
      ...(await answering("/password", ["correct horse 1", "short"])),
      ...(await answering("/password", ["correct horse 1", "a new secret 1", "a new secret 2"])),
      ...(await run("/open 1")),
    ];
    expect(lines).toEqual([
      "/join: #book-club has a password: /join book-club PASSWORD",
      "/join: wrong password for book-club",
      "/create: a room named book-club exists — pick another name, or /join it",
      "/create: room names are 1–48 characters of a-z, 0-9, _ and -",
      "/rename: usernames are 3–32 characters of a-z, 0-9, _ and -",
      "/password: passwords need at least 8 characters; nothing changed",
      "/password: the new passwords differ; nothing changed",
      "/open: this view has no links",
    ]);
    // No word said twice in a line (placeholders like PASSWORD and the names typed aside).
    for (const line of lines) {
      const words = line
        .replace(/\b[A-Z]{2,}\b/g, "")
        .toLowerCase()
        .match(/[a-z]{5,}/g);
      const named = new Set(["password", "names"].filter((w) => line.startsWith(`/${w}`)));
      const seen = new Set<string>();
      for (const word of words ?? []) {
        if (named.has(word)) continue;
        expect(seen.has(word), `"${word}" twice in: ${line}`).toBe(false);
        seen.add(word);
      }
    }
    await bob.leaveRoom("book-club");
  });

  it("/create, /topic, /who, /rooms, /promote, /demote", async () => {
    expect(await run('/create general --desc "General talk" --capacity 10')).toContain(
      "Created #general; you are its owner",
    );
    expect(app.getSnapshot().view).toBe("room:general");
    await bob.joinRoom("general");
    await until(() => texts().includes("bob joined #general"), "the join notice");

    expect(await run("/topic")).toEqual(["Topic of #general: General talk"]);
    await run("/topic Books and more");
    // The confirmation is the hub's room.updated event, which says what changed.
    await until(() => texts().includes("Topic of #general is now: Books and more"), "the topic notice");
    await until(
      () => bob.state.rooms["general"]?.info.description === "Books and more",
      "bob to see the topic",
    );

    expect(await run("/who")).toEqual([
      "#general: 2 members",
      "  alice — owner, online",
      "  bob — member, online",
    ]);
    const rooms = await run("/rooms");
    expect(rooms[0]).toBe("1 room:");
    // The limit is the member limit: "2 online of 10" read as if 10 could be online.
    expect(rooms[1]).toBe("  #general — 2 members (limit 10), 2 online [joined] — Books and more");

    await run("/promote bob");
    await until(
      () => texts().includes("bob is now an admin of #general (promoted by alice)"),
      "promotion notice",
    );
    await run("/demote @bob");
    await until(
      () => texts().includes("bob is now a member of #general (demoted by alice)"),
      "demotion notice",
    );
  });

  it("/users, /find, /nick, /realname", async () => {
    const users = await run("/users");
    expect(users[0]).toBe("2 online:");
    expect(users).toContain("  alice — Alice — online");
    expect(await run("/find bo")).toEqual(["  user bob — online"]);
    expect(await run("/nick Ally Cat")).toEqual(["Your display name is now Ally Cat"]);
    expect(await run("/realname Alice Liddell")).toEqual(["Your name is now Alice Liddell"]);
    expect((await run("/find al"))[0]).toBe("  user alice (Ally Cat) — Alice Liddell — online");
  });

  it("links are numbered per view and /open N opens the N-th", async () => {
    await bob.send("room:general", "two links: https://example.com/one and https://example.org/two");
    await until(() => (aliceClient.state.rooms["general"]?.messages.length ?? 0) > 0, "bob's message");
    expect(await run("/open 2")).toEqual(["Opened https://example.org/two in your browser"]);
    expect(opened).toEqual(["https://example.org/two"]);
    expect((await run("/open 3"))[0]).toContain("links here are numbered 1 to 2");
    // No browser: said so, with the whole address to copy (it used to say "Opened").
    await bob.send("room:general", "try https://example.net/no-browser/page?x=1");
    await until(() => (aliceClient.state.rooms["general"]?.messages.length ?? 0) > 1, "bob's link");
    expect(await run("/open 3")).toEqual([
      "/open: no browser could be started (the opener exited with code 1) — copy the link: https://example.net/no-browser/page?x=1",
    ]);
    expect(opened).toEqual(["https://example.org/two"]);
  });

  it("a mention rings the bell and shows a notice when you look elsewhere; mute silences both", async () => {
    app.selectIndex(1);
    expect(app.getSnapshot().view).toBe("status");
    const rang = bells;
    await bob.send("room:general", "ping @alice");
    await until(
      () => app.getSnapshot().flash?.text === "New message in #general from bob: ping @alice",
      "notice",
    );
    expect(bells).toBe(rang + 1);
    expect(aliceClient.state.rooms["general"]?.unread).toBeGreaterThan(0);

    expect(await run("/mute #general")).toEqual(["Muted #general: no notices or bell from it"]);
    const seen = new Promise<MessageNotice>((resolve) => {
      const off = aliceClient.on("message", (n) => {
        off();
        resolve(n);
      });
    });
    await bob.send("room:general", "ping again @alice");
    expect((await seen).muted).toBe(true);
    expect(app.getSnapshot().flash?.text).not.toContain("ping again");
    expect(bells).toBe(rang + 1);
    expect(await run("/unmute #general")).toEqual(["Unmuted #general"]);
  });

  it("/msg sends a DM without switching; /dm opens it; /history pages back", async () => {
    const got = new Promise<MessageNotice>((resolve) => {
      const off = bob.on("message", (n) => {
        if (n.key === "dm:alice") {
          off();
          resolve(n);
        }
      });
    });
    expect(await run("/msg bob see you *soon*")).toEqual(["→ bob: see you *soon*"]);
    expect((await got).message.body).toBe("see you *soon*");
    expect(app.getSnapshot().view).toBe("status");
    await run("/dm bob");
    expect(app.getSnapshot().view).toBe("dm:bob");
    expect(await run("/history")).toEqual(["No older messages"]);
  });

  it("/lock asks the password hidden on the input line; Esc cancels a question", async () => {
    app.switchTo("room:general");
    const done = app.submit("/lock");
    await until(() => app.getSnapshot().prompt !== null, "the question");
    expect(app.getSnapshot().prompt?.label).toBe("New password for #general");
    await app.submit("a long secret");
    await done;
    await until(() => texts().includes("#general now needs a password to join"), "the lock notice");
    // What the question was answered with is not printed anywhere.
    expect(
      Object.values(app.getSnapshot().notices)
        .flat()
        .some((n) => n.text.includes("a long secret")),
    ).toBe(false);
    const { rooms } = await bob.call("rooms.list", { detail: true });
    expect(rooms.find((r) => r.name === "general")?.locked).toBe(true);

    const cancelled = app.submit("/rename alicia");
    await until(() => app.getSnapshot().prompt !== null, "the question");
    app.cancelPrompt();
    await cancelled;
    expect(texts().at(-1)).toBe("/rename: cancelled");
    expect(aliceClient.state.me?.username).toBe("alice");
  });

  it("/kick, /ban, /bans, /unban from the owner's side", async () => {
    await run("/kick bob too loud");
    await until(() => texts().includes("bob was kicked from #general"), "the kick notice");
    await until(() => bob.state.rooms["general"] === undefined, "bob to be out");
    await bob.joinRoom("general", "a long secret");
    await run("/ban bob");
    await until(() => texts().includes("bob was banned from #general"), "the ban notice");
    const bans = await run("/bans");
    expect(bans[0]).toBe("Banned from #general:");
    expect(bans[1]).toMatch(/^ {2}bob — by alice, \d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(await run("/unban bob")).toEqual(["bob may join #general again"]);
    expect(await run("/unban bob")).toHaveLength(1);
  });

  it("/topiclock, /invite and /leave with a reason", async () => {
    await run("/create club --password sesame-key");
    await run("/topiclock off");
    await until(() => texts().includes("Any member of #club may set its topic now"), "the topic lock notice");
    expect(await run("/topiclock maybe")).toEqual([expect.stringContaining("/topiclock on|off")]);
    const invited = new Promise<void>((resolve) =>
      bob.on("event", (ev) => {
        if (ev.ev === "invited" && ev.room === "club") resolve();
      }),
    );
    expect(await run("/invite bob")).toEqual([
      expect.stringMatching(
        /^Invited bob to #club \(they may join once, until \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/,
      ),
    ]);
    await invited;
    await bob.joinRoom("club");
    await bob.leaveRoom("club", "see you");
    await until(() => texts().includes("bob left #club (see you)"), "bob's leave with a reason");
    expect(await run("/leave #club bye all")).toEqual(
      expect.arrayContaining(["You left #club", "#club was deleted"]),
    );
    await run("/join general");
  });

  it("/moderate, /voice, /devoice and /secret", async () => {
    await run("/create stage");
    await bob.joinRoom("stage");
    const bobSays = (body: string) => bob.call("msg.send", { room: "stage", body, cid: `tui-stage-${body}` });
    await run("/moderate on");
    await until(
      () => texts().includes("#stage is moderated now: only the owner, admins and voiced members may post"),
      "the moderation notice",
    );
    await expect(bobSays("may I")).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await run("/moderate maybe")).toEqual([expect.stringContaining("/moderate on|off")]);
    await run("/voice bob");
    await until(
      () => texts().includes("bob may now post in #stage when it is moderated (voice given by alice)"),
      "the voice notice",
    );
    expect(await run("/who")).toContain("  bob — member, voiced, online");
    await bobSays("thank you");
    await run("/devoice bob");
    await until(
      () => texts().includes("bob no longer has voice in #stage (taken by alice)"),
      "the devoice notice",
    );
    await expect(bobSays("again")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await run("/secret on");
    await until(
      () => texts().includes("#stage is secret now: it is not listed to non-members"),
      "the secret notice",
    );
    expect(aliceClient.state.rooms["stage"]?.info).toMatchObject({ moderated: true, secret: true });
    await run("/moderate off");
    await until(() => texts().includes("#stage is no longer moderated: every member may post"), "the notice");
    await bobSays("free again");
    expect(await run("/leave #stage")).toContain("You left #stage");
    await bob.leaveRoom("stage");
    await run("/join general");
  });

  it("/leave goes back to the status view; /logout returns to the login screen", async () => {
    // Bob was banned, so alice was the last member: the room goes with her.
    expect(await run("/leave")).toEqual(
      expect.arrayContaining(["You left #general", "#general was deleted"]),
    );
    expect(app.getSnapshot().view).toBe("status");
    await run("/logout");
    expect(app.getSnapshot().phase).toBe("login");
    expect(await app.login("alice", "wrong password!")).toBe(false);
    expect(app.getSnapshot().loginError).toBe("wrong username or password");
    expect(await app.login("alice", "correct horse 1")).toBe(true);
    expect(app.getSnapshot().phase).toBe("chat");
  });
});

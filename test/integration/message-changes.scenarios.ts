/**
 * Edit, delete, reply, reactions and search (#12) through a real hub over wss: every op and event,
 * success and each error. Runs on SQLite (message-changes.test.ts) and PostgreSQL (same file, skipped
 * with the reason when PostgreSQL is not there). Users are prefixed per backend so runs stay apart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyEvent } from "../../src/protocol/events.js";
import { login, registerAndLogin, TestClient } from "../helpers/client.js";
import type { TestHub } from "../helpers/hub.js";

export function describeMessageChanges(backend: string, start: () => Promise<TestHub>): void {
  describe(`edit, delete, reply, react, search (${backend})`, () => {
    let hub: TestHub;
    const open: TestClient[] = [];
    let n = 0;

    beforeAll(async () => {
      hub = await start();
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

    /** A room named for the test with `owner` and `others` in it. */
    async function roomWith(owner: TestClient, ...others: TestClient[]) {
      const name = `r${++n}-${backend.slice(0, 2)}`;
      await owner.call("room.create", { name });
      for (const o of others) await o.call("room.join", { room: name });
      return name;
    }

    const p = (s: string) => `${backend.slice(0, 2)}${s}`;

    describe("msg.edit", () => {
      it("the author edits: next seq, message.edited to everyone (cid on own devices), history keeps the place", async () => {
        const [a, b] = [await user(p("ed-a")), await user(p("ed-b"))];
        const a2 = await login(hub.url, p("ed-a"));
        open.push(a2);
        const room = await roomWith(a, b);
        const sent = await a.call("msg.send", { room, body: "helo", cid: "c1" });
        await b.call("msg.send", { room, body: "between", cid: "c2" });
        const edit = await a.call("msg.edit", { messageId: sent.id, body: " hello ", cid: "e1" });
        expect(edit).toEqual({ seq: 3 });
        const atB = await b.nextEvent("message.edited");
        expect(atB).toEqual({
          ev: "message.edited",
          room,
          id: sent.id,
          seq: 3,
          msgSeq: 1,
          from: p("ed-a"),
          body: "hello",
          editedAt: expect.any(Number),
        });
        expect(await a2.nextEvent("message.edited")).toMatchObject({ id: sent.id, cid: "e1" });
        const { messages } = await b.call("room.history", { room });
        expect(messages.map((m) => [m.seq, m.body])).toEqual([
          [1, "hello"],
          [2, "between"],
        ]);
        expect(messages[0]!.editedAt).toBe(atB.editedAt);
        // An outbox retry of the same edit is one edit.
        expect(await a.call("msg.edit", { messageId: sent.id, body: "hello", cid: "e1" })).toEqual({
          seq: 3,
        });
        const next = await a.call("msg.send", { room, body: "after", cid: "c3" });
        expect(next.seq).toBe(4);
        await b.nextEvent("message", (m) => m.body === "after");
        expect(b.eventsNamed("message.edited")).toEqual([]);
      });

      it("refuses someone else's message, unknown or unreadable ones, empty and too long bodies", async () => {
        const [a, b, c] = [await user(p("ed2-a")), await user(p("ed2-b")), await user(p("ed2-c"))];
        const room = await roomWith(a, b);
        const sent = await a.call("msg.send", { room, body: "mine", cid: "x" });
        expect(await b.codeOf("msg.edit", { messageId: sent.id, body: "theirs" })).toBe("FORBIDDEN");
        expect(await c.codeOf("msg.edit", { messageId: sent.id, body: "outsider" })).toBe("NO_SUCH_MESSAGE");
        expect(await a.codeOf("msg.edit", { messageId: "999999999", body: "x" })).toBe("NO_SUCH_MESSAGE");
        expect(await a.codeOf("msg.edit", { messageId: "abc", body: "x" })).toBe("NO_SUCH_MESSAGE");
        expect(await a.codeOf("msg.edit", { messageId: sent.id, body: "   " })).toBe("EMPTY_BODY");
        expect(await a.codeOf("msg.edit", { messageId: sent.id, body: "x".repeat(4001) })).toBe(
          "BODY_TOO_LONG",
        );
        expect(await a.codeOf("msg.edit", { messageId: sent.id })).toBe("INVALID_PARAMS");
        const { messages } = await a.call("room.history", { room });
        expect(messages[0]).toMatchObject({ body: "mine" });
        expect(messages[0]!.editedAt).toBeUndefined();
      });
    });

    describe("msg.delete", () => {
      it("the author deletes: message.deleted, a tombstone in history, no more edits or reactions", async () => {
        const [a, b] = [await user(p("del-a")), await user(p("del-b"))];
        const room = await roomWith(a, b);
        const sent = await a.call("msg.send", { room, body: "oops", cid: "d1" });
        expect(await a.call("msg.delete", { messageId: sent.id })).toEqual({ seq: 2 });
        expect(await b.nextEvent("message.deleted")).toEqual({
          ev: "message.deleted",
          room,
          id: sent.id,
          seq: 2,
          msgSeq: 1,
          by: p("del-a"),
        });
        const { messages } = await b.call("room.history", { room });
        expect(messages).toHaveLength(1);
        expect(messages[0]).toMatchObject({
          id: sent.id,
          seq: 1,
          body: "",
          deleted: true,
          deletedBy: p("del-a"),
        });
        expect(await a.codeOf("msg.edit", { messageId: sent.id, body: "x" })).toBe("NO_SUCH_MESSAGE");
        expect(await b.codeOf("msg.react", { messageId: sent.id, emoji: "👍", on: true })).toBe(
          "NO_SUCH_MESSAGE",
        );
        expect(await a.codeOf("msg.delete", { messageId: sent.id })).toBe("NO_SUCH_MESSAGE");
      });

      it("a room admin deletes a member's message (logged); members may not delete others' or an admin's", async () => {
        const [o, adm, m1, m2] = [
          await user(p("mod-o")),
          await user(p("mod-adm")),
          await user(p("mod-m1")),
          await user(p("mod-m2")),
        ];
        const room = await roomWith(o, adm, m1, m2);
        await o.call("room.promote", { room, username: p("mod-adm") });
        const bad = await m1.call("msg.send", { room, body: "spam", cid: "s" });
        const fromAdmin = await adm.call("msg.send", { room, body: "rules", cid: "r" });
        expect(await m2.codeOf("msg.delete", { messageId: bad.id })).toBe("FORBIDDEN");
        expect(await m1.codeOf("msg.delete", { messageId: fromAdmin.id })).toBe("FORBIDDEN");
        const res = await adm.call("msg.delete", { messageId: bad.id });
        expect(res.seq).toEqual(expect.any(Number));
        expect(await m1.nextEvent("message.deleted", (e) => e.id === bad.id)).toMatchObject({
          by: p("mod-adm"),
        });
        expect(await adm.codeOf("msg.delete", { messageId: bad.id })).toBe("NO_SUCH_MESSAGE");
        // The owner outranks the admin.
        await o.call("msg.delete", { messageId: fromAdmin.id });
        const { messages } = await m2.call("room.history", { room });
        expect(messages.map((m) => [m.deleted, m.deletedBy])).toEqual([
          [true, p("mod-adm")],
          [true, p("mod-o")],
        ]);
      });

      it("in a DM only the author deletes; the event names the conversation by `conv`", async () => {
        const [a, b] = [await user(p("dmd-a")), await user(p("dmd-b"))];
        const sent = await a.call("msg.send", { user: p("dmd-b"), body: "psst", cid: "p" });
        await b.nextEvent("message");
        expect(await b.codeOf("msg.delete", { messageId: sent.id })).toBe("FORBIDDEN");
        await a.call("msg.delete", { messageId: sent.id });
        expect(await b.nextEvent("message.deleted")).toMatchObject({ conv: `dm:${p("dmd-a")}`, id: sent.id });
        expect(await a.nextEvent("message.deleted")).toMatchObject({ conv: `dm:${p("dmd-b")}` });
        const { messages } = await b.call("dm.history", { user: p("dmd-a") });
        expect(messages[0]).toMatchObject({ body: "", deleted: true });
      });
    });

    describe("replies", () => {
      it("carry replyTo and a one-line quote, live and in history; a deleted original shows as deleted", async () => {
        const [a, b] = [await user(p("rep-a")), await user(p("rep-b"))];
        const room = await roomWith(a, b);
        const orig = await a.call("msg.send", { room, body: "first line\nsecond line", cid: "o" });
        const reply = await b.call("msg.send", { room, body: "answer", cid: "r", replyTo: orig.id });
        const live = await a.nextEvent("message", (m) => m.id === reply.id);
        expect(live).toMatchObject({
          replyTo: orig.id,
          replyToSeq: orig.seq,
          quote: { from: p("rep-a"), text: "first line" },
        });
        let { messages } = await a.call("room.history", { room });
        expect(messages[1]).toMatchObject({
          replyTo: orig.id,
          replyToSeq: orig.seq,
          quote: { from: p("rep-a"), text: "first line" },
        });
        await a.call("msg.delete", { messageId: orig.id });
        ({ messages } = await b.call("room.history", { room }));
        expect(messages[1]!.quote).toEqual({ from: p("rep-a"), text: "", deleted: true });
      });

      it("refuse an original of another conversation, an unknown or a deleted one", async () => {
        const [a, b] = [await user(p("rep2-a")), await user(p("rep2-b"))];
        const r1 = await roomWith(a, b);
        const r2 = await roomWith(a, b);
        const other = await a.call("msg.send", { room: r2, body: "elsewhere", cid: "e" });
        const code = (replyTo: string) =>
          b.codeOf("msg.send", { room: r1, body: "x", cid: `c${replyTo}`, replyTo });
        expect(await code(other.id)).toBe("NO_SUCH_MESSAGE");
        expect(await code("987654321")).toBe("NO_SUCH_MESSAGE");
        await a.call("msg.delete", { messageId: other.id });
        expect(await b.codeOf("msg.send", { room: r2, body: "x", cid: "d", replyTo: other.id })).toBe(
          "NO_SUCH_MESSAGE",
        );
      });
    });

    describe("msg.react", () => {
      it("adds and removes, one per user per emoji, counted in history; bad emoji refused", async () => {
        const [a, b, c] = [await user(p("re-a")), await user(p("re-b")), await user(p("re-c"))];
        const room = await roomWith(a, b, c);
        const m = await a.call("msg.send", { room, body: "react to me", cid: "m" });
        const on = await b.call("msg.react", { messageId: m.id, emoji: "👍", on: true, cid: "k1" });
        expect(on).toEqual({ seq: 2 });
        expect(await a.nextEvent("reaction")).toEqual({
          ev: "reaction",
          room,
          id: m.id,
          seq: 2,
          msgSeq: 1,
          emoji: "👍",
          user: p("re-b"),
          on: true,
        });
        expect(await b.call("msg.react", { messageId: m.id, emoji: "👍", on: true })).toEqual({});
        expect(await b.call("msg.react", { messageId: m.id, emoji: "👍", on: true, cid: "k1" })).toEqual({
          seq: 2,
        });
        await c.call("msg.react", { messageId: m.id, emoji: "👍", on: true });
        await c.call("msg.react", { messageId: m.id, emoji: ":tada:", on: true });
        await c.call("msg.react", { messageId: m.id, emoji: "👍🏽", on: true });
        const off = await c.call("msg.react", { messageId: m.id, emoji: "👍🏽", on: false });
        expect(await a.nextEvent("reaction", (e) => e.seq === off.seq)).toMatchObject({
          on: false,
          user: p("re-c"),
        });
        const { messages } = await b.call("room.history", { room });
        expect(messages[0]!.reactions).toEqual({
          "👍": { count: 2, me: true },
          ":tada:": { count: 1, me: false },
        });
        // A newcomer's room.join page counts them too.
        const d = await user(p("re-d"));
        const joined = await d.call("room.join", { room });
        expect(joined.history[0]!.reactions).toEqual({
          "👍": { count: 2, me: false },
          ":tada:": { count: 1, me: false },
        });
        for (const emoji of ["a", "👍👍", ":no spaces:", "", "<b>"]) {
          expect(await b.codeOf("msg.react", { messageId: m.id, emoji, on: true })).toBe("INVALID_PARAMS");
        }
        expect(await b.codeOf("msg.react", { messageId: "1234567890", emoji: "👍", on: true })).toBe(
          "NO_SUCH_MESSAGE",
        );
      });

      it("hides a blocked user's reactions from the one who blocks them, live and in history", async () => {
        const [a, b, c] = [await user(p("rb-a")), await user(p("rb-b")), await user(p("rb-c"))];
        const room = await roomWith(a, b, c);
        const m = await a.call("msg.send", { room, body: "hi", cid: "m" });
        await a.call("block", { user: p("rb-c"), on: true });
        await c.call("msg.react", { messageId: m.id, emoji: "👎", on: true });
        await b.call("msg.react", { messageId: m.id, emoji: "👍", on: true });
        // The barrier: b's later reaction arrived, so c's would have by now.
        await a.nextEvent("reaction", (e) => e.user === p("rb-b"));
        expect(a.eventsNamed("reaction")).toEqual([]);
        expect(await b.nextEvent("reaction", (e) => e.user === p("rb-c"))).toBeTruthy();
        const mine = await a.call("room.history", { room });
        expect(mine.messages[0]!.reactions).toEqual({ "👍": { count: 1, me: false } });
        const theirs = await b.call("room.history", { room });
        expect(theirs.messages[0]!.reactions).toEqual({
          "👎": { count: 1, me: false },
          "👍": { count: 1, me: true },
        });
      });

      it("marks edits in a muted room as muted", async () => {
        const [a, b] = [await user(p("mu-a")), await user(p("mu-b"))];
        const room = await roomWith(a, b);
        await b.call("mute", { room, on: true });
        const m = await a.call("msg.send", { room, body: "x", cid: "m" });
        await a.call("msg.edit", { messageId: m.id, body: "y" });
        expect(await b.nextEvent("message.edited")).toMatchObject({ muted: true });
      });
    });

    describe("resume", () => {
      it("replays edits, deletions and reactions missed, each once and in order, during a burst", async () => {
        const [a, b] = [await user(p("rs-a")), await user(p("rs-b"))];
        const room = await roomWith(a, b);
        const ids: string[] = [];
        for (let i = 0; i < 5; i++)
          ids.push((await a.call("msg.send", { room, body: `m${i}`, cid: `m${i}` })).id);
        const token = (b as TestClient & { token: string }).token;
        const { messages } = await b.call("room.history", { room });
        const cursor = messages.at(-1)!.seq;
        await b.close();
        // A burst of edits, reactions and a deletion; b comes back in the middle of it.
        const burst: Array<Promise<unknown>> = [];
        for (let i = 0; i < 40; i++) {
          const id = ids[i % 5]!;
          if (i === 33) burst.push(a.call("msg.delete", { messageId: ids[4]!, cid: `d${i}` }));
          else if (i % 5 === 4 && i > 33) continue;
          else if (i % 2 === 0)
            burst.push(a.call("msg.edit", { messageId: id, body: `edit ${i}`, cid: `e${i}` }));
          else
            burst.push(
              a.call("msg.react", {
                messageId: id,
                emoji: i % 4 === 1 ? "👍" : "🎉",
                on: i % 3 !== 0,
                cid: `r${i}`,
              }),
            );
          if (i === 15) {
            const back = await TestClient.connect(hub.url);
            open.push(back);
            await back.call("resume", { token, cursors: { [`room:${room}`]: cursor } });
            burst.push(Promise.resolve(back));
          }
        }
        const results = await Promise.all(burst);
        const back = results.find((r): r is TestClient => r instanceof TestClient)!;
        const seqs = results
          .map((r) => (r && typeof r === "object" && "seq" in r ? (r as { seq?: number }).seq : undefined))
          .filter((s): s is number => s !== undefined);
        const last = Math.max(...seqs);
        const inRoom = (e: AnyEvent) => "room" in e && e.room === room && "seq" in e;
        await back.waitFor(
          () => back.events.find((e) => inRoom(e) && (e as { seq: number }).seq === last),
          10_000,
          "last seq",
        );
        const got = back.events.filter(inRoom).map((e) => (e as { seq: number }).seq);
        const expected: number[] = [];
        for (let s = cursor + 1; s <= last; s++) expected.push(s);
        expect(got).toEqual(expected);
        const names = new Set(back.events.filter(inRoom).map((e) => e.ev));
        expect([...names].sort()).toEqual(["message.deleted", "message.edited", "reaction"]);
        // Replayed changes name their message's seq too (read from message_entries with the message).
        const seqOf = new Map(messages.map((m) => [m.id, m.seq]));
        for (const e of back.events.filter(inRoom)) {
          const change = e as { id: string; msgSeq?: number };
          expect(change.msgSeq).toBe(seqOf.get(change.id));
        }
      });
    });

    describe("search", () => {
      it("finds words, prefixes, phrases, from: and in:, newest first, paged, with highlights", async () => {
        const [a, b] = [await user(p("se-a")), await user(p("se-b"))];
        const room = await roomWith(a, b);
        const other = await roomWith(a);
        const sent: string[] = [];
        for (let i = 0; i < 5; i++) {
          sent.push(
            (await a.call("msg.send", { room, body: `Zebrafish report number ${i}`, cid: `z${i}` })).id,
          );
        }
        await b.call("msg.send", { room, body: "the zebrafish escaped", cid: "b1" });
        await a.call("msg.send", { room: other, body: "zebrafish in the other room", cid: "o1" });
        const page1 = await a.call("search", { query: "zebrafish report", limit: 2 });
        expect(page1.results.map((r) => r.id)).toEqual([sent[4], sent[3]]);
        expect(page1.results[0]).toMatchObject({
          room,
          seq: 5,
          from: p("se-a"),
          body: "Zebrafish report number 4",
        });
        const r0 = page1.results[0]!;
        expect(r0.highlights.map(([s, e]) => r0.snippet.slice(s, e).toLowerCase())).toEqual([
          "zebrafish",
          "report",
        ]);
        const page2 = await a.call("search", {
          query: "zebrafish report",
          limit: 2,
          before: page1.next!.before,
        });
        expect(page2.results.map((r) => r.id)).toEqual([sent[2], sent[1]]);
        const page3 = await a.call("search", { query: "zebrafish report", limit: 2, ...page2.next });
        expect(page3.results.map((r) => r.id)).toEqual([sent[0]]);
        expect(page3.next).toBeUndefined();
        expect((await a.call("search", { query: "zebra*" })).results).toHaveLength(7);
        expect(
          (await a.call("search", { query: `zebra* from:${p("se-b")}` })).results.map((r) => r.body),
        ).toEqual(["the zebrafish escaped"]);
        expect(
          (await a.call("search", { query: `zebrafish in:#${other}` })).results.map((r) => r.room),
        ).toEqual([other]);
        expect((await a.call("search", { query: '"fish report"' })).results).toHaveLength(0);
        expect((await a.call("search", { query: '"report number 3"' })).results.map((r) => r.id)).toEqual([
          sent[3],
        ]);
        // Operators and stray quotes of the index's own syntax are plain words here, never errors.
        expect((await a.call("search", { query: 'NOT OR AND a"b NEAR( * "' })).results).toEqual([]);
        expect(await a.codeOf("search", { query: "from:nobody" })).toBe("INVALID_PARAMS");
        expect(await b.codeOf("search", { query: `zebrafish in:#${other}` })).toBe("NOT_MEMBER");
      });

      it("ranks by relevance on request, paging by offset", async () => {
        const a = await user(p("rk-a"));
        const room = await roomWith(a);
        await a.call("msg.send", { room, body: "quokka", cid: "1" });
        await a.call("msg.send", {
          room,
          body: "a long note that mentions a quokka once among a great many other words",
          cid: "2",
        });
        await a.call("msg.send", { room, body: "quokka quokka quokka", cid: "3" });
        const top = await a.call("search", { query: "quokka", sort: "relevance", limit: 2 });
        expect(top.results.map((r) => r.body).sort()).toEqual(["quokka", "quokka quokka quokka"]);
        const rest = await a.call("search", {
          query: "quokka",
          sort: "relevance",
          limit: 2,
          offset: top.next!.offset,
        });
        expect(rest.results.map((r) => r.body)).toEqual([expect.stringMatching(/long note/)]);
      });

      it("never returns a room the user left or others' DMs; follows edits and deletions", async () => {
        const [a, b, c] = [await user(p("sv-a")), await user(p("sv-b")), await user(p("sv-c"))];
        const room = await roomWith(a, c);
        await a.call("msg.send", { room, body: "okapi sighting in the room", cid: "1" });
        await a.call("msg.send", { user: p("sv-b"), body: "okapi secret for b", cid: "2" });
        expect((await c.call("search", { query: "okapi" })).results.map((r) => r.room)).toEqual([room]);
        expect((await b.call("search", { query: "okapi" })).results.map((r) => r.user)).toEqual([p("sv-a")]);
        await c.call("room.leave", { room });
        expect((await c.call("search", { query: "okapi" })).results).toEqual([]);
        expect((await a.call("search", { query: "okapi" })).results).toHaveLength(2);
        const dm = (await a.call("search", { query: "okapi", user: p("sv-b") })).results[0]!;
        await a.call("msg.edit", { messageId: dm.id, body: "nothing to see" });
        expect((await b.call("search", { query: "okapi" })).results).toEqual([]);
        expect((await b.call("search", { query: "nothing" })).results.map((r) => r.id)).toEqual([dm.id]);
        await a.call("msg.delete", { messageId: dm.id });
        expect((await b.call("search", { query: "nothing" })).results).toEqual([]);
      });
    });
  });
}

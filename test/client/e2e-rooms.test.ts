/**
 * End-to-end encrypted rooms through the SDK against a real hub: three users exchange sealed messages
 * while every byte between them and the hub is captured, and the hub's database files are read back —
 * the random markers of their words appear in neither. An offline member catches up in order, a kicked
 * member gets nothing sent after the kick (and cannot open it after rejoining), a byte flipped by a
 * proxy is rejected with a visible warning, a cut link during a burst loses and doubles nothing, a
 * direct copy shows at once and gives way to the hub's, never twice; the hub's own checks; a hub that
 * withholds a message is caught by the counter; a device a lying hub adds to a verified member is
 * never sealed to.
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { E2eRooms, PeerChats, type E2eNotice, type ParleyClient } from "../../src/client/index.js";
import type { Message } from "../../src/protocol/index.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { startTcpProxy, type TcpProxy } from "../peer/helpers/proxy.js";
import { openChat, p2pUser, verifyEachOther, type P2pUser } from "./p2p-helpers.js";
import { startLyingHub, type Frame } from "../helpers/lying-hub.js";
import { deviceWith } from "../../src/peer/device.js";
import { testClient, waitFor } from "./helpers.js";
import { startWsProxy } from "./ws-proxy.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

interface Member extends P2pUser {
  e2e: E2eRooms;
  notices: E2eNotice[];
}

async function member(
  url: string,
  name: string,
  options: { login?: boolean; dir?: string; devicesTtlMs?: number } = {},
): Promise<Member> {
  let user: P2pUser;
  if (options.dir === undefined) user = await p2pUser(url, name, cleanups, { login: options.login ?? false });
  else {
    // The same device again (its keys are in its folder): a member coming back.
    const client = testClient(url, options.dir);
    cleanups.push(() => client.close());
    await client.connect();
    const p2p = await PeerChats.start(client, { configDir: options.dir, listen: { host: "127.0.0.1" } });
    cleanups.push(() => p2p.close());
    await client.login(name, "correct-horse-battery");
    await p2p.announce();
    user = { name, dir: options.dir, client, p2p, requests: [], warnings: [] };
  }
  const e2e = E2eRooms.forPeer(
    user.client,
    user.p2p,
    options.devicesTtlMs === undefined ? {} : { devicesTtlMs: options.devicesTtlMs },
  );
  cleanups.push(async () => e2e.close());
  const notices: E2eNotice[] = [];
  e2e.on("notice", (n) => notices.push(n));
  return { ...user, e2e, notices };
}

const marker = () => `marker-${randomBytes(8).toString("hex")}`;

function roomMessages(client: ParleyClient, room: string): readonly Message[] {
  return client.state.rooms[room]?.messages ?? [];
}

/** The texts `m` can read in `room`, in the hub's order (waits until every sealed message is checked). */
async function texts(m: Member, room: string, count: number): Promise<string[]> {
  await waitFor(`${m.name} has ${count} checked messages in ${room}`, () => {
    const list = roomMessages(m.client, room);
    return list.length >= count && list.every((x) => m.e2e.view(x) !== undefined);
  });
  return roomMessages(m.client, room).map((x) => m.e2e.view(x)?.text ?? `<${m.e2e.view(x)?.warning}>`);
}

/** Every file of the hub's data folder (database, WAL, …), as one text. */
async function hubFiles(hub: TestHub): Promise<string> {
  const parts: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else parts.push((await readFile(path)).toString("latin1"));
    }
  };
  await walk(hub.dataDir);
  return parts.join("\n");
}

async function hubWithWire(): Promise<{ hub: TestHub; wire: TcpProxy; url: string }> {
  const hub = await startHub({ insecure: true });
  cleanups.push(() => hub.stop());
  const wire = await startTcpProxy({ host: "127.0.0.1", port: hub.port });
  cleanups.push(() => wire.close());
  return { hub, wire, url: `ws://127.0.0.1:${wire.port}/v1` };
}

async function threeInARoom(url: string, room = "secret") {
  const alice = await member(url, "alice");
  const bob = await member(url, "bob");
  const carol = await member(url, "carol");
  const created = await alice.client.createRoom({ name: room, e2e: true });
  expect(created.info.e2e).toBe(true);
  await bob.client.joinRoom(room);
  await carol.client.joinRoom(room);
  return { alice, bob, carol };
}

/** alice reaches the hub through a proxy that can rewrite what she is told; bob directly. Both are in
 * the e2e room "secret" and have verified each other. */
async function verifiedBehindLyingHub() {
  const hub = await startHub({ insecure: true });
  cleanups.push(() => hub.stop());
  const lying = await startLyingHub(hub.url);
  cleanups.push(() => lying.close());
  const alice = await member(lying.url, "alice");
  const bob = await member(hub.url, "bob");
  await alice.client.createRoom({ name: "secret", e2e: true });
  await bob.client.joinRoom("secret");
  await verifyEachOther(alice, bob);
  return { lying, alice, bob };
}

describe("end-to-end encrypted rooms", () => {
  it("three users exchange messages; neither the hub's traffic nor its files hold a word of them", async () => {
    const { hub, wire, url } = await hubWithWire();
    const { alice, bob, carol } = await threeInARoom(url);
    const words = [marker(), marker(), marker(), marker()];
    await alice.e2e.send("secret", `hello ${words[0]}`);
    await bob.e2e.send("secret", `hi ${words[1]}`);
    await carol.e2e.send("secret", `hey ${words[2]}`);
    await alice.e2e.send("secret", `bye ${words[3]}`);
    const expected = [`hello ${words[0]}`, `hi ${words[1]}`, `hey ${words[2]}`, `bye ${words[3]}`];
    for (const m of [alice, bob, carol]) {
      expect(await texts(m, "secret", 4)).toEqual(expected);
      expect(m.notices.filter((n) => n.kind !== "membership")).toEqual([]);
    }
    // The hub saw envelopes, and nothing of the words: not on the wire, not in its files.
    const traffic = wire.captured().toString("latin1");
    expect(traffic).toContain('"e2e"');
    const files = await hubFiles(hub);
    for (const w of words) {
      expect(traffic).not.toContain(w);
      expect(files).not.toContain(w);
    }
    // A plain message is refused in an e2e room (the hub would read it).
    await expect(
      alice.client.call("msg.send", { room: "secret", body: "plain words", cid: "plain-1" }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMS" });
    // Edits, reactions and replies would reach the hub as plain text: refused until they are sealed.
    const [first, second] = roomMessages(alice.client, "secret");
    await expect(alice.client.edit(first!.id, "new words")).rejects.toMatchObject({ code: "INVALID_PARAMS" });
    await expect(bob.client.react(first!.id, "👍", true)).rejects.toMatchObject({ code: "INVALID_PARAMS" });
    await expect(
      bob.client.call("msg.send", { room: "secret", body: "a reply", cid: "reply-1", replyTo: first!.id }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMS", message: expect.stringMatching(/replies/) });
    // The hub's search has nothing to match in an e2e room: left out, and refused by name.
    const found = await bob.client.search({ query: "hello" });
    expect(found.results).toEqual([]);
    await expect(bob.client.search({ query: "hello", room: "secret" })).rejects.toMatchObject({
      code: "INVALID_PARAMS",
    });
    // Deletion reveals nothing and works: everyone gets the tombstone.
    await bob.client.deleteMessage(second!.id);
    for (const m of [alice, bob, carol]) {
      await waitFor(`${m.name} sees the deletion`, () =>
        roomMessages(m.client, "secret").some((x) => x.id === second!.id && x.deleted === true),
      );
    }
  });

  it("a member who was offline receives everything, in order, on return", async () => {
    const { url } = await hubWithWire();
    const { alice, bob, carol } = await threeInARoom(url);
    await alice.e2e.send("secret", "before");
    await texts(carol, "secret", 1);
    // carol goes away (her device keeps its keys in its folder) …
    await carol.e2e.close();
    await carol.p2p.close();
    await carol.client.close();
    const sent = Array.from({ length: 12 }, (_, i) => `while away ${i}`);
    for (const [i, text] of sent.entries()) await (i % 2 === 0 ? alice : bob).e2e.send("secret", text);
    // … and comes back on the same device.
    const back = await member(url, "carol", { dir: carol.dir });
    await waitFor("carol's room is loaded", () => back.client.state.rooms["secret"] !== undefined);
    expect(await texts(back, "secret", 13)).toEqual(["before", ...sent]);
    expect(back.notices.filter((n) => n.kind === "withheld" || n.kind === "tampered")).toEqual([]);
  });

  it("a kicked member receives nothing sent after the kick, and cannot open it after rejoining", async () => {
    const { wire, url } = await hubWithWire();
    const { alice, bob, carol } = await threeInARoom(url);
    await alice.e2e.send("secret", "all three");
    await texts(carol, "secret", 1);
    await alice.client.call("room.kick", { room: "secret", username: "carol" });
    await waitFor("alice sees carol leave", () =>
      alice.notices.some((n) => n.kind === "membership" && n.text.includes("carol")),
    );
    const after = marker();
    await alice.e2e.send("secret", `after the kick ${after}`);
    expect(await texts(bob, "secret", 2)).toEqual(["all three", `after the kick ${after}`]);
    // carol's state dropped the room, and nothing after the kick reached her.
    await waitFor("carol's client drops the room", () => carol.client.state.rooms["secret"] === undefined);
    expect(carol.e2e.pendingDirect("secret")).toEqual([]);
    // The devices alice sealed to after the kick were bob's and her own only.
    const members = await alice.e2e.members("secret");
    expect(members.map((m) => m.user).sort()).toEqual(["alice", "bob"]);
    // carol comes back: the message sent while she was out is not sealed to her device.
    await carol.client.joinRoom("secret");
    const seen = await texts(carol, "secret", 2);
    expect(seen[0]).toBe("all three");
    expect(seen[1]).toContain("did not seal this message to this device");
    expect(wire.captured().toString("latin1")).not.toContain(after);
  });

  it("a tampered envelope (a proxy flips a byte) is rejected with a visible warning", async () => {
    const hub = await startHub({ insecure: true });
    cleanups.push(() => hub.stop());
    const proxy = await startWsProxy(hub.url);
    cleanups.push(() => proxy.close());
    const alice = await member(hub.url, "alice");
    const bob = await member(proxy.url, "bob");
    await alice.client.createRoom({ name: "secret", e2e: true });
    await bob.client.joinRoom("secret");
    await alice.e2e.send("secret", "untouched");
    expect(await texts(bob, "secret", 1)).toEqual(["untouched"]);
    // Flip one byte of the sealed body in every message event the hub sends bob.
    proxy.rewriteDown((text) => {
      const frame = JSON.parse(text) as { ev?: string; e2e?: { body: string } };
      if (frame.ev !== "message" || !frame.e2e) return text;
      const bytes = Buffer.from(frame.e2e.body, "base64");
      bytes[0] = bytes[0]! ^ 0x01;
      frame.e2e.body = bytes.toString("base64");
      return JSON.stringify(frame);
    });
    await alice.e2e.send("secret", "altered on the way");
    await waitFor("bob checked the second message", () => {
      const list = roomMessages(bob.client, "secret");
      return list.length === 2 && bob.e2e.view(list[1]!) !== undefined;
    });
    const second = bob.e2e.view(roomMessages(bob.client, "secret")[1]!)!;
    expect(second.state).toBe("rejected");
    expect(second.text).toBeUndefined();
    expect(second.warning).toMatch(/signature|altered/);
    expect(bob.notices.some((n) => n.kind === "tampered" && n.text.includes("alice"))).toBe(true);
    // alice's own copy went untouched.
    expect(await texts(alice, "secret", 2)).toEqual(["untouched", "altered on the way"]);
  });

  it("a link cut during a burst loses and doubles nothing", async () => {
    const { wire, url } = await hubWithWire();
    const { alice, bob } = await threeInARoom(url);
    const burst = Array.from({ length: 30 }, (_, i) => `burst ${i}`);
    const sending = Promise.all(burst.map((text) => alice.e2e.send("secret", text)));
    await waitFor("some of the burst reached bob", () => roomMessages(bob.client, "secret").length >= 5);
    wire.cut();
    await sending;
    for (const m of [alice, bob]) {
      expect(await texts(m, "secret", 30)).toEqual(burst);
      expect(roomMessages(m.client, "secret").map((x) => x.seq)).toEqual(burst.map((_, i) => i + 1));
      expect(
        m.notices.filter((n) => n.kind === "withheld" || n.kind === "reordered" || n.kind === "tampered"),
      ).toEqual([]);
    }
  });

  it("a member with a direct chat sees the message at once; the hub's copy takes its place, never twice", async () => {
    const hub = await startHub({ insecure: true });
    cleanups.push(() => hub.stop());
    const proxy = await startWsProxy(hub.url);
    cleanups.push(() => proxy.close());
    const alice = await member(hub.url, "alice");
    const bob = await member(proxy.url, "bob");
    await alice.client.createRoom({ name: "secret", e2e: true });
    await bob.client.joinRoom("secret");
    await waitFor(
      "alice knows bob is in",
      () => alice.client.state.rooms["secret"]?.members["bob"] !== undefined,
    );
    const { requester } = await openChat(alice, bob);
    expect(requester.path).toBe("direct");
    // What bob's screen shows of the room: hub copies that opened, then direct copies still waiting.
    const shown = () => [
      ...roomMessages(bob.client, "secret").flatMap((m) => {
        const text = bob.e2e.view(m)?.text;
        return text === undefined ? [] : [text];
      }),
      ...bob.e2e.pendingDirect("secret").map((d) => d.text),
    ];
    let most = 0;
    const sample = () => {
      most = Math.max(most, shown().filter((t) => t === "straight to you").length);
    };
    bob.e2e.on("change", sample);
    bob.client.on("change", sample);
    // bob knows the room's devices (alice's among them) before the hub's path to him turns slow …
    await bob.e2e.members("secret");
    // … so the direct copy is all he has, and he can check it.
    proxy.pauseDown(true);
    await alice.e2e.send("secret", "straight to you");
    await waitFor("bob has the direct copy", () => bob.e2e.pendingDirect("secret").length === 1);
    expect(roomMessages(bob.client, "secret")).toHaveLength(0);
    expect(shown()).toEqual(["straight to you"]);
    // The hub's copy arrives: it replaces the direct one at its seq.
    proxy.pauseDown(false);
    expect(await texts(bob, "secret", 1)).toEqual(["straight to you"]);
    await waitFor("the direct copy gave way", () => bob.e2e.pendingDirect("secret").length === 0);
    expect(shown()).toEqual(["straight to you"]);
    // A direct copy that comes after the hub's is ignored.
    await bob.e2e.acceptDirect("alice", "secret", roomMessages(bob.client, "secret")[0]!.e2e!);
    expect(bob.e2e.pendingDirect("secret")).toEqual([]);
    sample();
    expect(most).toBe(1);
  });

  it("the hub checks what it can: plain text refused, only current members' keys kept, the device limit", async () => {
    const hub = await startHub({ insecure: true, config: { e2eMaxDevices: 3 } });
    cleanups.push(() => hub.stop());
    const alice = await member(hub.url, "alice");
    const bob = await member(hub.url, "bob");
    const carol = await member(hub.url, "carol");
    const dave = await member(hub.url, "dave");
    await alice.client.createRoom({ name: "secret", e2e: true });
    await alice.client.createRoom({ name: "plain" });
    await bob.client.joinRoom("secret");
    const sealed = (keys: Record<string, Record<string, string>>) => ({
      v: 1 as const,
      device: alice.p2p.device.id,
      n: 1,
      iv: "AAAAAAAAAAAAAAAA",
      body: "AAAA",
      kc: "AAAA",
      sig: "AAAA",
      keys,
    });
    const id = (n: number) => n.toString(16).padStart(16, "0");
    const call = (params: Parameters<ParleyClient["call"]>[1] & object) =>
      alice.client.call("msg.send", params as never);
    await expect(
      call({ room: "plain", body: "", cid: "c1", e2e: sealed({ bob: { [id(1)]: "AAAA" } }) }),
    ).rejects.toMatchObject({
      code: "INVALID_PARAMS",
    });
    await expect(
      call({ room: "secret", body: "words", cid: "c2", e2e: sealed({ bob: { [id(1)]: "AAAA" } }) }),
    ).rejects.toMatchObject({
      code: "INVALID_PARAMS",
    });
    await expect(
      call({
        room: "secret",
        body: "",
        cid: "c3",
        e2e: sealed({ bob: { [id(1)]: "A", [id(2)]: "A" }, alice: { [id(3)]: "A", [id(4)]: "A" } }),
      }),
    ).rejects.toMatchObject({
      code: "INVALID_PARAMS",
      message: expect.stringMatching(/more than this hub allows/),
    });
    // carol is no member: her key is dropped, though the signed list of devices still names it.
    await call({
      room: "secret",
      body: "",
      cid: "c4",
      e2e: sealed({ bob: { [id(1)]: "AAAA" }, carol: { [id(2)]: "BBBB" } }),
    });
    const page = await bob.client.call("room.history", { room: "secret" });
    expect(page.messages).toHaveLength(1);
    expect(page.messages[0]!.body).toBe("");
    expect(page.messages[0]!.e2e).toMatchObject({ to: [id(1), id(2)], keys: { [id(1)]: "AAAA" } });
    const own = await alice.client.call("room.history", { room: "secret" });
    expect(own.messages[0]!.e2e?.keys).toEqual({});
    // An e2e room holds no more members than the device limit.
    await carol.client.joinRoom("secret");
    await expect(dave.client.joinRoom("secret")).rejects.toMatchObject({ code: "ROOM_FULL" });
  });

  it("a hub that withholds a message (and renumbers the rest to hide it) is caught by the sender's counter", async () => {
    const hub = await startHub({ insecure: true });
    cleanups.push(() => hub.stop());
    const proxy = await startWsProxy(hub.url);
    cleanups.push(() => proxy.close());
    const alice = await member(hub.url, "alice");
    const bob = await member(proxy.url, "bob");
    await alice.client.createRoom({ name: "secret", e2e: true });
    await bob.client.joinRoom("secret");
    // For bob, the hub hides seq 2 everywhere (live, history, replay) and shifts later seqs down by one,
    // so his client sees no hole in the seqs.
    const HIDDEN = 2;
    const shift = (m: { seq: number; e2e?: unknown }) => (m.seq > HIDDEN ? { ...m, seq: m.seq - 1 } : m);
    proxy.rewriteDown((text) => {
      const frame = JSON.parse(text) as Record<string, unknown> & { ev?: string; seq?: number };
      if (frame.ev === "message" && frame["room"] === "secret") {
        if (frame.seq === HIDDEN) return null;
        return JSON.stringify(shift(frame as { seq: number }));
      }
      const messages = frame["messages"] ?? frame["history"];
      if (Array.isArray(messages)) {
        const kept = (messages as { seq: number }[]).filter((m) => m.seq !== HIDDEN).map(shift);
        return JSON.stringify({ ...frame, [frame["messages"] ? "messages" : "history"]: kept });
      }
      return text;
    });
    for (const text of ["one", "two (withheld)", "three"]) await alice.e2e.send("secret", text);
    expect(await texts(bob, "secret", 2)).toEqual(["one", "three"]);
    const third = bob.e2e.view(roomMessages(bob.client, "secret")[1]!)!;
    expect(third.warning).toContain("1 message from alice before this one never arrived");
    expect(bob.notices.some((n) => n.kind === "withheld" && n.text.includes("alice"))).toBe(true);
    expect(await texts(alice, "secret", 3)).toEqual(["one", "two (withheld)", "three"]);
  });

  it("a device the hub adds to a verified member is KEY CHANGED: never sealed to, and said so", async () => {
    const { lying, alice, bob } = await verifiedBehindLyingHub();
    // The hub slips an unsigned device of its own into bob's list, as alice is given it.
    const planted = await deviceWith();
    lying.rewrite = (frame: Frame) => {
      const members = frame["members"] as { user: string; devices: Frame[] }[] | undefined;
      if (frame["ok"] !== true || !Array.isArray(members) || frame["maxDevices"] === undefined) return frame;
      for (const m of members) {
        if (m.user !== "bob") continue;
        m.devices.push({
          id: planted.id,
          key: planted.identity.publicKey,
          signKey: planted.signKey,
          encKey: planted.encKey,
          createdAt: 0,
          lastSeen: 0,
        });
      }
      return frame;
    };
    const devices = await alice.e2e.members("secret");
    expect(devices.find((d) => d.id === planted.id)).toMatchObject({
      user: "bob",
      trust: "changed",
      blocked: true,
    });
    expect(devices.find((d) => d.id === bob.p2p.device.id)).toMatchObject({
      trust: "verified",
      blocked: false,
    });
    expect(alice.notices.some((n) => n.kind === "device" && n.text.includes("KEY CHANGED"))).toBe(true);
    await alice.e2e.send("secret", "only for bob's real device");
    expect(await texts(bob, "secret", 1)).toEqual(["only for bob's real device"]);
    const copy = roomMessages(bob.client, "secret")[0]!.e2e!;
    expect(copy.to).not.toContain(planted.id);
    expect(copy.to).toContain(bob.p2p.device.id);
  });

  it("a hub that swaps a verified member's encryption key (the signature no longer covers it) is refused", async () => {
    const { lying, alice, bob } = await verifiedBehindLyingHub();
    // alice has seen bob's device as it is …
    expect((await alice.e2e.members("secret")).find((d) => d.user === "bob")).toMatchObject({
      trust: "verified",
      blocked: false,
    });
    // … then the hub gives her bob's device with an encryption key of its own.
    const swapped = (await deviceWith()).encKey;
    lying.rewrite = (frame: Frame) => {
      const members = frame["members"] as { user: string; devices: Frame[] }[] | undefined;
      if (frame["ok"] !== true || !Array.isArray(members) || frame["maxDevices"] === undefined) return frame;
      for (const m of members) if (m.user === "bob") for (const d of m.devices) d["encKey"] = swapped;
      return frame;
    };
    await bob.client.leaveRoom("secret");
    await bob.client.joinRoom("secret");
    await waitFor("alice saw bob come back", () =>
      alice.notices.some((n) => n.kind === "membership" && n.text.startsWith("bob joined")),
    );
    const bobDevice = (await alice.e2e.members("secret")).find((d) => d.user === "bob");
    expect(bobDevice).toMatchObject({ trust: "changed", blocked: true });
    await alice.e2e.send("secret", "not for the hub's key");
    const sent = roomMessages(alice.client, "secret").at(-1)!;
    expect(sent.e2e!.to).not.toContain(bob.p2p.device.id);
  });

  it("/devices rotate: new messages open with the new key, those sealed to the old one no longer do", async () => {
    const hub = await startHub({ insecure: true });
    cleanups.push(() => hub.stop());
    const alice = await member(hub.url, "alice");
    const bob = await member(hub.url, "bob", { devicesTtlMs: 0 });
    await alice.client.createRoom({ name: "secret", e2e: true });
    await bob.client.joinRoom("secret");
    await bob.e2e.send("secret", "before rotation");
    expect(await texts(alice, "secret", 1)).toEqual(["before rotation"]);
    const oldKey = alice.p2p.device.encKey;
    const standing = await alice.p2p.rotateKeys();
    expect(standing.signed).toBe(true);
    expect(alice.p2p.device.encKey).not.toBe(oldKey);
    // bob's next message is sealed to alice's new key (his list is fetched again, the new key signed).
    await bob.e2e.send("secret", "after rotation");
    expect(await texts(alice, "secret", 2)).toEqual(["before rotation", "after rotation"]);
    expect((await bob.e2e.members("secret")).find((d) => d.user === "alice")).toMatchObject({
      blocked: false,
    });
    // A new session on alice's device: the old message cannot be opened any more, the new one can.
    const again = E2eRooms.forPeer(alice.client, alice.p2p);
    cleanups.push(async () => again.close());
    await waitFor("alice's new session checked both", () =>
      roomMessages(alice.client, "secret").every((m) => again.view(m) !== undefined),
    );
    const [before, after] = roomMessages(alice.client, "secret").map((m) => again.view(m)!);
    expect(before).toMatchObject({ state: "rejected" });
    expect(before!.warning).toContain("/devices rotate");
    expect(after).toMatchObject({ state: "ok", text: "after rotation" });
  });
});

/** The admin ops over the protocol against a real hub: who may, what each does, and the audit log. */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, TestClient, login, registerAndLogin } from "../helpers/client.js";
import { startHub } from "../helpers/hub.js";
import { http } from "../helpers/http.js";

describe("admin ops on a running hub", () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  let root: TestClient;

  beforeAll(async () => {
    hub = await startHub({ config: { adminFirstUser: true } });
    root = await registerAndLogin(hub.url, "root");
  });
  afterAll(async () => {
    await root.close();
    await hub.stop();
  });

  it("makes the first registered user an admin and refuses admin ops to everyone else", async () => {
    const mallory = await registerAndLogin(hub.url, "mallory");
    try {
      expect(await mallory.codeOf("admin.users", {})).toBe("FORBIDDEN");
      expect(await mallory.codeOf("admin.suspend", { username: "root", reason: "x" })).toBe("FORBIDDEN");
      const { users } = await root.call("admin.users", {});
      expect(users.map((u) => [u.username, u.admin, u.online])).toEqual([
        ["mallory", false, true],
        ["root", true, true],
      ]);
      expect(await root.codeOf("admin.grant", { username: "nobody", on: true })).toBe("NO_SUCH_USER");
      await root.call("admin.grant", { username: "mallory", on: true });
      expect((await mallory.call("admin.users", { query: "ro" })).users.map((u) => u.username)).toEqual([
        "root",
      ]);
      await root.call("admin.grant", { username: "mallory", on: false });
      expect(await mallory.codeOf("admin.users", {})).toBe("FORBIDDEN");
    } finally {
      await mallory.close();
    }
  });

  it("suspends a user: their connection is told why and closes, and they cannot log in until lifted", async () => {
    const sam = await registerAndLogin(hub.url, "sam");
    await root.call("admin.suspend", { username: "sam", reason: "spamming #general" });
    const ended = await sam.nextEvent("session.ended");
    expect(ended).toMatchObject({ reason: "suspended", message: "spamming #general" });
    await sam.closed;
    const again = await TestClient.connect(hub.url);
    const reply = await again.request("login", { username: "sam", password: PASSWORD });
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe("SUSPENDED");
      expect(reply.error.message).toContain("spamming #general");
    }
    expect(await again.codeOf("resume", { token: sam.token })).toBe("SESSION_EXPIRED");
    const listed = (await root.call("admin.users", { query: "sam" })).users[0];
    expect(listed?.suspended?.reason).toBe("spamming #general");
    await root.call("admin.unsuspend", { username: "sam" });
    await again.call("login", { username: "sam", password: PASSWORD });
    await again.close();
  });

  it("resets a password with a one-time token, or sets one", async () => {
    const rita = await registerAndLogin(hub.url, "rita");
    const { resetToken } = await root.call("admin.password", { username: "rita" });
    expect(resetToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect((await rita.nextEvent("session.ended")).reason).toBe("password");
    const anon = await TestClient.connect(hub.url);
    const reset = { username: "rita", token: resetToken, password: "a brand new passphrase" };
    expect(await anon.codeOf("password.reset", { ...reset, token: "wrong" })).toBe("BAD_CREDENTIALS");
    await anon.call("password.reset", reset);
    expect(await anon.codeOf("password.reset", reset)).toBe("BAD_CREDENTIALS"); // once only
    await anon.call("login", { username: "rita", password: "a brand new passphrase" });
    expect(await root.codeOf("admin.password", { username: "rita", password: "short" })).toBe(
      "WEAK_PASSWORD",
    );
    await root.call("admin.password", { username: "rita", password: "set by the admin today" });
    await login(hub.url, "rita", "set by the admin today").then((c) => c.close());
    await anon.close();
  });

  it("shows a user's connections and kicks them", async () => {
    const kim = await registerAndLogin(hub.url, "kim");
    const second = await login(hub.url, "kim");
    const { connections } = await root.call("admin.connections", { username: "kim" });
    expect(connections).toHaveLength(2);
    expect(connections[0]).toMatchObject({ address: "127.0.0.1", node: expect.any(String) });
    await root.call("admin.kick", { username: "kim" });
    for (const c of [kim, second]) expect((await c.nextEvent("session.ended")).reason).toBe("kicked");
    await Promise.all([kim.closed, second.closed]);
    expect((await root.call("admin.connections", { username: "kim" })).connections).toEqual([]);
  });

  it("lists rooms, transfers ownership and takes a room down", async () => {
    const olga = await registerAndLogin(hub.url, "olga");
    const nina = await registerAndLogin(hub.url, "nina");
    await olga.call("room.create", { name: "bookclub" });
    await nina.call("room.join", { room: "bookclub" });
    const before = (await root.call("admin.rooms", { query: "book" })).rooms;
    expect(before).toEqual([expect.objectContaining({ name: "bookclub", owner: "olga", members: 2 })]);
    await root.call("admin.room.owner", { room: "bookclub", username: "nina" });
    expect(await nina.nextEvent("role.changed", (e) => e.username === "nina")).toMatchObject({
      role: "owner",
      reason: "transferred",
      by: "root",
    });
    const members = await olga.call("room.members", { room: "bookclub" });
    expect(members.members.map((m) => [m.username, m.role])).toEqual([
      ["olga", "admin"],
      ["nina", "owner"],
    ]);
    await root.call("admin.room.delete", { room: "bookclub", reason: "off-topic" });
    await olga.nextEvent("room.deleted");
    await nina.nextEvent("room.deleted");
    expect((await root.call("admin.rooms", {})).rooms.map((r) => r.name)).not.toContain("bookclub");
    await Promise.all([olga.close(), nina.close()]);
  });

  it("deletes a user: messages kept as from the deleted user, or erased; the name is free", async () => {
    const dan = await registerAndLogin(hub.url, "dan");
    const eve = await registerAndLogin(hub.url, "eve");
    await dan.call("room.create", { name: "lobby" });
    await eve.call("room.join", { room: "lobby" });
    await dan.call("msg.send", { room: "lobby", body: "hello from dan", cid: "d1" });
    await root.call("admin.delete", { username: "dan" });
    expect((await dan.nextEvent("session.ended")).reason).toBe("deleted");
    const history = await eve.call("room.history", { room: "lobby" });
    expect(history.messages.map((m) => [m.from, m.body])).toEqual([["deleted user", "hello from dan"]]);
    // eve inherited the room by succession
    expect((await eve.call("room.members", { room: "lobby" })).members).toEqual([
      expect.objectContaining({ username: "eve", role: "owner" }),
    ]);
    const newDan = await registerAndLogin(hub.url, "dan");
    await newDan.call("room.join", { room: "lobby" });
    await newDan.call("msg.send", { room: "lobby", body: "new dan here", cid: "n1" });
    await root.call("admin.delete", { username: "dan", erase: true });
    const after = await eve.call("room.history", { room: "lobby" });
    expect(after.messages.map((m) => m.body)).toEqual(["hello from dan"]);
    await eve.close();
  });

  it("lists rooms a page at a time", async () => {
    const pat = await registerAndLogin(hub.url, "pat");
    for (const name of ["Page-c", "page-a", "PAGE-b"]) await pat.call("room.create", { name });
    const names = async (params: { query: string; after?: string; limit?: number }) =>
      (await root.call("admin.rooms", params)).rooms.map((r) => r.name);
    expect(await names({ query: "page-" })).toEqual(["page-a", "PAGE-b", "Page-c"]);
    expect(await names({ query: "page-", limit: 2 })).toEqual(["page-a", "PAGE-b"]);
    expect(await names({ query: "page-", after: "PAGE-B", limit: 2 })).toEqual(["Page-c"]);
    expect(await root.codeOf("admin.rooms", { limit: 501 })).toBe("INVALID_PARAMS");
    await pat.close();
  });

  it("keeps a deleted user's files with kept messages and deletes them with erased ones", async () => {
    const gus = await registerAndLogin(hub.url, "gus");
    const share = async (name: string) => {
      const fay = await registerAndLogin(hub.url, "fay");
      await fay
        .call("room.join", { room: "photos" })
        .catch(() => fay.call("room.create", { name: "photos" }));
      await gus.call("room.join", { room: "photos" }).catch(() => undefined);
      const bytes = randomBytes(2048);
      const slot = await fay.call("file.prepare", { room: "photos", name, size: bytes.length });
      expect((await http(slot.uploadUrl, { method: "PUT", token: fay.token, body: bytes })).status).toBe(201);
      await fay.call("msg.send", { room: "photos", body: name, cid: name, file: slot.fileId });
      return { url: slot.uploadUrl, bytes };
    };
    const kept = await share("kept.bin");
    await root.call("admin.delete", { username: "fay" });
    const got = await http(kept.url, { token: gus.token });
    expect(got.status).toBe(200);
    expect(got.body.equals(kept.bytes)).toBe(true);

    // A new "fay" shares another file, then is deleted with her messages erased.
    const erased = await share("erased.bin");
    expect((await http(erased.url, { token: gus.token })).status).toBe(200);
    await root.call("admin.delete", { username: "fay", erase: true });
    expect((await http(erased.url, { token: gus.token })).status).toBe(404);
    expect((await http(kept.url, { token: gus.token })).status).toBe(200);
    const history = await gus.call("room.history", { room: "photos" });
    expect(history.messages.map((m) => [m.body, m.file?.name])).toEqual([["kept.bin", "kept.bin"]]);
    await gus.close();
  });

  it("keeps every admin action in the audit log, newest first", async () => {
    const { entries } = await root.call("admin.audit", { limit: 500 });
    const actions = entries.map((e) => `${e.actor} ${e.action} ${e.target ?? ""}`.trim());
    expect(actions).toContain("root suspend sam");
    expect(actions).toContain("root unsuspend sam");
    expect(actions).toContain("root kick kim");
    expect(actions).toContain("root room.owner bookclub");
    expect(actions).toContain("root room.delete bookclub");
    expect(actions).toContain("root delete dan");
    expect(actions.at(-1)).toBe("operator grant root"); // the first user, made admin at registration
    expect(entries.find((e) => e.action === "suspend")?.detail).toBe("spamming #general");
    const ids = entries.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });
});

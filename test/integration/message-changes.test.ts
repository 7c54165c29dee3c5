/**
 * Edit, delete, reply, reactions and search (#12) through a real hub on SQLite and on PostgreSQL,
 * plus what only one backend or one setting can show: the erased body's absence from SQLite's files,
 * and the edit window.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAndLogin, type TestClient } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { freshSchema, missingServices } from "../cluster/services.js";
import { describeMessageChanges } from "./message-changes.scenarios.js";

// Many users from one address, many changes in a row: the hub's limits are tested elsewhere.
const config = { rateLimits: false };

describeMessageChanges("sqlite", () => startHub({ config }));

const missing = await missingServices("postgres");
describe.skipIf(missing !== undefined)(`on PostgreSQL${missing ? ` (skipped: ${missing})` : ""}`, () => {
  describeMessageChanges("postgres", async () => {
    const { url, drop } = await freshSchema();
    const hub = await startHub({ config: { ...config, store: url } });
    return { ...hub, stop: async () => (await hub.stop(), await drop()) };
  });
});

describe("SQLite: a deleted body leaves no trace in the database files", () => {
  let hub: TestHub;
  const open: TestClient[] = [];
  beforeAll(async () => {
    hub = await startHub({ config });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await hub.stop();
  });

  async function filesContain(word: string): Promise<string[]> {
    const found: string[] = [];
    for (const name of await readdir(hub.dataDir)) {
      if (!name.startsWith("parley.db")) continue;
      const bytes = await readFile(join(hub.dataDir, name));
      if (bytes.includes(Buffer.from(word))) found.push(name);
    }
    return found;
  }

  it("erases it from the main file, the WAL, free pages and the full-text index (also an edit's body)", async () => {
    const a = await registerAndLogin(hub.url, "erase-a");
    open.push(a);
    await a.call("room.create", { name: "erase-room" });
    // Enough other messages that the erased one shares pages with them, as it would in a real room.
    for (let i = 0; i < 50; i++)
      await a.call("msg.send", { room: "erase-room", body: `filler ${i} `.repeat(20), cid: `f${i}` });
    const secret = await a.call("msg.send", {
      room: "erase-room",
      body: "the codeword is xylophonequartz",
      cid: "s",
    });
    await a.call("msg.edit", { messageId: secret.id, body: "the codeword is now marmaladetrombone" });
    const reply = await a.call("msg.send", {
      room: "erase-room",
      body: "noted",
      cid: "r",
      replyTo: secret.id,
    });
    expect(reply.seq).toBeGreaterThan(secret.seq);
    for (let i = 50; i < 60; i++)
      await a.call("msg.send", { room: "erase-room", body: `filler ${i}`, cid: `f${i}` });
    // The check can see the words: they are in the files before the deletion.
    expect(await filesContain("xylophonequartz")).not.toEqual([]);
    expect(await filesContain("marmaladetrombone")).not.toEqual([]);
    expect((await a.call("search", { query: "marmaladetrombone" })).results).toHaveLength(1);

    await a.call("msg.delete", { messageId: secret.id });
    expect(await filesContain("xylophonequartz")).toEqual([]);
    expect(await filesContain("marmaladetrombone")).toEqual([]);
    expect((await a.call("search", { query: "marmaladetrombone" })).results).toEqual([]);
    const { messages } = await a.call("room.history", { room: "erase-room", limit: 200 });
    expect(messages.find((m) => m.id === reply.id)!.quote).toEqual({
      from: "erase-a",
      text: "",
      deleted: true,
    });
  });
});

describe("the edit window (--edit-window)", () => {
  let hub: TestHub;
  let a: TestClient;
  beforeAll(async () => {
    hub = await startHub({ config: { editWindow: "1s" } });
    a = await registerAndLogin(hub.url, "window-a");
  });
  afterAll(async () => {
    await a.close();
    await hub.stop();
  });

  it("refuses an edit once it has passed, with FORBIDDEN", async () => {
    await a.call("room.create", { name: "window-room" });
    const m = await a.call("msg.send", { room: "window-room", body: "quick", cid: "q" });
    expect(await a.call("msg.edit", { messageId: m.id, body: "quick edit" })).toEqual({ seq: 2 });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await a.codeOf("msg.edit", { messageId: m.id, body: "too late" })).toBe("FORBIDDEN");
    // Deleting has no window.
    expect(await a.call("msg.delete", { messageId: m.id })).toEqual({ seq: 3 });
  });
});

/**
 * Admin actions in a cluster: a suspension made on one node ends the user's sessions on another at once,
 * and `admin.connections` finds connections on every node. Two in-process hubs share a fresh PostgreSQL
 * schema and Redis prefix.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, TestClient, login, registerAndLogin } from "../helpers/client.js";
import { startHub } from "../helpers/hub.js";
import { http } from "../helpers/http.js";
import { freshPrefix, freshSchema, missingServices } from "./services.js";

const missing = await missingServices("postgres", "redis");

describe.skipIf(missing !== undefined)(`admin in a cluster${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let schema: Awaited<ReturnType<typeof freshSchema>>;
  let prefix: ReturnType<typeof freshPrefix>;
  let nodes: Array<Awaited<ReturnType<typeof startHub>>>;

  beforeAll(async () => {
    schema = await freshSchema();
    prefix = freshPrefix();
    nodes = [];
    for (const nodeId of ["a", "b"]) {
      nodes.push(
        await startHub({ config: { store: schema.url, bus: prefix.url, nodeId, adminFirstUser: true } }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await schema.drop();
    await prefix.drop();
  });

  it("a suspension on node a ends the user's sessions on node b at once; they cannot log in there", async () => {
    const root = await registerAndLogin(nodes[0]!.url, "root");
    const sue = await registerAndLogin(nodes[1]!.url, "sue");
    const { connections } = await root.call("admin.connections", { username: "sue" });
    expect(connections.map((c) => c.node)).toEqual(["b"]);
    await root.call("admin.suspend", { username: "sue", reason: "ban evasion" });
    expect(await sue.nextEvent("session.ended", () => true, 10_000)).toMatchObject({
      reason: "suspended",
      message: "ban evasion",
    });
    await sue.closed;
    const again = await TestClient.connect(nodes[1]!.url);
    expect(await again.codeOf("login", { username: "sue", password: PASSWORD })).toBe("SUSPENDED");
    expect(await again.codeOf("resume", { token: sue.token })).toBe("SESSION_EXPIRED");
    await root.call("admin.unsuspend", { username: "sue" });
    const back = await login(nodes[1]!.url, "sue");
    await root.call("admin.kick", { username: "sue" });
    expect((await back.nextEvent("session.ended", () => true, 10_000)).reason).toBe("kicked");
    await Promise.all([again.close(), root.close()]);
  }, 60_000);

  it("deleting a user with erase on node a deletes the files they shared on node b", async () => {
    const root = await login(nodes[0]!.url, "root");
    const fay = await registerAndLogin(nodes[1]!.url, "fay");
    const gus = await registerAndLogin(nodes[0]!.url, "gus");
    await fay.call("room.create", { name: "photos" });
    await gus.call("room.join", { room: "photos" });
    const bytes = randomBytes(4096);
    const slot = await fay.call("file.prepare", { room: "photos", name: "a.bin", size: bytes.length });
    expect((await http(slot.uploadUrl, { method: "PUT", token: fay.token, body: bytes })).status).toBe(201);
    await fay.call("msg.send", { room: "photos", body: "", cid: "f1", file: slot.fileId });
    // Downloaded through the other node: the bytes are in PostgreSQL.
    const onA = slot.uploadUrl.replace(new URL(nodes[1]!.url).host, new URL(nodes[0]!.url).host);
    expect((await http(onA, { token: gus.token })).body.equals(bytes)).toBe(true);
    await root.call("admin.delete", { username: "fay", erase: true });
    expect((await http(onA, { token: gus.token })).status).toBe(404);
    expect((await gus.call("room.history", { room: "photos" })).messages).toEqual([]);
    await Promise.all([root.close(), gus.close(), fay.close()]);
  }, 60_000);
});

/**
 * Admin actions in a cluster: a suspension made on one node ends the user's sessions on another at once,
 * and `admin.connections` finds connections on every node. Two in-process hubs share a fresh PostgreSQL
 * schema and Redis prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, TestClient, login, registerAndLogin } from "../helpers/client.js";
import { startHub } from "../helpers/hub.js";
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
});

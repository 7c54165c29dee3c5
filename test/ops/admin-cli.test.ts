/**
 * `parley admin` as an operator runs it: the real CLI process, on a stopped hub's data folder and
 * against a running hub over wss.
 */
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, TestClient, login, registerAndLogin } from "../helpers/client.js";
import { CLI, ROOT, startHub, tempDir } from "../helpers/hub.js";

const run = promisify(execFile);

async function admin(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", CLI, "admin", ...args], {
      cwd: ROOT,
      env: { ...process.env, PARLEY_HUB: "", ...env },
      timeout: 60_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe("parley admin on a stopped hub's data folder", () => {
  let dataDir: string;
  const offline = (...args: string[]) => admin(["--data-dir", dataDir, ...args]);

  beforeAll(async () => {
    dataDir = await tempDir();
    const hub = await startHub({ dataDir });
    const alice = await registerAndLogin(hub.url, "alice");
    const bob = await registerAndLogin(hub.url, "bob");
    await alice.call("room.create", { name: "town" });
    await bob.call("room.join", { room: "town" });
    await bob.call("msg.send", { room: "town", body: "bob was here", cid: "b1" });
    await Promise.all([alice.close(), bob.close()]);
    await hub.stop();
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("runs every command as the operator; the hub started again sees the result", async () => {
    expect((await offline("grant", "alice")).stdout).toContain("alice is now a server admin");
    const users = await offline("users");
    expect(users.stdout).toMatch(/^alice .*admin/m);
    expect(users.stdout).toMatch(/^bob /m);
    expect(JSON.parse((await offline("users", "b", "--json")).stdout)).toEqual([
      expect.objectContaining({ username: "bob", admin: false }),
    ]);

    const token = await offline("password", "bob");
    expect(token.stdout).toMatch(/reset token for bob .*works once/);
    const resetToken = token.stdout.split("\n")[1]!;
    const set = await offline("password", "alice", "--set");
    expect(set.code).not.toBe(0); // no terminal to ask, no PARLEY_NEW_PASSWORD
    expect(
      (
        await admin(["--data-dir", dataDir, "password", "alice", "--set"], {
          PARLEY_NEW_PASSWORD: "alice's new one",
        })
      ).stdout,
    ).toContain("password of alice set");

    expect((await offline("suspend", "bob", "--reason", "cooling off")).stdout).toContain("bob is suspended");
    expect((await offline("rooms")).stdout).toMatch(/^#town {2}owner alice {2}2 members {2}1 messages/m);
    expect((await offline("transfer", "town", "bob")).stdout).toContain("bob now owns #town");
    expect((await offline("connections", "bob")).stdout).toContain("(no open connections)");
    expect((await offline("kick", "bob")).stdout).toContain("bob's sessions ended");
    const missing = await offline("suspend", "nobody", "--reason", "x");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("NO_SUCH_USER");

    const hub = await startHub({ dataDir });
    try {
      const anon = await TestClient.connect(hub.url);
      expect(await anon.codeOf("login", { username: "bob", password: PASSWORD })).toBe("SUSPENDED");
      const alice = await login(hub.url, "alice", "alice's new one");
      expect(
        (await alice.call("room.members", { room: "town" })).members.map((m) => [m.username, m.role]),
      ).toEqual([
        ["alice", "admin"],
        ["bob", "owner"],
      ]);
      // alice is a server admin on the running hub: the grant was stored.
      await alice.call("admin.unsuspend", { username: "bob" });
      await anon.call("password.reset", {
        username: "bob",
        token: resetToken,
        password: "bob's fresh password",
      });
      await login(hub.url, "bob", "bob's fresh password").then((c) => c.close());
      await Promise.all([anon.close(), alice.close()]);
    } finally {
      await hub.stop();
    }

    expect((await offline("takedown", "town", "--reason", "closing")).stdout).toContain("#town taken down");
    expect((await offline("delete", "bob")).stdout).toContain("bob deleted");
    expect((await offline("rooms")).stdout).toContain("(no rooms)");
    const audit = (await offline("audit")).stdout.split("\n");
    expect(audit[0]).toMatch(/^\d+ {2}\S+ {2}operator {2}delete {2}bob/);
    for (const action of [
      "room.delete  town",
      "unsuspend  bob",
      "suspend  bob",
      "room.owner  town",
      "grant  alice",
    ]) {
      expect(audit.some((line) => line.includes(action))).toBe(true);
    }
    // The unsuspend came from alice over the protocol, the rest from the operator.
    expect(audit.find((line) => line.includes("unsuspend"))).toContain("alice  unsuspend");
  }, 240_000);
});

describe("parley admin against a running hub", () => {
  let hub: Awaited<ReturnType<typeof startHub>>;
  let configDir: string;
  const online = (...args: string[]) =>
    admin(["--hub", hub.url, "--user", "root", "--config-dir", configDir, ...args], {
      PARLEY_PASSWORD: PASSWORD,
    });

  beforeAll(async () => {
    configDir = await tempDir("parley-admin-cli-");
    hub = await startHub({ config: { adminFirstUser: true } });
    await registerAndLogin(hub.url, "root").then((c) => c.close());
  });
  afterAll(async () => {
    await hub.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  it("suspends, shows connections, kicks and lists through the admin ops", async () => {
    const zoe = await registerAndLogin(hub.url, "zoe");
    const connections = await online("connections", "zoe");
    expect(connections.stdout).toMatch(/^\S+:\d+ {2}node \S+ {2}from 127\.0\.0\.1 {2}since /m);
    expect((await online("kick", "zoe")).stdout).toContain("zoe's sessions ended");
    expect((await zoe.nextEvent("session.ended")).reason).toBe("kicked");
    const zoe2 = await login(hub.url, "zoe");
    expect((await online("suspend", "zoe", "--reason", "rude")).code).toBe(0);
    expect(await zoe2.nextEvent("session.ended")).toMatchObject({ reason: "suspended", message: "rude" });
    expect((await online("users", "--json")).stdout).toContain('"reason":"rude"');
    expect((await online("audit")).stdout).toMatch(/root {2}suspend {2}zoe {2}\(rude\)/);
  }, 120_000);

  it("refuses a non-admin, and refuses changing a running hub's folder behind its back", async () => {
    await registerAndLogin(hub.url, "pleb").then((c) => c.close());
    const refused = await admin(["--hub", hub.url, "--user", "pleb", "--config-dir", configDir, "users"], {
      PARLEY_PASSWORD: PASSWORD,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("FORBIDDEN");
    const behind = await admin(["--data-dir", hub.dataDir, "suspend", "zoe", "--reason", "x"]);
    expect(behind.code).toBe(1);
    expect(behind.stderr).toMatch(/a hub is running on .* --hub wss:\/\/127\.0\.0\.1:\d+ --user ADMIN/);
    // Reading, and granting, are fine beside it.
    expect((await admin(["--data-dir", hub.dataDir, "grant", "pleb"])).code).toBe(0);
  }, 120_000);
});

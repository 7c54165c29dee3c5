/** `parley send` as a script would run it: the real CLI process against a real hub over wss. */
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, registerAndLogin, type TestClient } from "../helpers/client.js";
import { CLI, ROOT, startHub, tempDir, type TestHub } from "../helpers/hub.js";

const run = promisify(execFile);
let hub: TestHub;
let owner: TestClient;
let configDir: string;

beforeAll(async () => {
  hub = await startHub();
  configDir = await tempDir("parley-send-config-");
  owner = await registerAndLogin(hub.url, "scripter");
  await owner.call("room.create", { name: "deploys" });
  await registerAndLogin(hub.url, "reader").then((c) => c.close());
});
afterAll(async () => {
  await owner.close();
  await hub.stop();
  await rm(configDir, { recursive: true, force: true });
});

function send(args: string[], input?: string) {
  const child = run(
    process.execPath,
    ["--import", "tsx", CLI, "send", "--hub", hub.url, "--config-dir", configDir, ...args],
    {
      cwd: ROOT,
      env: { ...process.env, PARLEY_PASSWORD: PASSWORD },
      timeout: 30_000,
    },
  );
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return child;
}

describe("parley send", () => {
  it("sends to a room and exits 0 once acknowledged; the message is in the history", async () => {
    const { stdout } = await send(["--user", "scripter", "--room", "deploys", "deploy", "done"]);
    expect(stdout).toMatch(/^sent #1 at /);
    const { messages } = await owner.call("room.history", { room: "deploys" });
    expect(messages.map((m) => [m.from, m.body])).toEqual([["scripter", "deploy done"]]);
  }, 40_000);

  it("sends a DM read from standard input", async () => {
    await send(["--user", "scripter", "--to", "reader"], "from a pipe\n");
    const { messages } = await owner.call("dm.history", { user: "reader" });
    expect(messages.at(-1)?.body).toBe("from a pipe");
  }, 40_000);

  it("fails with the hub's error code and exit status 1 when not a member", async () => {
    const error = await send(["--user", "reader", "--room", "deploys", "hi"]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(error?.code).toBe(1);
    expect(error?.stderr).toContain("NOT_MEMBER");
  }, 40_000);
});

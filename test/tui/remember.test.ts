/** `--remember`: a kept session lets the next start in without the password; /logout and expiry forget it. */
import { statSync } from "node:fs";
import { mkdtemp, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParleyClient } from "../../src/client/index.js";
import { ChatController } from "../../src/tui/controller/controller.js";
import { SessionFile } from "../../src/tui/session-file.js";
import { startHub, type TestHub } from "../helpers/hub.js";

let hub: TestHub;
let dir: string;
const open: ChatController[] = [];

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function app(remember: boolean): ChatController {
  const client = new ParleyClient({ urls: hub.url, configDir: dir });
  const controller = new ChatController(client, {
    bell: () => {},
    openUrl: async () => {},
    exit: () => {},
    ...(remember ? { remember: { file: new SessionFile(dir), hub: hub.url } } : {}),
  });
  open.push(controller);
  controller.start();
  return controller;
}

beforeAll(async () => {
  hub = await startHub();
  dir = await mkdtemp(join(tmpdir(), "parley-remember-"));
});

afterAll(async () => {
  for (const c of open) await c.quit();
  await hub?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("--remember", () => {
  it("is off by default: nothing is written", async () => {
    const first = app(false);
    expect(await first.register({ username: "carol", password: "correct horse 1" })).toBe(true);
    await expect(readFile(join(dir, "sessions.json"), "utf8")).rejects.toThrow();
    await first.quit();
  });

  it("keeps the session in a file only you can read, and the next start resumes it", async () => {
    const first = app(true);
    expect(await first.register({ username: "alice", password: "correct horse 1" })).toBe(true);
    const file = join(dir, "sessions.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))[hub.url].username).toBe("alice");
    await first.quit();

    const second = app(true);
    await until(() => second.getSnapshot().phase === "chat", "the saved session to be resumed");
    expect(second.getSnapshot().client.me?.username).toBe("alice");
    await second.logout();
    expect(JSON.parse(await readFile(file, "utf8"))[hub.url]).toBeUndefined();
    await second.quit();

    const third = app(true);
    await until(() => third.getSnapshot().status.state === "online", "the connection");
    await new Promise((r) => setTimeout(r, 200));
    expect(third.getSnapshot().phase).toBe("login");
  });

  it("forgets a session the hub no longer knows and asks for the password", async () => {
    new SessionFile(dir).set(hub.url, {
      username: "alice",
      token: "not-a-real-token",
      expiresAt: Date.now() + 60_000,
    });
    const controller = app(true);
    await until(() => controller.getSnapshot().loginError !== null, "the refusal");
    expect(controller.getSnapshot().phase).toBe("login");
    expect(controller.getSnapshot().loginError).toBe("Your saved session for alice has ended; log in again");
    expect(new SessionFile(dir).get(hub.url, undefined)).toBeUndefined();
  });
});

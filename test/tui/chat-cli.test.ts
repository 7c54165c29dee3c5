/** `parley chat` as a command: its settings file and its refusal to run without a terminal. */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readChatSettings } from "../../src/cli/chat.js";
import { CLI, ROOT } from "../helpers/hub.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "parley-chat-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readChatSettings", () => {
  it("is empty when there is no config.toml", () => {
    expect(readChatSettings(join(dir, "nothing-here"))).toEqual({});
  });

  it("reads hub and user at the top level or under [chat]", async () => {
    const top = join(dir, "top");
    const section = join(dir, "section");
    await mkdir(top);
    await mkdir(section);
    await writeFile(join(top, "config.toml"), 'hub = "wss://example.org:7447"\nuser = "alice"\n');
    await writeFile(join(section, "config.toml"), '[chat]\nhub = "ws://127.0.0.1:9000"\n');
    expect(readChatSettings(top)).toEqual({ hub: "wss://example.org:7447", user: "alice" });
    expect(readChatSettings(section)).toEqual({ hub: "ws://127.0.0.1:9000" });
  });

  it("names the file when it cannot be read as TOML", async () => {
    const bad = join(dir, "bad");
    await mkdir(bad);
    await writeFile(join(bad, "config.toml"), "hub = = nope");
    expect(() => readChatSettings(bad)).toThrow(join(bad, "config.toml"));
  });
});

describe("parley chat without a terminal", () => {
  it("exits 1 and says to use a terminal (or parley send)", async () => {
    const run = promisify(execFile);
    const result = await run(process.execPath, ["--import", "tsx", CLI, "chat", "wss://127.0.0.1:1"], {
      cwd: ROOT,
      env: { ...process.env, PARLEY_CONFIG_DIR: dir },
      timeout: 20_000,
    }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("parley chat needs a terminal");
    expect(result.stderr).toContain("parley send");
  });
});

/** close() settles even when nothing else keeps the process alive (a regression: `parley send` exited 0 silently). */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, expect, it } from "vitest";
import { ROOT, startHub } from "../helpers/hub.js";
import { removeDir, tempConfigDir } from "./helpers.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups.length = 0;
});

it("close() resolves in a process with nothing else to do", async () => {
  const hub = await startHub();
  cleanups.push(() => hub.stop());
  const dir = await tempConfigDir();
  cleanups.push(() => removeDir(dir));
  const script = join(ROOT, "test/client/fixtures/close-then-exit.ts");
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script, hub.url, dir], {
    cwd: ROOT,
    timeout: 20_000,
  });
  expect(stdout.trim()).toBe("closed");
}, 30_000);

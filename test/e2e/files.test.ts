/**
 * Files in `parley chat`, end to end in real terminals (tmux) against a real hub: /upload with its
 * progress bar and Esc to cancel, the file message with its number, /save to the download folder
 * (never overwriting), and /open of an image (through a signed URL, in the "browser").
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type TestHub } from "../helpers/hub.js";
import { terminalKit } from "./terminal-kit.js";
import { haveTmux } from "./tmux.js";
import { opaqueBytes } from "../helpers/bytes.js";

const WIDTH = 110;
const HEIGHT = 30;

let hub: TestHub;
let work: string;
const { chat, register, paneText, sees, closeAll } = terminalKit({
  width: WIDTH,
  height: HEIGHT,
  hubUrl: () => hub.url,
  workDir: () => work,
});

function sha(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

describe.skipIf(!haveTmux())("files in parley chat (tmux)", () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "parley-e2e-files-"));
    hub = await startHub({ config: { maxFileBytes: 200 * 1024 * 1024, fileQuotaBytes: 1024 * 1024 * 1024 } });
  });

  afterAll(async () => {
    closeAll();
    await hub?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(
    "/upload shows progress and a numbered file message; /save downloads it; /open shows an image; Esc cancels",
    {
      timeout: 240_000,
    },
    async () => {
      const downloads = join(work, "downloads");
      await mkdir(downloads);
      const browser = join(work, "browser.sh");
      await writeFile(browser, `#!/bin/sh\necho "$1" >> ${join(work, "opened")}\n`, { mode: 0o755 });
      const alice = chat("alice");
      const bob = chat("bob", { XDG_DOWNLOAD_DIR: downloads, BROWSER: browser });
      await register(alice, "alice", "correct horse 1");
      await register(bob, "bob", "battery staple 2");
      alice.line("/create share");
      await alice.waitFor(/#share \(owner\)/);
      bob.line("/join share");
      await bob.waitFor(/#share \(member\)/);

      // A 3 MiB file: Alice uploads it; both see it with its name, size, type and number.
      const bytes = opaqueBytes(3 * 1024 * 1024);
      const path = join(work, "report data.bin");
      await writeFile(path, bytes);
      alice.line(`/upload ${path}`);
      const shown = "file: report data.bin (3.0 MiB, application/octet-stream)[1]";
      await sees(alice, shown);
      await sees(bob, shown);
      await alice.waitFor("uploaded report data.bin (3.0 MiB, application/octet-stream)");

      // Bob saves it to his download folder, twice: the second copy gets a new name.
      bob.line("/save 1");
      await sees(bob, `Saved report data.bin (3.0 MiB) to ${join(downloads, "report data.bin")}`);
      expect(sha(readFileSync(join(downloads, "report data.bin")))).toBe(sha(bytes));
      bob.line("/save 1");
      await sees(bob, `to ${join(downloads, "report data (1).bin")}`);
      expect(sha(readFileSync(join(downloads, "report data (1).bin")))).toBe(sha(bytes));
      bob.line("/save 7");
      await sees(bob, "links and files here are numbered 1 to 1");

      // An image: /open shows it in the browser through a signed URL (no token in it).
      const image = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#3366cc" } })
        .png()
        .toBuffer();
      await writeFile(join(work, "pic.png"), image);
      alice.line(`/upload ${join(work, "pic.png")}`);
      await sees(bob, "file: pic.png (");
      await sees(bob, "image/png)[2]");
      bob.line("/open 2");
      await sees(bob, "Opened pic.png in the browser");
      const opened = join(work, "opened");
      await bob.waitFor(
        () =>
          existsSync(opened) && /\/v1\/files\/[^?]+\?u=\d+&exp=\d+&sig=/.test(readFileSync(opened, "utf8")),
      );
      // A saved file opens from disk.
      bob.line("/save 2");
      await sees(bob, `to ${join(downloads, "pic.png")}`);
      bob.line("/open 2");
      await sees(bob, `Opened ${join(downloads, "pic.png")}`);

      // A big upload shows a progress bar; Esc cancels it and nothing is sent.
      const big = join(work, "big.bin");
      await writeFile(big, randomBytes(150 * 1024 * 1024));
      alice.line(`/upload ${big}`);
      await alice.waitFor(/uploading big\.bin \[[#-]{20}\] \d+% .* · Esc cancels/);
      alice.press("Escape");
      await sees(alice, "uploading big.bin: cancelled");
      expect(paneText(bob.screen())).not.toContain("file: big.bin");
    },
  );
});

/// <reference lib="dom" />
/**
 * Files in the browser client, in real Chromium against a real hub: the attach button, dropping a
 * file, pasting an image; images shown as thumbnails that open the full image, other files as cards
 * with a download link; and the other side (the SDK over the protocol) gets the same files.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { roomKey, type ParleyClient } from "../../src/client/index.js";
import { uploadFile } from "../../src/client/files.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "../client/helpers.js";
import {
  HAVE_CHROMIUM,
  ensureWebBuild,
  launchChromium,
  openPage,
  webUrlOf,
  type LaunchedBrowser,
} from "./browser.js";
import { tempDir } from "../helpers/hub.js";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";

const PASSWORD = "correct-horse-battery";
const EXPECTED_ERRORS =
  /SSL certificate error occurred when fetching the script|Failed to register a ServiceWorker/;

const sha = (bytes: Buffer | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe.skipIf(!HAVE_CHROMIUM)("files in the browser client", () => {
  let hub: TestHub;
  let chromium: LaunchedBrowser;
  const sdks: ParleyClient[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    ensureWebBuild();
    hub = await startHub();
    chromium = await launchChromium();
  }, 120_000);

  afterEach(async () => {
    await Promise.all(sdks.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await chromium?.close();
    await hub?.stop();
    await Promise.all(dirs.map((d) => removeDir(d)));
  });

  it("attach, drop and paste upload files; images show as thumbnails, others as cards; both sides get them", async () => {
    const dir = await tempConfigDir();
    dirs.push(dir);
    const bob = testClient(hub.url, dir);
    sdks.push(bob);
    await bob.connect();
    await signUp(bob, "bob");
    await bob.createRoom({ name: "pics" });

    const { page, context, errors } = await openPage(chromium.browser, webUrlOf(hub.url));
    await page.getByLabel("Username").fill("alice");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByRole("navigation", { name: "Conversations" }).waitFor();
    const box = page.getByRole("textbox", { name: "Message" });
    await box.fill("/join pics");
    await box.press("Enter");
    await page.getByRole("heading", { name: "#pics" }).waitFor();

    // The attach button's file picker: a text file becomes a card with a download link.
    const notes = Buffer.from("minutes of the meeting\n".repeat(200));
    await page
      .getByLabel("Files to share")
      .setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: notes });
    const card = page.getByRole("group", { name: "File notes.txt" });
    await card.waitFor();
    expect(await card.textContent()).toContain("text/plain");
    const download = card.getByRole("link", { name: "Download" });
    expect(await download.getAttribute("download")).toBe("notes.txt");
    const href = (await download.getAttribute("href")) ?? "";
    expect(href).toMatch(/\/v1\/files\/[^?]+\?u=\d+&exp=\d+&sig=/);
    const fetched = await page.evaluate(async (url) => {
      const res = await fetch(url);
      return {
        status: res.status,
        text: await res.text(),
        disposition: res.headers.get("content-disposition"),
      };
    }, href);
    expect(fetched.status).toBe(200);
    expect(sha(Buffer.from(fetched.text))).toBe(sha(notes));
    expect(fetched.disposition).toMatch(/^attachment/);
    await waitFor("bob to get notes.txt", () =>
      (bob.state.rooms["pics"]?.messages ?? []).some((m) => m.file?.name === "notes.txt"),
    );

    // Dropping an image on the messages: a thumbnail that links to the full image.
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#22aa66" } })
      .png()
      .toBuffer();
    await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
      document
        .querySelector('[role="log"]')!
        .dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    }, png.toString("base64"));
    const thumb = page.getByRole("img", { name: /^dropped\.png \(/ });
    await thumb.waitFor();
    await page.waitForFunction(
      () => {
        const img = document.querySelector<HTMLImageElement>('img[alt^="dropped.png"]');
        return img !== null && img.complete && img.naturalWidth === 320;
      },
      undefined,
      { timeout: 20_000 },
    );
    const full = page.locator("a.file-image").filter({ has: thumb });
    expect(await full.getAttribute("target")).toBe("_blank");
    const fullHref = (await full.getAttribute("href")) ?? "";
    const image = await page.evaluate(async (url) => {
      const res = await fetch(url);
      return { type: res.headers.get("content-type"), disposition: res.headers.get("content-disposition") };
    }, fullHref);
    expect(image).toMatchObject({ type: "image/png" });
    expect(image.disposition).toMatch(/^inline/);

    // Pasting an image into the message box uploads it too.
    await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
      document
        .querySelector('textarea[aria-label="Message"]')!
        .dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, png.toString("base64"));
    await page.getByRole("img", { name: /^pasted\.png \(/ }).waitFor();
    await waitFor("bob to get both images", () =>
      ["dropped.png", "pasted.png"].every((name) =>
        (bob.state.rooms["pics"]?.messages ?? []).some((m) => m.file?.name === name && m.file.width === 640),
      ),
    );

    // And what bob shares from the SDK shows in the browser.
    const work = await tempDir();
    dirs.push(work);
    const report = join(work, "report.pdf");
    await writeFile(report, Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(5000, 1)]));
    const info = await uploadFile(bob, roomKey("pics"), report);
    await bob.send(roomKey("pics"), "the report", { file: info });
    const pdf = page.getByRole("group", { name: "File report.pdf" });
    await pdf.waitFor();
    expect(await pdf.textContent()).toContain("application/pdf");

    expect(errors.filter((e) => !EXPECTED_ERRORS.test(e))).toEqual([]);
    await context.close();
  });
});

/// <reference lib="dom" />
/**
 * The browser client in real Chromium against a real hub: elements are found by role and accessible
 * name, as outside tests do. The other side of each conversation is the SDK speaking the protocol.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { dmKey, roomKey, type ParleyClient } from "../../src/client/index.js";
import { startHub, tempDir, type TestHub } from "../helpers/hub.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "../client/helpers.js";
import {
  HAVE_CHROMIUM,
  ensureWebBuild,
  launchChromium,
  openPage,
  webUrlOf,
  type LaunchedBrowser,
} from "./browser.js";

const PASSWORD = "correct-horse-battery";
/** Chrome refuses service workers on a self-signed certificate; that is expected on test hubs. */
const EXPECTED_ERRORS =
  /(SSL certificate|An unknown) error occurred when fetching the script|Failed to register a ServiceWorker/;

function unexpected(errors: string[]): string[] {
  return errors.filter((e) => !EXPECTED_ERRORS.test(e));
}

async function register(page: Page, username: string): Promise<void> {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
}

async function type(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

function message(page: Page, text: string) {
  return page.getByRole("log").getByRole("listitem").filter({ hasText: text });
}

describe.skipIf(!HAVE_CHROMIUM)("browser client", () => {
  let hub: TestHub;
  let chromium: LaunchedBrowser;
  const sdks: ParleyClient[] = [];
  const dirs: string[] = [];

  async function sdkUser(name: string, url = hub.url): Promise<ParleyClient> {
    const dir = await tempConfigDir();
    dirs.push(dir);
    const client = testClient(url, dir);
    sdks.push(client);
    await client.connect();
    await signUp(client, name);
    return client;
  }

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

  it("registers (checking the password rule as you type), logs out and logs in again", async () => {
    const { page, context, errors } = await openPage(chromium.browser, webUrlOf(hub.url));
    await page.getByLabel("Username").fill("webreg");
    await page.getByLabel("Password").fill("password");
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByText("this password is on a list of common passwords").waitFor();
    await page.getByLabel("Password").fill("webreg");
    await page.getByText("passwords need at least 8 characters").waitFor();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByText("the hub accepts this password").waitFor();
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByRole("navigation", { name: "Conversations" }).waitFor();
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Log in" }).waitFor();
    await page.getByLabel("Username").fill("webreg");
    await page.getByLabel("Password").fill("wrong-password-here");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: "wrong username or password" }).waitFor();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("navigation", { name: "Conversations" }).waitFor();
    expect(unexpected(errors)).toEqual([]);
    await context.close();
  });

  it("chats in a room both ways with a protocol client, with formatting, a link, and HTML shown as text", async () => {
    const bob = await sdkUser("bob");
    await bob.createRoom({ name: "lounge" });
    const { page, context, errors } = await openPage(chromium.browser, webUrlOf(hub.url));
    let dialogs = 0;
    page.on("dialog", (d) => {
      dialogs += 1;
      void d.dismiss();
    });
    await register(page, "alice");
    await type(page, "/join lounge");
    await page.getByRole("heading", { name: "#lounge" }).waitFor();

    await bob.send(
      roomKey("lounge"),
      "hi alice, **bold** and *italic* and `code`, see https://example.org/docs",
    );
    const fromBob = message(page, "hi alice");
    await fromBob.waitFor();
    expect(await fromBob.textContent()).toContain("bob");
    expect(await fromBob.locator("strong").textContent()).toBe("bold");
    expect(await fromBob.locator("em").textContent()).toBe("italic");
    expect(await fromBob.locator("code").textContent()).toBe("code");
    const link = fromBob.getByRole("link", { name: "https://example.org/docs" });
    expect(await link.getAttribute("href")).toBe("https://example.org/docs");
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");

    await type(page, "hello bob");
    await waitFor("bob hears alice", () =>
      (bob.state.rooms["lounge"]?.messages ?? []).some((m) => m.from === "alice" && m.body === "hello bob"),
    );

    const attack = "<img src=x onerror=alert(1)>";
    await bob.send(roomKey("lounge"), attack);
    const shown = message(page, attack);
    await shown.waitFor();
    expect(await shown.locator(".body").textContent()).toBe(attack);
    expect(await page.getByRole("log").locator("img").count()).toBe(0);
    await type(page, "javascript:alert(2) and [x](javascript:alert(3))");
    await message(page, "javascript:alert(2)").waitFor();
    expect(await page.getByRole("log").locator('a[href^="javascript"]').count()).toBe(0);
    expect(dialogs).toBe(0);
    expect(unexpected(errors)).toEqual([]);
    await context.close();
  });

  it("a DM arriving while another view is open raises a notification and an unread badge", async () => {
    const carol = await sdkUser("carol");
    const { page, context } = await openPage(chromium.browser, webUrlOf(hub.url), { notifications: true });
    // Records each system notification the page raises, then lets the real one through.
    await context.addInitScript(() => {
      const w = window as unknown as { __notes: string[]; Notification: typeof Notification };
      w.__notes = [];
      const Real = w.Notification;
      w.Notification = class extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          w.__notes.push(`${title}: ${options?.body ?? ""}`);
        }
      };
    });
    await page.reload();
    await register(page, "dave");
    await type(page, "/create elsewhere");
    await page.getByRole("heading", { name: "#elsewhere" }).waitFor();

    await carol.send(dmKey("dave"), "are you there, dave?");
    const nav = page.getByRole("navigation", { name: "Conversations" });
    await nav
      .getByRole("button", { name: /@carol/ })
      .getByLabel("1 unread")
      .waitFor();
    await page.waitForFunction(() => (window as unknown as { __notes: string[] }).__notes.length > 0);
    const notes = await page.evaluate(() => (window as unknown as { __notes: string[] }).__notes);
    expect(notes).toEqual(["carol (direct message): are you there, dave?"]);
    expect(await page.title()).toMatch(/^\(1\) Parley/);

    await nav.getByRole("button", { name: /@carol/ }).click();
    await message(page, "are you there").waitFor();
    await page.getByRole("separator", { name: "New messages" }).waitFor();
    await nav.getByLabel("1 unread").waitFor({ state: "detached" });
    await context.close();
  });

  it("shows a kick and a ban from the browser side", async () => {
    const owner = await sdkUser("erin");
    await owner.createRoom({ name: "strict" });
    const { page, context } = await openPage(chromium.browser, webUrlOf(hub.url));
    await register(page, "frank");
    await type(page, "/join strict");
    await page.getByRole("heading", { name: "#strict" }).waitFor();
    await page.getByRole("complementary", { name: "Members" }).getByText("erin").waitFor();

    await owner.call("room.kick", { room: "strict", username: "frank", reason: "spam" });
    await page.getByRole("log").getByText("You were kicked from #strict by erin (spam)").waitFor();
    const nav = page.getByRole("navigation", { name: "Conversations" });
    await nav.getByRole("button", { name: "#strict" }).waitFor({ state: "detached" });

    await type(page, "/join strict");
    await page.getByRole("heading", { name: "#strict" }).waitFor();
    await owner.call("room.ban", { room: "strict", username: "frank" });
    await page.getByRole("log").getByText("You were banned from #strict by erin").waitFor();
    await type(page, "/join strict");
    await message(page, "/join: you are banned")
      .or(message(page, "BANNED"))
      .or(message(page, "banned from"))
      .first()
      .waitFor();
    expect(await nav.getByRole("button", { name: "#strict" }).count()).toBe(0);
    await context.close();
  });

  it("moderates from the member list, asking first", async () => {
    const member = await sdkUser("gina");
    const { page, context } = await openPage(chromium.browser, webUrlOf(hub.url));
    await register(page, "hank");
    await type(page, "/create club");
    await page.getByRole("heading", { name: "#club" }).waitFor();
    await member.joinRoom("club");
    const members = page.getByRole("complementary", { name: "Members" });
    await members.getByText("gina").waitFor();
    await members.getByLabel("Actions for gina").click();
    await members.getByRole("button", { name: "Kick" }).click();
    const dialog = page.getByRole("dialog", { name: "Kick gina?" });
    await dialog.getByRole("button", { name: "Kick" }).click();
    await message(page, "gina was kicked from #club").waitFor();
    await waitFor("gina is out", () => member.state.rooms["club"] === undefined);
    await context.close();
  });

  it("makes a room moderated and secret and gives voice from the member list", async () => {
    const member = await sdkUser("kim");
    const { page, context } = await openPage(chromium.browser, webUrlOf(hub.url));
    await register(page, "lena");
    await type(page, "/create stage");
    await page.getByRole("heading", { name: "#stage" }).waitFor();
    await member.joinRoom("stage");
    const members = page.getByRole("complementary", { name: "Members" });
    await members.getByText("kim").waitFor();
    await members.getByRole("checkbox", { name: /Moderated/ }).click();
    await message(page, "#stage is moderated now").waitFor();
    await page.getByRole("heading", { name: "#stage" }).getByText("moderated").waitFor();
    await expect(
      member.call("msg.send", { room: "stage", body: "hi", cid: "web-stage-1" }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await members.getByLabel("Actions for kim").click();
    await members.getByRole("button", { name: "Give voice" }).click();
    await message(page, "kim may now post in #stage").waitFor();
    await members.getByText("voice", { exact: true }).waitFor();
    await member.call("msg.send", { room: "stage", body: "thanks", cid: "web-stage-2" });
    await message(page, "thanks").waitFor();
    await members.getByRole("checkbox", { name: /Secret/ }).click();
    await message(page, "#stage is secret now").waitFor();
    await page.getByRole("heading", { name: "#stage" }).getByText("secret").waitFor();
    expect(await members.getByRole("checkbox", { name: /Moderated/ }).isChecked()).toBe(true);
    await context.close();
  });

  it("keeps the session and the history across a reload", async () => {
    const { page, context } = await openPage(chromium.browser, webUrlOf(hub.url));
    await register(page, "ivan");
    await type(page, "/create diary");
    await page.getByRole("heading", { name: "#diary" }).waitFor();
    for (const line of ["first entry", "second entry"]) await type(page, line);
    await message(page, "second entry").and(page.locator(":not([aria-busy])")).waitFor();
    await page.reload();
    const nav = page.getByRole("navigation", { name: "Conversations" });
    await nav.getByRole("button", { name: "#diary" }).click();
    await message(page, "first entry").waitFor();
    await message(page, "second entry").waitFor();
    expect(await page.getByRole("button", { name: "Log in" }).count()).toBe(0);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Log in" }).waitFor();
    await page.reload();
    await page.getByRole("button", { name: "Log in" }).waitFor();
    await context.close();
  });

  it("lays out for a 360 px phone: sidebar and members open as panels", async () => {
    const { page, context, errors } = await openPage(chromium.browser, webUrlOf(hub.url), {
      width: 360,
      height: 740,
    });
    await register(page, "judy");
    await type(page, "/create pocket");
    await page.getByRole("heading", { name: "#pocket" }).waitFor();
    await type(page, "small screens work too");
    await message(page, "small screens work too").waitFor();
    const nav = page.getByRole("navigation", { name: "Conversations" });
    expect(await nav.isVisible()).toBe(true); // present, but off screen until opened
    const box = await nav.boundingBox();
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(1);
    await page.getByRole("button", { name: "Show conversations" }).click();
    await page.waitForFunction(() => (document.querySelector("nav")?.getBoundingClientRect().x ?? -1) >= 0);
    await page.keyboard.press("Escape");
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
    const composer = await page.getByRole("textbox", { name: "Message" }).boundingBox();
    expect((composer?.x ?? 0) + (composer?.width ?? 0)).toBeLessThanOrEqual(360);
    expect(unexpected(errors)).toEqual([]);
    await context.close();
  });

  it("/p2p explains that direct chats need the terminal client", async () => {
    const { page, context } = await openPage(chromium.browser, webUrlOf(hub.url));
    await register(page, "kate");
    await type(page, "/p2p bob");
    await message(page, "direct (peer-to-peer) chats need the terminal client").waitFor();
    await type(page, "/jion x");
    await message(page, "unknown command /jion — did you mean /join?").waitFor();
    await context.close();
  });
});

describe.skipIf(!HAVE_CHROMIUM)("browser client across a hub restart", () => {
  it("reconnects by itself, and a message typed during the outage is delivered once", async () => {
    ensureWebBuild();
    const dataDir = await tempDir();
    let hub = await startHub({ dataDir });
    const port = hub.port;
    const chromium = await launchChromium();
    const dir = await tempConfigDir();
    const bob = testClient(hub.url, dir);
    try {
      await bob.connect();
      await signUp(bob, "bob");
      await bob.createRoom({ name: "ops" });
      const { page } = await openPage(chromium.browser, webUrlOf(hub.url));
      await register(page, "alice");
      await type(page, "/join ops");
      await page.getByRole("heading", { name: "#ops" }).waitFor();

      await hub.stop();
      await page.getByRole("status", { name: /Connection: (reconnecting|connecting)/ }).waitFor();
      await type(page, "typed while the hub was down");
      await page
        .getByRole("log")
        .locator('[aria-busy="true"]')
        .filter({ hasText: "typed while the hub was down" })
        .waitFor();

      hub = await startHub({ dataDir, config: { port } });
      await page.getByRole("status", { name: "Connection: online" }).waitFor({ timeout: 60_000 });
      await page
        .getByRole("log")
        .locator('li:not([aria-busy="true"])')
        .filter({ hasText: "typed while the hub was down" })
        .waitFor({ timeout: 30_000 });
      await waitFor("bob is back", () => bob.status.state === "online", 30_000);
      const history = await bob.call("room.history", { room: "ops" });
      expect(history.messages.filter((m) => m.body === "typed while the hub was down")).toHaveLength(1);
      await bob.send(roomKey("ops"), "welcome back");
      await message(page, "welcome back").waitFor();
    } finally {
      await bob.close();
      await chromium.close();
      await hub.stop();
      await removeDir(dir);
      await removeDir(dataDir);
    }
  }, 120_000);
});

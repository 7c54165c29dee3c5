/// <reference lib="dom" />
/**
 * Screenshots of the main screens from the real page (desktop and phone width, light and dark) for
 * docs/web-client.md. Every run takes them (so the screens are exercised); they replace the ones in
 * docs/images only with PARLEY_UPDATE_SCREENSHOTS=1.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dmKey, roomKey, type ParleyClient } from "../../src/client/index.js";
import { removeDir, signUp, tempConfigDir, testClient } from "../client/helpers.js";
import { ROOT, startHub, type TestHub } from "../helpers/hub.js";
import {
  HAVE_CHROMIUM,
  ensureWebBuild,
  launchChromium,
  openPage,
  webUrlOf,
  type LaunchedBrowser,
} from "./browser.js";

const UPDATE = process.env["PARLEY_UPDATE_SCREENSHOTS"] === "1";

describe.skipIf(!HAVE_CHROMIUM)("web client screenshots", () => {
  let hub: TestHub;
  let chromium: LaunchedBrowser;
  let outDir: string;
  const clients: ParleyClient[] = [];
  let configDir: string;

  beforeAll(async () => {
    ensureWebBuild();
    hub = await startHub();
    chromium = await launchChromium();
    outDir = UPDATE ? join(ROOT, "docs", "images") : await mkdtemp(join(tmpdir(), "parley-shots-"));
    configDir = await tempConfigDir();
    const people = ["bob", "carol", "dmitri"];
    for (const name of people) {
      const c = testClient(hub.url, configDir);
      clients.push(c);
      await c.connect();
      await signUp(c, name);
    }
    const [bob, carol, dmitri] = clients as [ParleyClient, ParleyClient, ParleyClient];
    await bob.createRoom({ name: "general", description: "Everything Parley: releases, questions, cake" });
    await carol.joinRoom("general");
    await dmitri.joinRoom("general");
    await bob.call("room.promote", { room: "general", username: "carol" });
    await bob.createRoom({ name: "release-2" });
    await bob.send(
      roomKey("general"),
      "Morning all! The **2.0** release notes are up: https://example.org/parley/2.0",
    );
    await carol.send(roomKey("general"), "Nice. Did the `--no-web` flag make it in?");
    await bob.send(roomKey("general"), "It did, and the browser client is served on the same port as `/v1`");
    await dmitri.send(roomKey("general"), "Tried it on my phone, works at *360 px* too");
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await chromium?.close();
    await hub?.stop();
    await removeDir(configDir);
    if (!UPDATE && outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("takes the login, chat and phone screens in light and dark", async () => {
    const [bob, carol] = clients as [ParleyClient, ParleyClient];
    let n = 0;
    for (const scheme of ["light", "dark"] as const) {
      const user = `alice${scheme === "dark" ? "2" : ""}`;
      const desktop = await openPage(chromium.browser, webUrlOf(hub.url), { colorScheme: scheme });
      const page = desktop.page;
      await page.getByRole("button", { name: "Log in" }).waitFor();
      await page.getByText("Hub: online").waitFor();
      if (scheme === "light") await page.screenshot({ path: join(outDir, `web-login-${scheme}.png`) });
      await page.getByLabel("Username").fill(user);
      await page.getByLabel("Password").fill("correct-horse-battery");
      await page.getByRole("button", { name: "Register" }).click();
      const box = page.getByRole("textbox", { name: "Message" });
      await box.fill("/join general");
      await box.press("Enter");
      await box.fill("/join release-2");
      await box.press("Enter");
      await page.getByRole("heading", { name: "#release-2" }).waitFor();
      await page
        .getByRole("navigation", { name: "Conversations" })
        .getByRole("button", { name: "#general" })
        .click();
      await page.getByRole("log").getByText("Tried it on my phone").waitFor();
      await carol.send(roomKey("general"), `@${user} welcome! Type /help to see the commands`);
      await bob.send(roomKey("release-2"), "Checklist for Friday is in the topic");
      await carol.send(dmKey(user), "Ping me when you are settled in");
      await page.getByRole("log").getByText(`@${user} welcome!`).waitFor();
      await page.getByRole("navigation", { name: "Conversations" }).getByLabel("1 unread").first().waitFor();
      await page.screenshot({ path: join(outDir, `web-chat-${scheme}.png`) });
      n += 1;
      await desktop.context.close();

      const phone = await openPage(chromium.browser, webUrlOf(hub.url), {
        colorScheme: scheme,
        width: 360,
        height: 740,
      });
      await phone.page.getByLabel("Username").fill(user);
      await phone.page.getByLabel("Password").fill("correct-horse-battery");
      await phone.page.getByRole("button", { name: "Log in" }).click();
      await phone.page.getByRole("log").getByText(`@${user} welcome!`).waitFor();
      await phone.page.screenshot({ path: join(outDir, `web-phone-${scheme}.png`) });
      await phone.page.getByRole("button", { name: "Show conversations" }).click();
      await phone.page.waitForFunction(
        () => (document.querySelector("nav")?.getBoundingClientRect().x ?? -1) >= 0,
      );
      await phone.page.waitForTimeout(250); // the panel's slide-in transition
      await phone.page.screenshot({ path: join(outDir, `web-phone-sidebar-${scheme}.png`) });
      await phone.context.close();
    }
    expect(n).toBe(2);
    for (const name of [
      "web-login-light",
      "web-chat-light",
      "web-chat-dark",
      "web-phone-light",
      "web-phone-dark",
    ]) {
      expect((await stat(join(outDir, `${name}.png`))).size).toBeGreaterThan(10_000);
    }
  }, 120_000);
});

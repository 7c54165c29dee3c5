/// <reference lib="dom" />
/**
 * Edit, delete, reply, reactions and search in the browser client (#12): real Chromium against a real
 * hub, elements found by role and accessible name; the other side is the SDK speaking the protocol.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { roomKey, type ParleyClient } from "../../src/client/index.js";
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

const PASSWORD = "correct-horse-battery";

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

async function answer(page: Page, question: string, text: string): Promise<void> {
  const dialog = page.getByRole("dialog", { name: question });
  await dialog.getByRole("textbox", { name: question }).fill(text);
  await dialog.getByRole("button", { name: "OK" }).click();
}

describe.skipIf(!HAVE_CHROMIUM)("browser client: edit, delete, reply, react, search", () => {
  let hub: TestHub;
  let chromium: LaunchedBrowser;
  let bob: ParleyClient;
  let dir: string;

  beforeAll(async () => {
    ensureWebBuild();
    hub = await startHub();
    chromium = await launchChromium();
    dir = await tempConfigDir();
    bob = testClient(hub.url, dir);
    await bob.connect();
    await signUp(bob, "bob");
    await bob.createRoom({ name: "lounge" });
  }, 120_000);

  afterAll(async () => {
    await bob?.close();
    await chromium?.close();
    await hub?.stop();
    if (dir) await removeDir(dir);
  });

  it("reacts, replies, edits, deletes and shows the others' changes; search jumps to a message", async () => {
    const { page, context } = await openPage(chromium.browser, webUrlOf(hub.url));
    await register(page, "alice");
    await type(page, "/join lounge");
    await page.getByRole("heading", { name: "#lounge" }).waitFor();
    const key = roomKey("lounge");
    const original = await bob.send(key, "the zebra crossing is closed");
    const fromBob = message(page, "the zebra crossing is closed");
    await fromBob.waitFor();

    // React: the button asks for an emoji; the count shows, pressed as yours; bob hears it.
    await fromBob.getByRole("button", { name: "React" }).click();
    await answer(page, "React with (one emoji, or :name:)", "👍");
    await fromBob.getByRole("button", { name: "👍 1, yours: take back" }).waitFor();
    await waitFor(
      "bob sees the reaction",
      () =>
        bob.state.rooms["lounge"]?.messages.find((m) => m.id === original.id)?.reactions?.["👍"]?.count === 1,
    );

    // Reply: the composer says what it answers; bob gets replyTo and the quote.
    await fromBob.getByRole("button", { name: "Reply" }).click();
    await page.getByRole("status").filter({ hasText: "Replying to bob" }).waitFor();
    await type(page, "use the bridge");
    await waitFor("bob gets the reply", () =>
      (bob.state.rooms["lounge"]?.messages ?? []).some(
        (m) => m.body === "use the bridge" && m.replyTo === original.id && m.quote?.from === "bob",
      ),
    );
    const reply = message(page, "use the bridge");
    expect(await reply.getByRole("blockquote").textContent()).toContain("the zebra crossing is closed");

    // Edit her own message: the dialog starts from its text.
    await reply.getByRole("button", { name: "Edit" }).click();
    const box = page
      .getByRole("dialog", { name: "Edit message" })
      .getByRole("textbox", { name: "Edit message" });
    expect(await box.inputValue()).toBe("use the bridge");
    await answer(page, "Edit message", "use the north bridge");
    await message(page, "use the north bridge").filter({ hasText: "(edited)" }).waitFor();
    await waitFor("bob sees the edit", () =>
      (bob.state.rooms["lounge"]?.messages ?? []).some(
        (m) => m.body === "use the north bridge" && m.editedAt,
      ),
    );

    // Bob edits, then deletes his: alice sees both, and her reply's quote says it was deleted.
    await bob.edit(original.id, "the zebra crossing is open again");
    await message(page, "the zebra crossing is open again").filter({ hasText: "(edited)" }).waitFor();
    await bob.deleteMessage(original.id);
    await page.getByRole("log").getByText("message deleted").first().waitFor();
    expect(await page.getByRole("log").textContent()).not.toContain("zebra crossing");
    await message(page, "use the north bridge")
      .getByRole("blockquote")
      .filter({ hasText: "message deleted" })
      .waitFor();

    // Delete her own: asked first.
    await type(page, "a typo here");
    const typo = message(page, "a typo here");
    await typo.getByRole("button", { name: "Delete" }).click();
    await page
      .getByRole("dialog", { name: "Delete message" })
      .getByRole("button", { name: "Delete" })
      .click();
    await waitFor("the typo is gone", () =>
      (bob.state.rooms["lounge"]?.messages ?? []).some((m) => m.deleted && m.from === "alice"),
    );
    // The page applies the deletion on its own event, which may come after bob's.
    await typo.waitFor({ state: "detached" });
    expect(await page.getByRole("log").textContent()).not.toContain("a typo here");

    // Search: results by where and what; choosing one shows it marked in its conversation.
    for (let i = 0; i < 3; i++) await bob.send(key, `giraffe sighting number ${i}`);
    await message(page, "giraffe sighting number 2").waitFor();
    await page.getByRole("button", { name: "Search messages" }).click();
    await answer(page, "Search messages", "giraffe number 1");
    const results = page.getByRole("dialog", { name: "Search: giraffe number 1" });
    const hit = results.getByRole("button", { name: "#lounge, bob: giraffe sighting number 1" });
    await hit.click();
    const current = page.getByRole("log").locator('[aria-current="true"]');
    await current.waitFor();
    expect(await current.textContent()).toContain("giraffe sighting number 1");
    await context.close();
  }, 120_000);

  it("shows a notice apart (a notice-msg item, -name-), its text as plain text", async () => {
    const { page, context } = await openPage(chromium.browser, webUrlOf(hub.url));
    await register(page, "carol");
    await type(page, "/join lounge");
    await page.getByRole("heading", { name: "#lounge" }).waitFor();
    await bob.send(roomKey("lounge"), "deploy <b>finished</b>", { notice: true });
    await bob.send(roomKey("lounge"), "an ordinary line");
    const notice = message(page, "deploy <b>finished</b>");
    await notice.waitFor();
    expect(await notice.getAttribute("class")).toContain("notice-msg");
    expect(await notice.locator("b").count()).toBe(0);
    const name = notice.locator(".from");
    const marks = await name.evaluate((el) => [
      getComputedStyle(el, "::before").content,
      getComputedStyle(el, "::after").content,
    ]);
    expect(marks).toEqual(['"-"', '"-"']);
    const plain = message(page, "an ordinary line");
    await plain.waitFor();
    expect(await plain.getAttribute("class")).not.toContain("notice-msg");
    await context.close();
  }, 120_000);
});

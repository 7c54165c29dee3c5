/**
 * The login screen through Ink (ink-testing-library), against a real hub: registration refuses a weak
 * password at once, with the rule the hub announced in `hello` — not after the second password, the
 * first and the last name (regression).
 */
import { expect, it } from "vitest";
import { startHub } from "../helpers/hub.js";
import { waitFor } from "../client/helpers.js";
import { chatApp, cleanUpAfterEach, drawApp, later } from "./app-helpers.js";

cleanUpAfterEach();

it("refuses a weak password as soon as it is typed, saying the hub's rule", async () => {
  const hub = await startHub();
  later(() => hub.stop());
  const { controller, client } = await chatApp(hub.url);
  const ui = drawApp(controller);
  controller.start();
  const { screen, shows } = ui;

  await waitFor("the hello", () => client.state.hub?.passwordRule !== undefined);
  await shows("Press l to log in or r to register");
  ui.stdin.write("r");
  await shows("Username:");
  ui.stdin.write("newcomer1\r");
  await shows("Password:");
  // The rule, as the hub words it, while the password is typed.
  await shows("Passwords: at least 8 characters, not a common password, not the username.");

  ui.stdin.write("short\r");
  await shows("passwords need at least 8 characters — choose another");
  expect(screen()).not.toContain("Password again");
  ui.stdin.write("12345678\r");
  await shows("this password is on a list of common passwords — choose another");
  ui.stdin.write("NewComer1\r");
  await shows("the password must not be the username — choose another");
  expect(screen()).not.toContain("Password again");

  ui.stdin.write("a fine long one\r");
  await shows("Password again:");
  expect(screen()).not.toContain("choose another");
  ui.stdin.write("a fine long one\r");
  await shows("First name");
  ui.stdin.write("\r");
  await shows("Last name");
  ui.stdin.write("\r");
  await waitFor("the chat screen", () => controller.getSnapshot().phase === "chat");
  expect(client.state.me?.username).toBe("newcomer1");
});

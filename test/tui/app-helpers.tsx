/**
 * Shared pieces of the app tests: cleanups that run after each test (in reverse), the app's controller
 * on a real SDK client with a temporary config folder, and the app drawn by Ink.
 */
import React from "react";
import { render } from "ink-testing-library";
import { afterEach } from "vitest";
import { ParleyClient } from "../../src/client/index.js";
import { ChatController, type ControllerDeps } from "../../src/tui/controller/controller.js";
import { App } from "../../src/tui/app.js";
import { createTheme } from "../../src/tui/render/theme.js";
import { removeDir, tempConfigDir, waitFor } from "../client/helpers.js";

const cleanups: Array<() => Promise<unknown> | unknown> = [];

/** Call once at the top of a test file: what `later` registers runs after each test. */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await (async () => c())().catch(() => {});
  });
}

export function later(cleanup: () => Promise<unknown> | unknown): void {
  cleanups.push(cleanup);
}

export interface TestApp {
  controller: ChatController;
  client: ParleyClient;
  dir: string;
}

/** The app's controller on a real client of the hub at `url` (not started: `controller.start()`). */
export async function chatApp(
  url: string,
  deps: (client: ParleyClient, dir: string) => Partial<ControllerDeps> = () => ({}),
): Promise<TestApp> {
  const dir = await tempConfigDir();
  later(() => removeDir(dir));
  const client = new ParleyClient({ urls: url, configDir: dir });
  const controller = new ChatController(client, {
    bell: () => {},
    openUrl: async () => {},
    exit: () => {},
    ...deps(client, dir),
  });
  later(() => controller.quit());
  return { controller, client, dir };
}

/** `chatApp`, started, with `username` registered and logged in. */
export async function registeredApp(
  url: string,
  username: string,
  deps?: (client: ParleyClient, dir: string) => Partial<ControllerDeps>,
): Promise<TestApp> {
  const app = await chatApp(url, deps);
  app.controller.start();
  if (!(await app.controller.register({ username, password: "correct horse 9" })))
    throw new Error(`could not register ${username}: ${app.controller.getSnapshot().loginError}`);
  return app;
}

/** The whole app drawn by Ink (no colour), with keys in through `stdin` and the screen out. */
export function drawApp(controller: ChatController): {
  stdin: { write(data: string): void };
  screen(): string;
  shows(text: string): Promise<void>;
} {
  const ui = render(<App controller={controller} theme={createTheme({ color: false })} />);
  later(() => ui.unmount());
  const screen = (): string => ui.lastFrame() ?? "";
  return {
    stdin: ui.stdin,
    screen,
    shows: (text) => waitFor(`"${text}" on screen`, () => screen().includes(text)),
  };
}

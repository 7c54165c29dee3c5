/** Starts the terminal app: the SDK client, the controller and the Ink tree; resolves with the exit code. */
import React from "react";
import { render } from "ink";
import { ParleyClient, PeerChats, configDir } from "../client/index.js";
import { p2pOptionsFromEnv } from "./p2p/options.js";
import { App } from "./app.js";
import { ChatController } from "./controller/controller.js";
import { createTheme } from "./render/theme.js";
import { openInBrowser } from "./open-url.js";
import { SessionFile } from "./session-file.js";

export interface ChatOptions {
  url: string;
  color: boolean;
  hyperlinks: boolean;
  username?: string;
  fingerprint?: string;
  configDir?: string;
  /** Keep the session token (0600 file in the config folder) so the next start needs no password. */
  remember?: boolean;
}

export async function runChat(options: ChatOptions): Promise<number> {
  const client = new ParleyClient({
    urls: options.url,
    clientName: "parley-chat",
    device: "terminal",
    ...(options.fingerprint !== undefined ? { fingerprint: options.fingerprint } : {}),
    ...(options.configDir !== undefined ? { configDir: options.configDir } : {}),
  });
  let quitting = false;
  let fatal: string | null = null;
  const controller = new ChatController(client, {
    // BEL has no visible effect on the layout, so it can go straight to the terminal between frames.
    bell: () => process.stdout.write("\u0007"),
    p2p: () => PeerChats.start(client, p2pOptionsFromEnv(options.configDir ?? configDir())),
    openUrl: (url) => openInBrowser(url),
    exit: () => {
      quitting = true;
      instance.unmount();
      // Ink resolves waitUntilExit on unmount; should anything hold that up, the user is not left stuck
      // in a dead full-screen app.
      setTimeout(() => {
        if (fullScreen) process.stdout.write("\u001b[?1049l");
        process.exit(fatal !== null ? 1 : 0);
      }, 3000).unref();
    },
    ...(options.remember
      ? {
          remember: {
            file: new SessionFile(options.configDir ?? configDir()),
            hub: options.url,
            ...(options.username !== undefined ? { username: options.username } : {}),
          },
        }
      : {}),
  });
  controller.subscribe(() => {
    const s = controller.getSnapshot();
    if (s.phase === "fatal" && !quitting) {
      fatal = s.fatal;
      quitting = true;
      void controller.quit();
    }
  });
  const theme = createTheme({ color: options.color, hyperlinks: options.hyperlinks });
  // The alternate screen, like full-screen terminal programs: the shell's scrollback comes back on exit.
  const fullScreen = process.stdout.isTTY === true;
  if (fullScreen) process.stdout.write("\u001b[?1049h\u001b[H");
  const instance = render(
    <App
      controller={controller}
      theme={theme}
      {...(options.username ? { username: options.username } : {})}
    />,
    { exitOnCtrlC: false },
  );
  controller.start();
  // A terminal closed or a `kill` should still leave the shell usable (main screen back, cursor shown)
  // and close the hub connection cleanly.
  const onSignal = (): void => {
    void controller.quit();
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGHUP", onSignal);
  try {
    await instance.waitUntilExit();
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
    if (fullScreen) process.stdout.write("\u001b[?1049l");
  }
  if (fatal !== null) {
    process.stderr.write(`${fatal}\n`);
    return 1;
  }
  return 0;
}

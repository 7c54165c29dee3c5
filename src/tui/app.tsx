/** The app's root: the login screen until a session exists, then the chat screen. */
import React, { useSyncExternalStore } from "react";
import type { ChatController } from "./controller/controller.js";
import type { Theme } from "./render/theme.js";
import { ChatScreen } from "./views/ChatScreen.js";
import { LoginScreen } from "./views/LoginScreen.js";
import { useTerminalSize } from "./views/use-terminal-size.js";

export interface AppProps {
  controller: ChatController;
  theme: Theme;
  username?: string;
}

export function App({ controller, theme, username }: AppProps): React.JSX.Element | null {
  const state = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const terminal = useTerminalSize();
  // One row short of the terminal: a frame as tall as the terminal makes Ink clear the screen on every render.
  const size = { columns: terminal.columns, rows: Math.max(8, terminal.rows - 1) };
  if (state.phase === "fatal") return null;
  if (state.phase === "login") {
    return (
      <LoginScreen
        controller={controller}
        state={state}
        theme={theme}
        size={size}
        {...(username !== undefined ? { username } : {})}
      />
    );
  }
  return <ChatScreen controller={controller} state={state} theme={theme} size={size} />;
}

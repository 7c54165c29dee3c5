/** The app's root: the login or chat screen, dialogs, and the keyboard shortcuts. */
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import type { WebApp } from "../app/controller.js";
import { Chat } from "./Chat.js";
import { Dialogs } from "./Dialogs.js";
import { Login } from "./Login.js";

function typing(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
  );
}

export function App({ app }: { app: WebApp }): JSX.Element {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (app.phase.value !== "chat") return;
      if (e.key === "Escape") {
        if (app.dialog.value) app.closeDialog();
        else app.panel.value = "none";
        return;
      }
      if (app.dialog.value) return;
      if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
        e.preventDefault();
        app.cycle(e.key === "ArrowUp" ? -1 : 1, e.shiftKey);
      } else if (e.ctrlKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        app.dialog.value = { kind: "switcher" };
      } else if (
        (e.altKey && (e.key === "/" || e.code === "Slash")) ||
        (e.key === "?" && !typing(e.target))
      ) {
        e.preventDefault();
        app.dialog.value = { kind: "keys" };
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [app]);

  const phase = app.phase.value;
  return (
    <>
      {phase === "chat" && app.state.value?.me ? (
        <Chat app={app} />
      ) : phase === "starting" ? (
        <main class="login">
          <p class="card" role="status">
            Connecting to the hub…
          </p>
        </main>
      ) : (
        <Login app={app} />
      )}
      <Dialogs app={app} />
    </>
  );
}

/** The message box: Enter sends (or runs a /command), Shift+Enter adds a line. */
import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { STATUS_VIEW, viewTitle } from "../../ui/view-keys.js";
import type { WebApp } from "../app/controller.js";

export function Composer({ app }: { app: WebApp }): JSX.Element {
  const text = useSignal("");
  const ref = useRef<HTMLTextAreaElement>(null);
  const view = app.view.value;
  useEffect(() => {
    if (app.dialog.value === null) ref.current?.focus();
  }, [view, app.dialog.value]);

  const send = (): void => {
    const line = text.value;
    if (line.trim() === "") return;
    text.value = "";
    void app.submit(line);
  };
  const placeholder =
    view === STATUS_VIEW
      ? "Type /help, /join ROOM or /dm USER"
      : `Message ${viewTitle(view)} (/help for commands)`;
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea
        ref={ref}
        aria-label="Message"
        rows={1}
        placeholder={placeholder}
        value={text.value}
        onInput={(e) => (text.value = e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" class="primary" aria-label="Send">
        Send
      </button>
    </form>
  );
}

/**
 * The message box: Enter sends (or runs a /command), Shift+Enter adds a line. Files: the attach button,
 * dropping files on the box or the messages, or pasting an image upload them to the conversation.
 */
import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { parseKey, type ConversationKey } from "../../client/core/index.js";
import { formatBytes } from "../../protocol/index.js";
import { STATUS_VIEW, viewTitle } from "../../ui/view-keys.js";
import type { WebApp } from "../app/controller.js";

/** Uploads files to the current conversation; failures become notices there. */
export function uploadFiles(app: WebApp, files: readonly File[]): void {
  const view = app.view.value;
  if (!parseKey(view)) {
    app.print("Open a room or a conversation to share a file", "error");
    return;
  }
  for (const file of files) {
    app.files
      .upload(view as ConversationKey, file)
      .catch((error: unknown) => app.print(`${file.name}: ${(error as Error).message}`, "error", view));
  }
}

export function acceptsFiles(e: DragEvent): boolean {
  return e.dataTransfer?.types.includes("Files") ?? false;
}

export function dropFiles(app: WebApp, e: DragEvent): void {
  const files = [...(e.dataTransfer?.files ?? [])];
  if (files.length === 0) return;
  e.preventDefault();
  uploadFiles(app, files);
}

function Uploads({ app }: { app: WebApp }): JSX.Element | null {
  const uploads = app.files.uploads.value;
  if (uploads.length === 0) return null;
  return (
    <ul class="uploads" aria-label="Uploads">
      {uploads.map((u) => (
        <li key={u.id}>
          <span class="file-name">{u.name}</span>{" "}
          <progress max={u.size} value={u.done} aria-label={`Uploading ${u.name}`} />{" "}
          <span class="file-facts">
            {formatBytes(u.done)} / {formatBytes(u.size)}
          </span>{" "}
          <button type="button" class="link" onClick={() => u.cancel()}>
            Cancel
          </button>
        </li>
      ))}
    </ul>
  );
}

export function Composer({ app }: { app: WebApp }): JSX.Element {
  const text = useSignal("");
  const ref = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
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
  const reply = app.replyTo.value?.view === view ? app.replyTo.value.message : null;
  return (
    <div class="composer-wrap">
      <Uploads app={app} />
      {reply ? (
        <div class="replying" role="status">
          Replying to {reply.from}: {reply.body.split("\n", 1)[0]}{" "}
          <button type="button" class="link" onClick={() => (app.replyTo.value = null)}>
            Cancel reply
          </button>
        </div>
      ) : null}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
        onDragOver={(e) => acceptsFiles(e) && e.preventDefault()}
        onDrop={(e) => dropFiles(app, e)}
      >
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          aria-label="Files to share"
          onChange={(e) => {
            uploadFiles(app, [...(e.currentTarget.files ?? [])]);
            e.currentTarget.value = "";
          }}
        />
        <button
          type="button"
          class="icon"
          aria-label="Attach files"
          title="Attach files (or drop them here, or paste an image)"
          disabled={view === STATUS_VIEW}
          onClick={() => picker.current?.click()}
        >
          📎
        </button>
        <textarea
          ref={ref}
          aria-label="Message"
          rows={1}
          placeholder={placeholder}
          value={text.value}
          onInput={(e) => (text.value = e.currentTarget.value)}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (files.length === 0) return;
            e.preventDefault();
            uploadFiles(app, files);
          }}
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
    </div>
  );
}

/**
 * Files in direct chats, in the terminal: /sendfile PATH, and the receiver's /acceptfile [PATH] or
 * /refusefile, with the progress on the notice bar on both sides. The bytes go over the chat's own
 * end-to-end encrypted session (src/peer/file-transfer.ts).
 */
import { downloadFolder, type DirectChat } from "../../client/index.js";
import type { Transfer } from "../../peer/index.js";
import { UsageError, type CommandSpec } from "../../ui/commands/types.js";
import type { ViewKey } from "../../ui/view-keys.js";
import type { TuiCommandContext } from "../commands/registry.js";
import { expandPath } from "../files/commands.js";
import { formatBytes, progressBar } from "../files/progress.js";
import { sanitize } from "../render/sanitize.js";
import type { P2pHost } from "./p2p-tui.js";

const REDRAW_MS = 100;
/** Offers waiting for an answer, per chat, oldest first. */
const offers = new WeakMap<DirectChat, Transfer[]>();

/** Shows a chat's file transfers in its DM view. Called once per chat when it opens. */
export function watchFiles(chat: DirectChat, host: P2pHost, view: ViewKey): void {
  const waiting: Transfer[] = [];
  offers.set(chat, waiting);
  let last = 0;
  chat.files.on("offer", (offer) => {
    waiting.push(offer);
    const text = `${chat.peer} offers a file: ${sanitize(offer.name)} (${formatBytes(offer.size)}) — /acceptfile [PATH] saves it (default ${downloadFolder()}), /refusefile refuses`;
    host.print(text, "system", view);
    host.flash(
      `${chat.peer} offers ${sanitize(offer.name)} (${formatBytes(offer.size)}): /acceptfile or /refusefile`,
      "info",
      view,
    );
    host.bell();
  });
  chat.files.on("progress", (t) => {
    const now = Date.now();
    if (t.done < t.size && now - last < REDRAW_MS) return;
    last = now;
    const verb = t.direction === "send" ? "sending" : "receiving";
    host.flash(`${verb} ${sanitize(t.name)} ${progressBar(t.done, t.size)}`, "info", view);
  });
  chat.files.on("end", (t) => {
    const i = waiting.findIndex((o) => o.id === t.id);
    if (i >= 0) waiting.splice(i, 1);
    const name = sanitize(t.name);
    let text: string;
    if (t.state === "done") {
      text =
        t.direction === "send"
          ? `${chat.peer} received ${name} (${formatBytes(t.size)}, SHA-256 checked)`
          : `Saved ${name} (${formatBytes(t.size)}, SHA-256 checked) to ${sanitize(t.path ?? "")}`;
    } else {
      text = `${t.direction === "send" ? "Sending" : "Receiving"} ${name} failed: ${sanitize(t.error ?? "unknown")}`;
    }
    host.print(text, t.state === "done" ? "info" : "error", view);
    host.flash(text, t.state === "done" ? "info" : "error", view);
  });
}

function chatOf(ctx: TuiCommandContext): DirectChat {
  const chat = ctx.p2p?.chatFor(ctx.view);
  if (!chat || chat.path === "hub") {
    throw new UsageError("open a direct chat first (/p2p USER), then use this in its DM view");
  }
  return chat;
}

export const sendfileCommands: CommandSpec<TuiCommandContext>[] = [
  {
    name: "sendfile",
    usage: "/sendfile PATH",
    summary:
      "Send a file over the direct chat of this DM view, end-to-end encrypted (never stored by the hub).",
    details:
      "The other person sees its name and size and accepts or refuses it before anything is written. Both " +
      "sides see a progress bar; the SHA-256 of the whole file is checked at the end, and a cut connection " +
      "resumes where it stopped.",
    args: { restFrom: 0 },
    min: 1,
    max: 1,
    async run(ctx, { positional: [path = ""] }) {
      const chat = chatOf(ctx);
      ctx.print(`Offering ${path.trim()} to ${chat.peer}…`);
      // The outcome is printed by watchFiles when it ends; the prompt stays free meanwhile.
      void chat.files.send(expandPath(path.trim())).catch((error: unknown) => {
        ctx.print(`Not sent: ${(error as Error).message}`, "error");
      });
    },
  },
  {
    name: "acceptfile",
    usage: "/acceptfile [PATH]",
    summary: "Accept the file offered in this direct chat (to your download folder, or the folder PATH).",
    args: { restFrom: 0 },
    max: 1,
    async run(ctx, { positional: [path] }) {
      const chat = chatOf(ctx);
      const offer = offers.get(chat)?.[0];
      if (!offer) throw new UsageError(`${chat.peer} is not offering a file`);
      offers.get(chat)?.shift();
      const folder = path === undefined ? downloadFolder() : expandPath(path.trim());
      await chat.files.accept(offer.id, folder);
      ctx.print(`Receiving ${sanitize(offer.name)} into ${folder}`);
    },
  },
  {
    name: "refusefile",
    usage: "/refusefile",
    summary: "Refuse the file offered in this direct chat.",
    max: 0,
    run(ctx) {
      const chat = chatOf(ctx);
      const offer = offers.get(chat)?.shift();
      if (!offer) throw new UsageError(`${chat.peer} is not offering a file`);
      chat.files.refuse(offer.id);
    },
  },
];

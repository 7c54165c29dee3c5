/** Commands for files through the hub: /upload, /save, and /open that also opens files. */
import { homedir } from "node:os";
import { resolve } from "node:path";
import { parseKey, type ConversationKey } from "../../client/index.js";
import type { FileInfo } from "../../protocol/index.js";
import { CORE_COMMANDS } from "../../ui/commands/registry.js";
import { CommandError, UsageError, type CommandSpec } from "../../ui/commands/types.js";
import type { TuiCommandContext } from "../commands/registry.js";
import { FILE_LINK } from "../model/lines.js";
import type { TuiFiles } from "./transfers.js";

function filesOf(ctx: TuiCommandContext): TuiFiles {
  if (!ctx.files) throw new UsageError("file transfers are not available in this client");
  return ctx.files;
}

/** `~/x` and relative paths, as a shell would take them. */
export function expandPath(path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return resolve(homedir(), path.slice(2));
  return resolve(path);
}

function conversationView(ctx: TuiCommandContext): ConversationKey {
  const view = ctx.view;
  if (!parseKey(view)) throw new UsageError("switch to a room or DM first");
  return view as ConversationKey;
}

/** The entry numbered N in the view: a link or a file. */
function entry(ctx: TuiCommandContext, n: string): string {
  const links = ctx.links();
  const index = Number(n.replace(/^\[|\]$/g, ""));
  if (links.length === 0) throw new CommandError("this view has no links or files");
  const found = Number.isInteger(index) ? links[index - 1] : undefined;
  const what = links.some((l) => l.startsWith(FILE_LINK)) ? "links and files" : "links";
  if (found === undefined) throw new CommandError(`${what} here are numbered 1 to ${links.length}`);
  return found;
}

/** The file of the message numbered N (looked up in the view's messages and outbox). */
function fileAt(ctx: TuiCommandContext, n: string): FileInfo {
  const found = entry(ctx, n);
  if (!found.startsWith(FILE_LINK)) throw new CommandError(`[${n}] is a link, not a file`);
  const id = found.slice(FILE_LINK.length);
  const key = parseKey(ctx.view);
  const conversation = key && (key.kind === "room" ? ctx.state.rooms[key.name] : ctx.state.dms[key.name]);
  const file =
    conversation?.messages.find((m) => m.file?.id === id)?.file ??
    ctx.state.outbox.find((e) => e.file?.id === id)?.file;
  if (!file) throw new CommandError(`file [${n}] is no longer loaded in this view`);
  return file;
}

const coreOpen = CORE_COMMANDS.find((c) => c.name === "open");

export const fileCommands: CommandSpec<TuiCommandContext>[] = [
  {
    name: "upload",
    usage: "/upload PATH",
    summary: "Share a file in the current room or DM (through the hub); Esc cancels while it uploads.",
    details:
      "The file goes to the hub over HTTPS (the same certificate as the chat connection) with a progress bar, " +
      "then appears as a message: name, size, type (as the hub found it) and a number for /save and /open. " +
      "The hub limits size and daily volume (it says which when it refuses).",
    args: { restFrom: 0 },
    min: 1,
    max: 1,
    async run(ctx, { positional: [path = ""] }) {
      const view = conversationView(ctx);
      await filesOf(ctx).upload(view, expandPath(path.trim()));
    },
  },
  {
    name: "save",
    usage: "/save N [PATH]",
    summary: "Download file [N] of this view (to your download folder, or PATH); never overwrites.",
    details:
      "Without PATH the file goes to $XDG_DOWNLOAD_DIR (else ~/Downloads) under its own name; a name already " +
      'taken becomes "name (1).ext". PATH may be a folder or a file name. Esc cancels while it downloads.',
    args: { restFrom: 1 },
    min: 1,
    max: 2,
    async run(ctx, { positional: [n = "", path] }) {
      const file = fileAt(ctx, n);
      await filesOf(ctx).save(ctx.view, file, path === undefined ? undefined : expandPath(path.trim()));
    },
  },
  {
    name: "open",
    usage: "/open N",
    summary: "Open link [N] in your browser; for a file: the copy you saved, or an image in the browser.",
    min: 1,
    max: 1,
    async run(ctx, args) {
      if (!coreOpen) throw new CommandError("links cannot be opened here");
      // Without files in the view this is the shared /open, with its own words.
      if (!ctx.links().some((l) => l.startsWith(FILE_LINK))) return coreOpen.run(ctx, args);
      const found = entry(ctx, args.positional[0] ?? "");
      if (!found.startsWith(FILE_LINK)) return coreOpen.run(ctx, args);
      ctx.print(await filesOf(ctx).open(ctx.view, fileAt(ctx, args.positional[0] ?? "")));
    },
  },
];

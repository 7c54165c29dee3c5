/** Commands about conversations: direct messages, history, links. */
import { dmKey } from "../../client/core/index.js";
import { isOpenable } from "../links.js";
import { userName } from "./targets.js";
import { CommandError, UsageError, type CommandSpec } from "./types.js";

export const messagingCommands: CommandSpec[] = [
  {
    name: "msg",
    usage: "/msg USER TEXT",
    summary: "Send a direct message without leaving the current view.",
    args: { restFrom: 1 },
    min: 2,
    max: 2,
    async run(ctx, { positional: [user = "", text = ""] }) {
      const name = userName(user);
      await ctx.client.send(dmKey(name), text);
      if (ctx.view !== dmKey(name)) ctx.print(`→ ${name}: ${text}`);
    },
  },
  {
    name: "dm",
    aliases: ["query"],
    usage: "/dm USER",
    summary: "Open the direct conversation with a user and switch to it.",
    min: 1,
    max: 1,
    async run(ctx, { positional: [user = ""] }) {
      const name = userName(user);
      await ctx.client.openDm(name);
      ctx.focus(dmKey(name));
    },
  },
  {
    name: "history",
    usage: "/history [N]",
    summary: "Load N older messages (default a page) into the current view.",
    max: 1,
    async run(ctx, { positional: [n] }) {
      if (ctx.view === "status") throw new CommandError("switch to a room or DM first");
      const limit = n === undefined ? undefined : Number(n);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 200)) {
        throw new UsageError("N is a number of messages from 1 to 200");
      }
      const added = await ctx.client.loadOlder(ctx.view, limit);
      ctx.print(
        added === 0
          ? "No older messages"
          : `Loaded ${added} older message${added === 1 ? "" : "s"} (PgUp to read)`,
      );
    },
  },
  {
    name: "open",
    usage: "/open N",
    summary: "Open link [N] of the current view in your browser.",
    min: 1,
    max: 1,
    async run(ctx, { positional: [n = ""] }) {
      const links = ctx.links();
      const index = Number(n.replace(/^\[|\]$/g, ""));
      if (links.length === 0) throw new CommandError("this view has no links");
      const url = Number.isInteger(index) ? links[index - 1] : undefined;
      if (url === undefined) throw new CommandError(`links here are numbered 1 to ${links.length}`);
      if (!isOpenable(url)) throw new CommandError(`only http, https and mailto links are opened: ${url}`);
      try {
        await ctx.openUrl(url);
      } catch (error) {
        // Whatever failed, the address itself is still what the user wants: whole, to copy.
        throw new CommandError(`${(error as Error).message} — copy the link: ${url}`);
      }
      ctx.print(`Opened ${url} in your browser`);
    },
  },
];

/** Commands for peer-to-peer chats: ask, answer, trust a changed key, end. */
import { CommandError, type CommandSpec } from "../../ui/commands/types.js";
import type { TuiCommandContext } from "../commands/registry.js";
import { userName } from "../../ui/commands/targets.js";
import type { P2pTui } from "./p2p-tui.js";
import { verifiedKeyRefusal } from "./trust-commands.js";

function p2pOf(ctx: TuiCommandContext): P2pTui {
  if (!ctx.p2p) throw new CommandError("direct chats are not available in this client");
  return ctx.p2p;
}

export const p2pCommands: CommandSpec<TuiCommandContext>[] = [
  {
    name: "p2p",
    aliases: ["direct"],
    usage: "/p2p [USER [DEVICE]]",
    summary:
      "Ask a user for a direct, end-to-end encrypted chat (they must be online); without USER, show your key and open chats.",
    details:
      "Once they accept, the chat shows in their DM view and the status line says how it travels: " +
      "`p2p direct` (machine to machine) or `p2p relayed` (through the hub, which sees only ciphertext). " +
      "Own messages get a ✓ when the other side received them. If the chat breaks for good, what was not " +
      "received and what you type next go through the hub as ordinary stored direct messages.",
    max: 2,
    async run(ctx, { positional: [user, device] }) {
      const p2p = p2pOf(ctx);
      if (user === undefined) {
        for (const line of await p2p.describe()) ctx.print(line);
        return;
      }
      await p2p.request(userName(user), device?.toLowerCase());
    },
  },
  {
    name: "accept",
    usage: "/accept [USER]",
    summary: "Accept a direct-chat request (the oldest, or USER's); typing y does the same.",
    max: 1,
    async run(ctx, { positional: [user] }) {
      await p2pOf(ctx).accept(user === undefined ? undefined : userName(user));
    },
  },
  {
    name: "decline",
    usage: "/decline [USER]",
    summary: "Decline a direct-chat request (the oldest, or USER's); typing n does the same.",
    max: 1,
    async run(ctx, { positional: [user] }) {
      await p2pOf(ctx).decline(user === undefined ? undefined : userName(user));
    },
  },
  {
    name: "trustkey",
    usage: "/trustkey USER",
    summary: "Trust USER's new key after a key-change warning (compare the safety number with them first).",
    min: 1,
    max: 1,
    async run(ctx, { positional: [user = ""] }) {
      const name = userName(user);
      let trusted: boolean;
      try {
        trusted = await p2pOf(ctx).trustKey(name);
      } catch (error) {
        throw verifiedKeyRefusal(error) ?? error;
      }
      if (!trusted) throw new CommandError(`no changed key of ${name} is waiting`);
      ctx.print(`Trusted ${name}'s new key (unverified); /p2p ${name} asks again`);
    },
  },
  {
    name: "endp2p",
    usage: "/endp2p [USER]",
    summary: "End the direct chat with USER (or the current view's); later messages are stored DMs.",
    max: 1,
    async run(ctx, { positional: [user] }) {
      const peer = await p2pOf(ctx).end(user === undefined ? undefined : userName(user));
      ctx.print(`Ended the direct chat with ${peer}`);
    },
  },
];

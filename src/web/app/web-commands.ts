/**
 * The browser's command table: the shared commands (src/ui/commands, the same as the terminal
 * client's) plus the direct-chat commands, which in a browser explain that they need the terminal
 * client: a direct chat needs a TCP listener that a page cannot open.
 */
import { CORE_COMMANDS } from "../../ui/commands/registry.js";
import type { CommandSpec } from "../../ui/commands/types.js";

export const P2P_IN_BROWSER =
  "direct (peer-to-peer) chats need the terminal client (parley chat) for now; here, /dm USER and /msg USER TEXT go through the hub as usual";

const unavailable = (name: string, aliases: string[], usage: string, summary: string): CommandSpec => ({
  name,
  aliases,
  usage,
  summary,
  run() {
    throw new Error(P2P_IN_BROWSER);
  },
});

export const WEB_COMMANDS: readonly CommandSpec[] = [
  ...CORE_COMMANDS,
  unavailable(
    "p2p",
    ["direct"],
    "/p2p [USER]",
    "Direct, end-to-end encrypted chats: in the terminal client.",
  ),
  unavailable("accept", [], "/accept [USER]", "Accept a direct-chat request (terminal client)."),
  unavailable("decline", [], "/decline [USER]", "Decline a direct-chat request (terminal client)."),
  unavailable("trustkey", [], "/trustkey USER", "Trust a changed direct-chat key (terminal client)."),
  unavailable("endp2p", [], "/endp2p [USER]", "End a direct chat (terminal client)."),
];

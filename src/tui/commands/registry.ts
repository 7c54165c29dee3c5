/**
 * The terminal client's command table: the shared commands (src/ui/commands) and its own direct-chat
 * commands, which need the peer-to-peer side only a terminal client has.
 */
import { CORE_COMMANDS, runCommand as runShared, type RunResult } from "../../ui/commands/registry.js";
import type { CommandContext, CommandSpec } from "../../ui/commands/types.js";
import { fileCommands } from "../files/commands.js";
import type { TuiFiles } from "../files/transfers.js";
import { p2pCommands } from "../p2p/commands.js";
import { sendfileCommands } from "../p2p/sendfile.js";
import { p2pTrustCommands } from "../p2p/trust-commands.js";
import type { P2pTui } from "../p2p/p2p-tui.js";
import { KEY_HELP } from "../keys-help.js";
import type { E2eRooms } from "../../client/index.js";
import { e2eCommands } from "../e2e/commands.js";

export interface TuiCommandContext extends CommandContext {
  /** Direct (peer-to-peer) chats, when the app has them. */
  p2p?: P2pTui;
  /** File transfers through the hub. */
  files?: TuiFiles;
  /** End-to-end encrypted rooms, once the device keys are loaded. */
  sealed?: E2eRooms;
}

/** The core commands, with /open replaced by one that also opens files, then the terminal's own. */
export const COMMANDS: readonly CommandSpec<TuiCommandContext>[] = [
  ...CORE_COMMANDS.filter((c) => c.name !== "open"),
  ...fileCommands,
  ...p2pCommands,
  ...p2pTrustCommands,
  ...sendfileCommands,
  ...e2eCommands,
];

/** Runs one command line against the terminal client's table. Never throws. */
export function runCommand(
  line: string,
  ctx: Omit<TuiCommandContext, "commands" | "keyHelp">,
  commands: readonly CommandSpec<TuiCommandContext>[] = COMMANDS,
): Promise<RunResult> {
  return runShared<TuiCommandContext>(line, { ...ctx, keyHelp: KEY_HELP }, commands);
}

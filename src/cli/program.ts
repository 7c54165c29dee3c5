/** The `parley` command tree, apart from running it, so tests can parse with the real parser. */
import { Command } from "commander";
import { adminCommand, resetPasswordCommand } from "./admin.js";
import { backupCommand, restoreCommand } from "./backup.js";
import { chatCommand } from "./chat.js";
import { sendCommand } from "./send.js";
import { serveCommand } from "./serve.js";
import { trustCommand } from "./trust.js";

export function parleyProgram(): Command {
  const program = new Command("parley")
    .description("Parley: self-hosted chat — a hub, a terminal client and direct encrypted chats")
    .version("0.1.0")
    .showHelpAfterError();
  program.addCommand(serveCommand());
  program.addCommand(chatCommand());
  program.addCommand(sendCommand());
  program.addCommand(trustCommand());
  program.addCommand(adminCommand());
  program.addCommand(resetPasswordCommand());
  program.addCommand(backupCommand());
  program.addCommand(restoreCommand());
  return program;
}

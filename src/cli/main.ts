#!/usr/bin/env node
/** `parley`: the command line. Each subcommand lives in its own file. */
// Must stay the first import: it adjusts the environment before other modules read it.
import "./terminal-env.js";
import { Command } from "commander";
import { chatCommand } from "./chat.js";
import { sendCommand } from "./send.js";
import { serveCommand } from "./serve.js";
import { trustCommand } from "./trust.js";

const program = new Command("parley")
  .description("Parley: self-hosted chat — a hub, a terminal client and direct encrypted chats")
  .version("0.1.0")
  .showHelpAfterError();

program.addCommand(serveCommand());
program.addCommand(chatCommand());
program.addCommand(sendCommand());
program.addCommand(trustCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`parley: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

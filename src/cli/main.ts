#!/usr/bin/env node
/** `parley`: the command line. Each subcommand lives in its own file; the tree is in program.ts. */
// Must stay the first import: it adjusts the environment before other modules read it.
import "./terminal-env.js";
import { parleyProgram } from "./program.js";

parleyProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(`parley: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });

/**
 * The option tables of the docs against the real command-line parser: every flag the README and
 * docs/terminal-client.md document for `parley serve`, `chat`, `send` and `trust` is accepted, and every
 * flag the parser knows is documented. (Regression: `parley chat --remember` was documented and read,
 * but never registered, so commander refused it.)
 */
import { readFileSync } from "node:fs";
import type { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { parleyProgram } from "../../src/cli/program.js";

const COMMANDS = ["serve", "chat", "send", "trust"] as const;
type CommandName = (typeof COMMANDS)[number];

function read(path: string): string {
  return readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
}

/** The README part generated from docs/terminal-client.md; that file is read on its own. */
function withoutGenerated(readme: string): string {
  return readme.replace(/<!-- terminal-client:start[\s\S]*?<!-- terminal-client:end -->/, "");
}

interface DocumentedFlag {
  command: CommandName;
  flag: string;
  where: string;
}

/**
 * Flags from the first column of every table headed `flag` or `option`. A table belongs to the command
 * named (`parley NAME`) by the innermost heading above it that names one, else to `fallback`.
 */
function documentedFlags(text: string, where: string, fallback?: CommandName): DocumentedFlag[] {
  const found: DocumentedFlag[] = [];
  const headings: string[] = [];
  let inFence = false;
  let table: CommandName | null | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) inFence = !inFence;
    if (inFence) continue;
    const heading = /^(#+)\s+(.*)$/.exec(line);
    if (heading) {
      headings.length = (heading[1] as string).length - 1;
      headings.push(heading[2] as string);
      table = undefined;
      continue;
    }
    if (!line.startsWith("|")) {
      table = undefined;
      continue;
    }
    const cells = line.split("|").slice(1, -1);
    const first = (cells[0] ?? "").trim();
    if (table === undefined) {
      // The header row decides whether this is an option table.
      if (first !== "flag" && first !== "option") {
        table = null;
        continue;
      }
      const named = [...headings]
        .reverse()
        .map((h) => /`parley (serve|chat|send|trust)\b/.exec(h)?.[1] as CommandName | undefined)
        .find((c) => c !== undefined);
      table = named ?? fallback ?? null;
      continue;
    }
    if (table === null || /^-+$/.test(first.replace(/[:\s]/g, ""))) continue;
    for (const code of first.matchAll(/`([^`]*)`/g)) {
      for (const flag of (code[1] as string).matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])\b/g)) {
        found.push({ command: table, flag: flag[1] as string, where });
      }
    }
  }
  return found;
}

const DOCUMENTED = [
  ...documentedFlags(withoutGenerated(read("README.md")), "README.md"),
  ...documentedFlags(read("docs/terminal-client.md"), "docs/terminal-client.md", "chat"),
];

function subcommand(program: Command, name: CommandName): Command {
  const found = program.commands.find((c) => c.name() === name);
  if (!found) throw new Error(`parley has no ${name} command`);
  return found;
}

/** What else a command needs to parse at all (required options and arguments). */
const REQUIRED: Record<CommandName, readonly string[]> = {
  serve: [],
  chat: [],
  send: ["--hub", "wss://127.0.0.1:1", "--user", "someone", "--room", "general"],
  trust: ["wss://127.0.0.1:1"],
};

/**
 * Parses `parley COMMAND FLAG [value]` with the real program, its actions replaced by a recorder.
 * Resolves with the option values the command saw; rejects with commander's error (e.g. unknown option).
 */
function parse(command: CommandName, flag: string): Record<string, unknown> {
  const program = parleyProgram();
  const silent = { writeOut: () => {}, writeErr: () => {} };
  program.exitOverride().configureOutput(silent);
  let seen: Record<string, unknown> | undefined;
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput(silent);
    sub.action(function (this: Command) {
      seen = this.opts();
    });
  }
  const option = subcommand(program, command).options.find(
    (o: Option) => o.short === flag || o.long === flag,
  );
  const value = option && (option.required || option.optional) ? ["1"] : [];
  const extra = REQUIRED[command].filter((_, i, all) => !(all[i] === flag || all[i - 1] === flag));
  program.parse([command, flag, ...value, ...extra], { from: "user" });
  if (!seen) throw new Error(`parley ${command} ${flag} ran no action`);
  return seen;
}

describe("the docs' option tables", () => {
  it("are found for every command", () => {
    for (const command of COMMANDS) {
      expect(
        DOCUMENTED.filter((d) => d.command === command).length,
        `no documented flags for parley ${command}`,
      ).toBeGreaterThan(0);
    }
  });

  it.each(DOCUMENTED.map((d) => [`parley ${d.command} ${d.flag}`, d] as const))(
    "%s (documented) is accepted by the CLI",
    (_name, { command, flag }) => {
      expect(() => parse(command, flag)).not.toThrow();
    },
  );

  it("`parley chat --remember` turns remembering on", () => {
    expect(parse("chat", "--remember")["remember"]).toBe(true);
  });

  it.each(COMMANDS.map((c) => [c]))("every option of parley %s is documented", (command) => {
    const documented = new Set(DOCUMENTED.filter((d) => d.command === command).map((d) => d.flag));
    const options = subcommand(parleyProgram(), command).options.filter(
      (o) => o.long !== "--help" && o.long !== "--version",
    );
    const missing = options.filter((o) => !documented.has(o.long ?? "") && !documented.has(o.short ?? ""));
    expect(
      missing.map((o) => o.flags),
      "add these to the command's option table in README.md or docs/terminal-client.md",
    ).toEqual([]);
  });
});

describe("documentedFlags", () => {
  it("reads flags by table and heading, and ignores other tables and code blocks", () => {
    const text = [
      "## Running: `parley serve`",
      "| flag | meaning |",
      "|---|---|",
      "| `--tls-cert`, `--tls-key` | files |",
      "| `-c, --config` | file |",
      "```",
      "| flag | x |",
      "| `--in-a-fence` | no |",
      "```",
      "## Keys",
      "| key | |",
      "|---|---|",
      "| `--not-a-flag` | |",
      "### Options",
      "| option | |",
      "|---|---|",
      "| `--user NAME` | |",
    ].join("\n");
    expect(documentedFlags(text, "x", "chat").map((d) => `${d.command} ${d.flag}`)).toEqual([
      "serve --tls-cert",
      "serve --tls-key",
      "serve -c",
      "serve --config",
      "chat --user",
    ]);
  });
});

/**
 * `parley chat [url]`: the terminal client. Arguments and settings only; the app is src/tui.
 * The hub URL comes from the argument, else $PARLEY_HUB, else `hub` in config.toml in the Parley
 * config folder, else wss://127.0.0.1:7447.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { parse as parseToml } from "smol-toml";
import { configDir } from "../client/index.js";
import { DEFAULT_HOST, DEFAULT_PORT } from "../protocol/index.js";
import { colorWanted } from "../tui/render/theme.js";

export const DEFAULT_HUB_URL = `wss://${DEFAULT_HOST}:${DEFAULT_PORT}`;

export interface ChatSettings {
  hub?: string;
  user?: string;
  remember?: boolean;
}

/** Reads `hub`, `user` and `remember` from <config folder>/config.toml; a missing file is no settings. */
export function readChatSettings(dir: string): ChatSettings {
  const path = join(dir, "config.toml");
  if (!existsSync(path)) return {};
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  const section = (typeof raw["chat"] === "object" && raw["chat"] !== null ? raw["chat"] : raw) as Record<
    string,
    unknown
  >;
  const out: ChatSettings = {};
  if (typeof section["hub"] === "string") out.hub = section["hub"];
  if (typeof section["user"] === "string") out.user = section["user"];
  if (typeof section["remember"] === "boolean") out.remember = section["remember"];
  return out;
}

interface ChatFlags {
  color: boolean;
  hyperlinks: boolean;
  user?: string;
  fingerprint?: string;
  configDir?: string;
  remember?: boolean;
}

export function chatCommand(): Command {
  return new Command("chat")
    .description("Open the terminal chat client")
    .argument(
      "[url]",
      `hub URL (wss://host:port, or ws:// for an --insecure hub); default ${DEFAULT_HUB_URL}`,
    )
    .option("-u, --user <username>", "username to log in with (asked otherwise)")
    .option("--no-color", "no colours (also when NO_COLOR is set)")
    .option("--no-hyperlinks", "print links as plain text, without OSC 8 hyperlinks")
    .option(
      "--remember",
      "keep the session in sessions.json in the config folder (yours alone), so the next start needs no password",
    )
    .option(
      "--fingerprint <AA:BB:…>",
      "require this hub certificate fingerprint instead of trusting on first use",
    )
    .option(
      "--config-dir <dir>",
      "folder for known-hubs.json and config.toml (default $PARLEY_CONFIG_DIR or the OS config folder)",
    )
    .action(async (url: string | undefined, flags: ChatFlags) => {
      if (!process.stdin.isTTY) {
        throw new Error("parley chat needs a terminal (stdin is not a TTY); for scripts use `parley send`");
      }
      const dir = flags.configDir ?? configDir();
      const settings = readChatSettings(dir);
      const username = flags.user ?? settings.user;
      // Loaded here so that `parley serve` never pays for React and Ink.
      const { runChat } = await import("../tui/run.js");
      const code = await runChat({
        url: url ?? nonEmpty(process.env["PARLEY_HUB"]) ?? settings.hub ?? DEFAULT_HUB_URL,
        color: colorWanted(flags.color),
        hyperlinks: flags.hyperlinks,
        configDir: dir,
        ...(username ? { username } : {}),
        ...(flags.fingerprint ? { fingerprint: flags.fingerprint } : {}),
        remember: flags.remember === true || settings.remember === true,
      });
      process.exitCode = code;
      // The screen is restored and the hub connection closed by now. A handle some library leaves open
      // (seen: stdin after Ink unmounts, about one quit in five) must not keep a quit terminal app alive;
      // the unref'd timer fires only when something does.
      setTimeout(() => process.exit(code), 300).unref();
    });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** The declarative command table's shapes: each command states its usage, arity and options; one dispatcher checks them. */
import type { ClientState, ParleyClient } from "../../client/core/index.js";
import type { Message, SearchResult } from "../../protocol/index.js";
import type { NoticeLevel } from "../notices.js";
import type { ViewKey } from "../view-keys.js";
import type { ArgSpec, ParsedArgs } from "./args.js";

/** What a command may do; the client's controller (terminal or browser) provides it. */
export interface CommandContext {
  client: ParleyClient;
  /** The client state when the command was typed. */
  state: ClientState;
  /** The view the command was typed in. */
  view: ViewKey;
  /** Prints a line into the view the command was typed in (a `listing` command's lines go to `listing`). */
  print(text: string, level?: NoticeLevel): void;
  /**
   * Where a listing (/users, /rooms, /help …) goes: the status view, and — typed in a room or DM — a
   * panel over the conversation, so the listing does not become part of it. Without it, `print`.
   */
  listing?(text: string, level?: NoticeLevel): void;
  /** Shows another view. */
  focus(view: ViewKey): void;
  /** Asks for a secret on the input line (typed hidden); rejects when the user presses Esc. */
  ask(label: string): Promise<string>;
  /** Opens `url` in the browser; rejects (e.g. OpenFailedError) when no browser could be started. */
  openUrl(url: string): Promise<void>;
  /** The links of the current view, in the numbering the pane shows. */
  links(): readonly string[];
  logout(): Promise<void>;
  quit(): void;
  /** The message selected in the current view (↑ in an empty input), if any. */
  selected?(): Message | undefined;
  /** Shows search results in a view of their own; without it /search prints them. */
  showResults?(query: string, results: readonly SearchResult[], more: boolean): void;
  /** Shows result N (1-based) of the last search in its conversation. */
  jump?(n: number): Promise<void>;
  /** The key bindings of this client, listed by /help. */
  keyHelp: ReadonlyArray<readonly [string, string]>;
  commands: readonly CommandSpec[];
}

/**
 * One command. A client may add commands of its own that need more from their context (the terminal
 * client's direct chats): `C` is that context.
 */
export interface CommandSpec<C extends CommandContext = CommandContext> {
  name: string;
  aliases?: readonly string[];
  /** e.g. "/join ROOM [PASSWORD]" */
  usage: string;
  summary: string;
  /** Longer text for `/help name`. */
  details?: string;
  /** Its output is a listing about the hub, not part of the conversation it was typed in. */
  listing?: boolean;
  args?: ArgSpec;
  /** Positional argument count bounds (checked before `run`). */
  min?: number;
  max?: number;
  run(ctx: C, args: ParsedArgs): Promise<void> | void;
}

/** Wrong use of a command: the dispatcher prints the message and the usage line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A command used correctly that cannot go on (no links here, the passwords differ …): the dispatcher
 * prints the message alone, since the usage line would not help.
 */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

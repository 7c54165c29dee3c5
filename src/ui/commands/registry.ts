/**
 * The command table and its one dispatcher: looks the command up, parses and checks its arguments,
 * runs it, and turns any failure into one line saying what to do.
 */
import { ArgsError, parseArgs, splitCommand } from "./args.js";
import { changeCommands } from "./changes.js";
import { describeError } from "./errors.js";
import { messagingCommands } from "./messaging.js";
import { moderationCommands } from "./moderation.js";
import { peopleCommands } from "./people.js";
import { roomCommands } from "./rooms.js";
import { sessionCommands } from "./session.js";
import type { CommandContext, CommandSpec } from "./types.js";

/** The commands every client has, in /help order; a client appends its own (direct chats, …). */
export const CORE_COMMANDS: readonly CommandSpec[] = [
  ...sessionCommands,
  ...roomCommands,
  ...messagingCommands,
  ...changeCommands,
  ...moderationCommands,
  ...peopleCommands,
];

export function findCommand<C extends CommandContext>(
  name: string,
  commands: readonly CommandSpec<C>[],
): CommandSpec<C> | undefined {
  return commands.find((c) => c.name === name || c.aliases?.includes(name));
}

/** Edit distance with adjacent transpositions ("jion" → "join" is 1), for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** Closest command names to a mistyped one, for "did you mean". */
function suggestions(name: string, commands: readonly { name: string }[]): string[] {
  return commands
    .map((c) => ({ name: c.name, d: distance(name, c.name) }))
    .filter((c) => c.d <= (name.length <= 3 ? 1 : 2))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((c) => c.name);
}

export type RunResult = { ok: true } | { ok: false; message: string };

/** Runs one command line (`/name args`). Never throws: failures come back as a message. */
export async function runCommand<C extends CommandContext>(
  line: string,
  ctx: Omit<C, "commands">,
  commands: readonly CommandSpec<C>[],
): Promise<RunResult> {
  const cmd = splitCommand(line);
  if (!cmd) return { ok: false, message: "not a command" };
  const spec = findCommand(cmd.name, commands);
  if (!spec) {
    const near = suggestions(cmd.name, commands);
    const hint = near.length > 0 ? `did you mean ${near.map((n) => `/${n}`).join(" or ")}? ` : "";
    return { ok: false, message: `unknown command /${cmd.name} — ${hint}/help lists the commands` };
  }
  try {
    const args = parseArgs(cmd.args, spec.args);
    const n = args.positional.length;
    if (n < (spec.min ?? 0)) throw new ArgsError("missing argument");
    if (spec.max !== undefined && n > spec.max) throw new ArgsError("too many arguments");
    const print = spec.listing && ctx.listing ? ctx.listing : ctx.print;
    await spec.run({ ...ctx, print, commands } as C, args);
    return { ok: true };
  } catch (error) {
    return { ok: false, message: `/${spec.name}: ${describeError(error, spec.usage)}` };
  }
}

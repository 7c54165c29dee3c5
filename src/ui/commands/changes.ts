/**
 * Commands that change messages or find them: /edit, /delete, /reply, /react, /search, /jump. A
 * message is named by its number in the current view (newest = 1; a selected message shows it), or
 * is the selected one when no number is given.
 */
import { parseKey } from "../../client/core/index.js";
import type { Message } from "../../protocol/index.js";
import { isReactionEmoji } from "../../protocol/reactions.js";
import { CommandError, UsageError, type CommandContext, type CommandSpec } from "./types.js";

/** The loaded messages of the current view. */
function messagesHere(ctx: CommandContext): readonly Message[] {
  const parsed = parseKey(ctx.view);
  if (!parsed) throw new CommandError("switch to a room or DM first");
  const conv = parsed.kind === "room" ? ctx.state.rooms[parsed.name] : ctx.state.dms[parsed.name];
  return conv?.messages ?? [];
}

/** Message number `n` here (newest = 1). */
function numbered(ctx: CommandContext, n: number): Message {
  const messages = messagesHere(ctx);
  const m = Number.isInteger(n) && n >= 1 ? messages[messages.length - n] : undefined;
  if (!m) throw new CommandError(`messages here are numbered 1 (the newest) to ${messages.length}`);
  return m;
}

/**
 * The message a command names and the rest of its text: "N text" names message N; otherwise the
 * selected message (↑ in an empty input), else `fallback`.
 */
function named(
  ctx: CommandContext,
  text: string,
  fallback?: () => Message | undefined,
): { message: Message; rest: string } {
  const m = /^(\d+)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (m) return { message: numbered(ctx, Number(m[1])), rest: m[2] ?? "" };
  const message = ctx.selected?.() ?? fallback?.();
  if (!message)
    throw new UsageError("give the message's number (↑ in an empty input selects one and shows it)");
  return { message, rest: text.trim() };
}

function lastOwn(ctx: CommandContext): Message | undefined {
  const me = ctx.state.me?.username;
  return [...messagesHere(ctx)].reverse().find((m) => m.from === me && !m.deleted);
}

/** /delete [N] (rooms.ts's /delete, which also deletes rooms, sends numbers and nothing here). */
export async function deleteMessage(ctx: CommandContext, n: string | undefined): Promise<void> {
  const { message } = named(ctx, n ?? "");
  await ctx.client.deleteMessage(message.id);
  ctx.print("Message deleted");
}

export const changeCommands: CommandSpec[] = [
  {
    name: "edit",
    usage: "/edit [N] TEXT",
    summary: "Replace the text of your message N (or the selected one, or your last one).",
    args: { restFrom: 0 },
    min: 1,
    async run(ctx, { positional: [text = ""] }) {
      const { message, rest } = named(ctx, text, () => lastOwn(ctx));
      if (rest.trim() === "") throw new UsageError("give the new text");
      await ctx.client.edit(message.id, rest);
    },
  },
  {
    name: "reply",
    usage: "/reply [N] TEXT",
    summary: "Answer message N (or the selected one); your message shows a quote of it.",
    args: { restFrom: 0 },
    min: 1,
    async run(ctx, { positional: [text = ""] }) {
      const { message, rest } = named(ctx, text);
      if (rest.trim() === "") throw new UsageError("give the text of your answer");
      await ctx.client.send(ctx.view as Parameters<typeof ctx.client.send>[0], rest, { replyTo: message.id });
    },
  },
  {
    name: "react",
    usage: "/react [N] EMOJI",
    summary: "Add your reaction to message N (or the selected one); the same again takes it back.",
    min: 1,
    max: 2,
    async run(ctx, { positional }) {
      const emoji = positional.at(-1)!;
      if (!isReactionEmoji(emoji)) throw new UsageError("give one emoji, or a short name like :tada:");
      const { message } = named(ctx, positional.length === 2 ? positional[0]! : "");
      const on = message.reactions?.[emoji]?.me !== true;
      await ctx.client.react(message.id, emoji, on);
    },
  },
  {
    name: "search",
    usage: "/search WORDS",
    summary: 'Search the messages you can read: words, word*, "a phrase", from:USER, in:#ROOM.',
    details:
      "Results open in a view of their own, newest first; /jump N (or ↑/↓ and Enter there) shows result N in its conversation.",
    args: { restFrom: 0 },
    min: 1,
    async run(ctx, { positional: [query = ""] }) {
      const { results, next } = await ctx.client.search({ query });
      if (ctx.showResults) {
        ctx.showResults(query, results, next !== undefined);
        return;
      }
      if (results.length === 0) ctx.print(`No messages match ${query}`);
      results.forEach((r, i) =>
        ctx.print(`${i + 1}. ${r.room !== undefined ? `#${r.room}` : `@${r.user}`} <${r.from}> ${r.snippet}`),
      );
    },
  },
  {
    name: "jump",
    usage: "/jump N",
    summary: "Show search result N in its conversation, selected.",
    min: 1,
    max: 1,
    async run(ctx, { positional: [n = ""] }) {
      if (!ctx.jump) throw new CommandError("this client cannot jump to search results");
      await ctx.jump(Number(n));
    },
  },
];

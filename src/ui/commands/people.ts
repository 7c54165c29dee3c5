/** Commands about people and yourself: who is around, your names, mutes and blocks. */
import { PASSWORD_RULE, passwordProblem, type User } from "../../protocol/index.js";
import { parseKey } from "../../client/core/index.js";
import { conversationArg, userName } from "./targets.js";
import { CommandError, type CommandSpec } from "./types.js";

function describeUser(u: User): string {
  const full = [u.firstName, u.lastName].filter(Boolean).join(" ");
  const names = u.displayName && u.displayName !== u.username ? ` (${u.displayName})` : "";
  return `${u.username}${names}${full ? ` — ${full}` : ""}${u.online ? " — online" : ""}`;
}

function muteCommand(on: boolean): CommandSpec {
  return {
    name: on ? "mute" : "unmute",
    usage: `/${on ? "mute" : "unmute"} [#ROOM | @USER]`,
    summary: on
      ? "Silence notifications from a room or user (the current view by default); messages still arrive."
      : "Turn notifications from a room or user back on.",
    max: 1,
    async run(ctx, { positional: [target] }) {
      const key = conversationArg(ctx, target);
      await ctx.client.mute(key, on);
      const parsed = parseKey(key);
      const what = parsed?.kind === "room" ? `#${parsed.name}` : parsed?.name;
      ctx.print(on ? `Muted ${what}: no notices or bell from it` : `Unmuted ${what}`);
    },
  };
}

function blockCommand(on: boolean): CommandSpec {
  return {
    name: on ? "block" : "unblock",
    usage: `/${on ? "block" : "unblock"} USER`,
    summary: on
      ? "Stop a user's direct messages from reaching you (they are not told)."
      : "Accept a user's direct messages again.",
    min: 1,
    max: 1,
    async run(ctx, { positional: [user = ""] }) {
      const name = userName(user);
      await ctx.client.block(name, on);
      ctx.print(on ? `Blocked ${name}` : `Unblocked ${name}`);
    },
  };
}

export const peopleCommands: CommandSpec[] = [
  {
    name: "users",
    usage: "/users",
    summary: "Everyone online on the hub.",
    listing: true,
    max: 0,
    async run(ctx) {
      const { users } = await ctx.client.call("users.online", {});
      ctx.print(`${users.length} online:`);
      for (const u of users) ctx.print(`  ${describeUser(u)}`);
    },
  },
  {
    // /search searches messages (changes.ts); finding people and rooms by prefix is /find.
    name: "find",
    usage: "/find PREFIX",
    summary: "Find users (by username or display name) and rooms starting with PREFIX.",
    listing: true,
    args: { restFrom: 0 },
    min: 1,
    max: 1,
    async run(ctx, { positional: [query = ""] }) {
      const [{ users }, { rooms }] = await Promise.all([
        ctx.client.call("users.search", { query }),
        ctx.client.call("rooms.list", { query }),
      ]);
      if (users.length === 0 && rooms.length === 0) {
        ctx.print(`Nothing starts with "${query}"`);
        return;
      }
      for (const u of users) ctx.print(`  user ${describeUser(u)}`);
      for (const r of rooms)
        ctx.print(`  room #${r.name}${r.locked ? " [password]" : ""}${r.joined ? " [joined]" : ""}`);
    },
  },
  {
    name: "nick",
    usage: "/nick DISPLAY NAME",
    summary: "Change your display name (your username stays; see /rename).",
    args: { restFrom: 0 },
    min: 1,
    max: 1,
    async run(ctx, { positional: [name = ""] }) {
      const { user } = await ctx.client.call("me.update", { displayName: name });
      ctx.print(`Your display name is now ${user.displayName}`);
    },
  },
  {
    name: "realname",
    usage: "/realname [FIRST [LAST]]",
    summary: "Set (or with no words, clear) your first and last name.",
    max: 2,
    async run(ctx, { positional: [first, last] }) {
      await ctx.client.call("me.update", { firstName: first ?? null, lastName: last ?? null });
      ctx.print(
        first
          ? `Your name is now ${[first, last].filter(Boolean).join(" ")}`
          : "Cleared your first and last name",
      );
    },
  },
  {
    name: "rename",
    usage: "/rename NEW-USERNAME",
    summary: "Change your username, keeping history and rooms (asks your password).",
    min: 1,
    max: 1,
    async run(ctx, { positional: [name = ""] }) {
      const password = await ctx.ask("Your password, to confirm the rename");
      const { user } = await ctx.client.call("me.rename", { username: userName(name), password });
      ctx.print(`You are now ${user.username}`);
    },
  },
  {
    name: "password",
    usage: "/password",
    summary: "Change your password (asks old and new, hidden); your other devices are logged out.",
    max: 0,
    async run(ctx) {
      const old = await ctx.ask("Current password");
      const next = await ctx.ask("New password");
      const rule = ctx.state.hub?.passwordRule ?? PASSWORD_RULE;
      const problem = passwordProblem(next, ctx.state.me?.username ?? "", rule);
      if (problem !== null) throw new CommandError(`${problem}; nothing changed`);
      const again = await ctx.ask("New password again");
      if (next !== again) throw new CommandError("the new passwords differ; nothing changed");
      await ctx.client.call("me.password", { old, new: next });
      ctx.print("Password changed");
    },
  },
  muteCommand(true),
  muteCommand(false),
  blockCommand(true),
  blockCommand(false),
];

/**
 * Moderation in the current room: kick, ban, unban, bans, promote, demote, voice, devoice. The hub
 * decides who may. Kick, ban, promote, demote, voice and devoice print nothing on success: the hub's
 * events (member.left, role.changed, voice.changed) tell every member, you included. Unban has no event, so it confirms itself.
 */
import { currentRoom, userName } from "./targets.js";
import type { CommandSpec } from "./types.js";

export const moderationCommands: CommandSpec[] = [
  {
    name: "kick",
    usage: "/kick USER [REASON]",
    summary: "Remove a member of lower rank from the current room; they may rejoin.",
    args: { restFrom: 1 },
    min: 1,
    max: 2,
    async run(ctx, { positional: [user = "", reason] }) {
      const room = currentRoom(ctx);
      const username = userName(user);
      await ctx.client.call("room.kick", { room, username, ...(reason ? { reason } : {}) });
    },
  },
  {
    name: "ban",
    usage: "/ban USER [REASON]",
    summary: "Ban a user of lower rank from the current room (removing them if present).",
    args: { restFrom: 1 },
    min: 1,
    max: 2,
    async run(ctx, { positional: [user = "", reason] }) {
      const room = currentRoom(ctx);
      const username = userName(user);
      await ctx.client.call("room.ban", { room, username, ...(reason ? { reason } : {}) });
    },
  },
  {
    name: "unban",
    usage: "/unban USER",
    summary: "Lift a ban in the current room.",
    min: 1,
    max: 1,
    async run(ctx, { positional: [user = ""] }) {
      const room = currentRoom(ctx);
      const username = userName(user);
      await ctx.client.call("room.unban", { room, username });
      ctx.print(`${username} may join #${room} again`);
    },
  },
  {
    name: "bans",
    usage: "/bans",
    summary: "List the current room's bans (admins and owner).",
    listing: true,
    max: 0,
    async run(ctx) {
      const room = currentRoom(ctx);
      const { bans } = await ctx.client.call("room.bans", { room });
      if (bans.length === 0) {
        ctx.print(`Nobody is banned from #${room}`);
        return;
      }
      ctx.print(`Banned from #${room}:`);
      for (const b of bans) {
        ctx.print(
          `  ${b.username}${b.byName ? " (the name: whoever holds it)" : ""} — by ${b.by}, ${new Date(b.at).toISOString().slice(0, 16).replace("T", " ")}${b.reason ? `: ${b.reason}` : ""}`,
        );
      }
    },
  },
  {
    name: "promote",
    usage: "/promote USER",
    summary: "Make a member of the current room an admin.",
    min: 1,
    max: 1,
    async run(ctx, { positional: [user = ""] }) {
      const room = currentRoom(ctx);
      await ctx.client.call("room.promote", { room, username: userName(user) });
    },
  },
  {
    name: "demote",
    usage: "/demote USER",
    summary: "Make an admin of the current room a member again (owner only).",
    min: 1,
    max: 1,
    async run(ctx, { positional: [user = ""] }) {
      const room = currentRoom(ctx);
      await ctx.client.call("room.demote", { room, username: userName(user) });
    },
  },
  voiceCommand(true),
  voiceCommand(false),
];

function voiceCommand(on: boolean): CommandSpec {
  return {
    name: on ? "voice" : "devoice",
    usage: `/${on ? "voice" : "devoice"} USER`,
    summary: on
      ? "Let a member post in the current room when it is moderated (/moderate on); admins and owner."
      : "Take a member's voice in the current room: in a moderated room they may no longer post.",
    min: 1,
    max: 1,
    async run(ctx, { positional: [user = ""] }) {
      const room = currentRoom(ctx);
      await ctx.client.call("room.voice", { room, username: userName(user), voice: on });
    },
  };
}

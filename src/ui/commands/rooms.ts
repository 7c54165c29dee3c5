/** Commands about rooms: finding, joining, creating, leaving, and the room's settings. */
import { deleteMessage } from "./changes.js";
import { HubError, roomKey } from "../../client/core/index.js";
import type { Room } from "../../protocol/index.js";
import { currentRoom, roomName, userName } from "./targets.js";
import { CommandError, UsageError, type CommandSpec } from "./types.js";

/** `/rooms` shows at most this many (fetched a page at a time). */
const ROOMS_SHOWN = 1000;

/** `#books — 2 members (limit 10), 1 online [joined, password] — Monthly reads` */
function describeRoom(r: Room): string {
  const flags = [
    r.joined ? "joined" : undefined,
    r.locked ? "password" : undefined,
    r.moderated ? "moderated" : undefined,
    r.secret ? "secret" : undefined,
  ].filter(Boolean);
  const members = `${r.members} member${r.members === 1 ? "" : "s"}`;
  // The limit belongs to the member count, not to the online count beside it.
  const limit = r.capacity ? ` (limit ${r.capacity})` : "";
  const online = r.online !== undefined ? `, ${r.online} online` : "";
  return `#${r.name} — ${members}${limit}${online}${flags.length ? ` [${flags.join(", ")}]` : ""}${r.description ? ` — ${r.description}` : ""}`;
}

/** `/NAME on|off`: one on/off setting of the current room through `room.update`. */
function onOffSetting(name: string, setting: "moderated" | "secret", summary: string): CommandSpec {
  return {
    name,
    usage: `/${name} on|off`,
    summary,
    min: 1,
    max: 1,
    async run(ctx, { positional: [value = ""] }) {
      const room = currentRoom(ctx);
      const on = value.toLowerCase();
      if (on !== "on" && on !== "off") throw new UsageError(`/${name} on|off`);
      await ctx.client.call("room.update", { room, [setting]: on === "on" });
    },
  };
}

// Commands that change a room's settings print nothing on success: the hub's `room.updated` event
// tells every member, you included, and its notice says what changed.
export const roomCommands: CommandSpec[] = [
  {
    name: "join",
    aliases: ["j"],
    usage: "/join ROOM [PASSWORD]",
    summary: "Join a room (password if it has one) and switch to it.",
    min: 1,
    max: 2,
    async run(ctx, { positional: [room = "", password] }) {
      const name = roomName(room);
      if (ctx.state.rooms[name]) {
        ctx.focus(roomKey(name));
        return;
      }
      try {
        await ctx.client.joinRoom(name, password);
      } catch (error) {
        // The hub's "needs a password" / "wrong password" says what; only /join knows how to give it.
        if (error instanceof HubError && error.code === "WRONG_PASSWORD" && password === undefined)
          throw new CommandError(`#${name} has a password: /join ${name} PASSWORD`);
        throw error;
      }
      ctx.focus(roomKey(name));
    },
  },
  {
    name: "create",
    usage: "/create ROOM [--password PASSWORD] [--capacity N] [--desc TEXT] [--e2e]",
    summary: "Create a room; you become its owner.",
    details:
      'Quote values with spaces: /create book-club --desc "Books, monthly" --capacity 20. With --e2e the room is end-to-end encrypted: each message is sealed to every member device and the hub cannot read it (the terminal client only).',
    args: { flags: { password: "string", capacity: "number", desc: "string", e2e: "boolean" } },
    min: 1,
    max: 1,
    async run(ctx, { positional: [room = ""], flags }) {
      const name = roomName(room);
      await ctx.client.createRoom({
        name,
        ...(flags["password"] !== undefined ? { password: String(flags["password"]) } : {}),
        ...(flags["capacity"] !== undefined ? { capacity: Number(flags["capacity"]) } : {}),
        ...(flags["desc"] !== undefined ? { description: String(flags["desc"]) } : {}),
        ...(flags["e2e"] === true ? { e2e: true } : {}),
      });
      ctx.focus(roomKey(name));
      ctx.print(
        flags["e2e"] === true
          ? `Created #${name} [e2e], end-to-end encrypted: messages are sealed to each member's devices; you are its owner`
          : `Created #${name}; you are its owner`,
      );
    },
  },
  {
    name: "leave",
    aliases: ["part"],
    usage: "/leave [ROOM] [REASON]",
    summary: "Leave a room (the current one by default), telling its members why if you like.",
    details:
      "The first word names the room when it starts with # or is a room you are in; anything else is the reason: /leave off to bed, /leave #books see you.",
    args: { restFrom: 1 },
    max: 2,
    async run(ctx, { positional: [first, rest] }) {
      const isRoom =
        first !== undefined && (first.startsWith("#") || ctx.state.rooms[roomName(first)] !== undefined);
      const name = isRoom ? roomName(first) : currentRoom(ctx);
      const reason = isRoom ? rest : [first, rest].filter((p) => p !== undefined).join(" ");
      await ctx.client.leaveRoom(name, reason || undefined);
      ctx.focus("status");
      ctx.print(`You left #${name}`);
    },
  },
  {
    name: "invite",
    usage: "/invite USER [ROOM]",
    summary:
      "Invite a user to the current room (or ROOM): they may join once, past its password and member limit, within a day.",
    details:
      "Admins and the owner may invite; in a room without a password any member may. The user sees the invitation wherever they are logged in.",
    min: 1,
    max: 2,
    async run(ctx, { positional: [user = "", room] }) {
      const name = room !== undefined ? roomName(room) : currentRoom(ctx);
      const username = userName(user);
      const { expiresAt } = await ctx.client.call("room.invite", { room: name, username });
      const until = new Date(expiresAt).toISOString().slice(0, 16).replace("T", " ");
      ctx.print(`Invited ${username} to #${name} (they may join once, until ${until} UTC)`);
    },
  },
  {
    name: "rooms",
    usage: "/rooms [PREFIX]",
    summary: "List the hub's rooms (optionally those starting with PREFIX).",
    listing: true,
    max: 1,
    async run(ctx, { positional: [query] }) {
      const { rooms, more } = await ctx.client.listRooms(
        { detail: true, ...(query ? { query } : {}) },
        ROOMS_SHOWN,
      );
      if (rooms.length === 0) {
        ctx.print(query ? `No room starts with "${query}"` : "No rooms yet: /create ROOM makes one");
        return;
      }
      ctx.print(
        more
          ? `The first ${rooms.length} rooms (there are more: /rooms PREFIX narrows the list):`
          : `${rooms.length} room${rooms.length === 1 ? "" : "s"}:`,
      );
      for (const r of rooms) ctx.print(`  ${"members" in r ? describeRoom(r) : `#${r.name}`}`);
    },
  },
  {
    name: "who",
    aliases: ["names"],
    usage: "/who [ROOM]",
    summary: "Members of a room with their roles and who is online.",
    listing: true,
    max: 1,
    async run(ctx, { positional: [room] }) {
      const name = room !== undefined ? roomName(room) : currentRoom(ctx);
      const { members } = await ctx.client.call("room.members", { room: name });
      const rank = { owner: 0, admin: 1, member: 2 } as const;
      const sorted = [...members].sort(
        (a, b) => rank[a.role] - rank[b.role] || a.username.localeCompare(b.username),
      );
      ctx.print(`#${name}: ${members.length} member${members.length === 1 ? "" : "s"}`);
      for (const m of sorted) {
        ctx.print(`  ${m.username} — ${m.role}${m.voiced ? ", voiced" : ""}${m.online ? ", online" : ""}`);
      }
    },
  },
  {
    name: "topic",
    usage: "/topic [TEXT] | /topic --clear",
    summary: "Show or set the current room's description.",
    args: { flags: { clear: "boolean" }, restFrom: 0 },
    max: 1,
    async run(ctx, { positional: [text], flags }) {
      const name = currentRoom(ctx);
      if (flags["clear"]) {
        await ctx.client.call("room.update", { room: name, description: null });
        return;
      }
      if (text === undefined || text === "") {
        const desc = ctx.state.rooms[name]?.info.description;
        ctx.print(desc ? `Topic of #${name}: ${desc}` : `#${name} has no topic; /topic TEXT sets one`);
        return;
      }
      await ctx.client.call("room.update", { room: name, description: text });
    },
  },
  {
    name: "lock",
    usage: "/lock",
    summary: "Set a password on the current room (asked hidden); members stay.",
    max: 0,
    async run(ctx) {
      const name = currentRoom(ctx);
      const password = await ctx.ask(`New password for #${name}`);
      if (password === "") throw new CommandError("the password is empty — /unlock removes a password");
      await ctx.client.call("room.update", { room: name, password });
    },
  },
  {
    name: "unlock",
    usage: "/unlock",
    summary: "Remove the current room's password.",
    max: 0,
    async run(ctx) {
      const name = currentRoom(ctx);
      await ctx.client.call("room.update", { room: name, password: null });
    },
  },
  {
    name: "topiclock",
    usage: "/topiclock on|off",
    summary:
      "Lock the current room's topic to admins and the owner (on, the default), or let any member set it (off).",
    min: 1,
    max: 1,
    async run(ctx, { positional: [value = ""] }) {
      const name = currentRoom(ctx);
      const on = value.toLowerCase();
      if (on !== "on" && on !== "off") throw new UsageError("/topiclock on|off");
      await ctx.client.call("room.update", { room: name, topicLocked: on === "on" });
    },
  },
  onOffSetting(
    "moderate",
    "moderated",
    "Let only the owner, admins and voiced members (/voice) post in the current room (on), or every member (off, the default).",
  ),
  onOffSetting(
    "secret",
    "secret",
    "Leave the current room out of room lists for non-members (on); it can still be joined by name. Off (the default) lists it.",
  ),
  {
    name: "capacity",
    usage: "/capacity N | /capacity --none",
    summary: "Set or remove the current room's member limit.",
    args: { flags: { none: "boolean" } },
    max: 1,
    async run(ctx, { positional: [n], flags }) {
      const name = currentRoom(ctx);
      if (flags["none"]) {
        await ctx.client.call("room.update", { room: name, capacity: null });
        return;
      }
      const capacity = Number(n);
      if (n === undefined || !Number.isInteger(capacity))
        throw new UsageError("give the limit as a whole number");
      await ctx.client.call("room.update", { room: name, capacity });
    },
  },
  {
    name: "delete",
    usage: "/delete [N] | /delete ROOM",
    summary:
      "Delete message N of this view (or the selected one): yours, or as a room admin a member's. /delete ROOM deletes a room and its history (owner only); type its name to confirm.",
    max: 1,
    async run(ctx, args) {
      const room = args.positional[0];
      // A number, or nothing (the selected message), names a message; a room whose name is all
      // digits is written with its '#'.
      if (room === undefined || /^\d+$/.test(room)) return deleteMessage(ctx, room);
      const name = roomName(room);
      await ctx.client.call("room.delete", { room: name });
      ctx.focus("status");
      ctx.print(`Deleted #${name}`);
    },
  },
];

/** How commands name rooms and users: `#room`, `@user`, or a bare name; the current view fills in. */
import { dmKey, parseKey, roomKey, type ConversationKey } from "../../client/core/index.js";
import { CommandError, type CommandContext } from "./types.js";

const strip = (name: string, sigil: string): string => (name.startsWith(sigil) ? name.slice(1) : name);

export const roomName = (name: string): string => strip(name, "#").toLowerCase();
export const userName = (name: string): string => strip(name, "@").toLowerCase();

/** The room a moderation command acts on: the current one, which must be a room. */
export function currentRoom(ctx: CommandContext): string {
  const parsed = parseKey(ctx.view);
  if (parsed?.kind !== "room") {
    throw new CommandError(
      "this command acts on the current room: switch to a room first (Alt+number or /join ROOM)",
    );
  }
  return parsed.name;
}

/** `#x` is a room, `@x` a user; a bare name is a room you are in, else a user; none is the current view. */
export function conversationArg(ctx: CommandContext, arg: string | undefined): ConversationKey {
  if (arg === undefined) {
    if (ctx.view === "status")
      throw new CommandError("name a room (#room) or a user (@user), or switch to one first");
    return ctx.view;
  }
  if (arg.startsWith("#")) return roomKey(roomName(arg));
  if (arg.startsWith("@")) return dmKey(userName(arg));
  const name = arg.toLowerCase();
  return ctx.state.rooms[name] ? roomKey(name) : dmKey(name);
}

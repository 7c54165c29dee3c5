/** Conversation keys ("room:NAME" / "dm:USER"), the one place that builds and reads them. */
import type { Message } from "../../protocol/index.js";
import type { ConversationKey } from "./types.js";

export function roomKey(room: string): ConversationKey {
  return `room:${room}`;
}

export function dmKey(user: string): ConversationKey {
  return `dm:${user}`;
}

export type ParsedKey = { kind: "room"; name: string } | { kind: "dm"; name: string };

/** Reads a key; null when it is neither "room:…" nor "dm:…" with a non-empty name. */
export function parseKey(key: string): ParsedKey | null {
  if (key.startsWith("room:") && key.length > 5) return { kind: "room", name: key.slice(5) };
  if (key.startsWith("dm:") && key.length > 3) return { kind: "dm", name: key.slice(3) };
  return null;
}

/** The `msg.send`/`history` target of a key: `{room}` or `{user}`. */
export function targetOf(key: ConversationKey): { room: string } | { user: string } {
  const parsed = parseKey(key);
  if (!parsed) throw new TypeError(`not a conversation key: ${key}`);
  return parsed.kind === "room" ? { room: parsed.name } : { user: parsed.name };
}

/**
 * The conversation a message belongs to, as seen by this client: its room, or for a DM the other party
 * (`user`, which the hub sets relative to the receiver). Null for a malformed message.
 */
export function conversationOf(message: Pick<Message, "room" | "user">): ConversationKey | null {
  if (message.room !== undefined) return roomKey(message.room);
  if (message.user !== undefined) return dmKey(message.user);
  return null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** True when `body` names `username` as a word (optionally with @), ignoring case. */
export function mentions(body: string, username: string): boolean {
  if (username.length === 0) return false;
  const re = new RegExp(`(^|[^a-z0-9_-])@?${escapeRegExp(username)}(?![a-z0-9_-])`, "i");
  return re.test(body);
}

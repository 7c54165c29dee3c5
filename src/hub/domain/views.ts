/** Store records → the wire objects of src/protocol/model.ts. */
import type { AnyEvent } from "../../protocol/events.js";
import { QUOTE_CHARS } from "../../protocol/limits.js";
import type { FileInfo, Member, Message, Quote, Room, User } from "../../protocol/model.js";
import type {
  EntryRecord,
  MemberRecord,
  MessageRecord,
  ReactionCounts,
  ReplyQuote,
  RoomRecord,
  UserId,
  UserRecord,
} from "../store/store.js";
import { copyFor, parseStored } from "./e2e-rooms.js";

export function toUser(record: UserRecord, online: boolean): User {
  const user: User = { username: record.username, displayName: record.displayName, online };
  if (record.firstName) user.firstName = record.firstName;
  if (record.lastName) user.lastName = record.lastName;
  if (!online && record.lastSeen !== undefined) user.lastSeen = record.lastSeen;
  return user;
}

export function toRoom(
  record: RoomRecord,
  extra: { joined: boolean; online?: number; owner?: string; detail?: boolean },
): Room {
  const room: Room = {
    name: record.name,
    members: record.memberCount,
    locked: record.passwordHash !== undefined,
    topicLocked: record.topicLocked,
    moderated: record.moderated,
    secret: record.secret,
    joined: extra.joined,
    createdAt: record.createdAt,
    lastSeq: record.lastSeq,
  };
  if (record.description !== undefined) room.description = record.description;
  if (record.topicBy !== undefined) room.topicBy = record.topicBy;
  if (record.topicAt !== undefined) room.topicAt = record.topicAt;
  if (record.capacity !== undefined) room.capacity = record.capacity;
  if (record.e2e) room.e2e = true;
  if (extra.online !== undefined) room.online = extra.online;
  if (extra.owner !== undefined) room.owner = extra.owner;
  return room;
}

export function toMember(record: MemberRecord, online: boolean): Member {
  const member: Member = { username: record.username, role: record.role, joinedAt: record.joinedAt, online };
  if (record.voiced) member.voiced = true;
  return member;
}

export function toMessage(
  record: MessageRecord,
  where: { room: string } | { user: string },
  extra: {
    withCid?: boolean;
    muted?: boolean;
    file?: FileInfo | undefined;
    /** A message of an e2e room, shown to this user: their copy of the envelope, no body. */
    e2eFor?: UserId | undefined;
    reactions?: ReactionCounts | undefined;
  } = {},
): Message {
  const sealed = extra.e2eFor !== undefined ? parseStored(record.body) : undefined;
  const message: Message = {
    id: String(record.id),
    seq: record.seq,
    ts: record.ts,
    from: record.from,
    ...where,
    body: extra.e2eFor !== undefined ? "" : record.body,
  };
  if (sealed && extra.e2eFor !== undefined) message.e2e = copyFor(sealed, extra.e2eFor);
  // A tombstone shows nothing of what it was: no file, no reactions.
  if (extra.file && !record.deleted) message.file = extra.file;
  if (extra.withCid && record.cid !== undefined) message.cid = record.cid;
  if (extra.muted) message.muted = true;
  if (record.replyTo !== undefined) {
    message.replyTo = String(record.replyTo);
    if (record.reply) message.quote = quoteOf(record.reply);
    if (record.reply?.seq !== undefined) message.replyToSeq = record.reply.seq;
  }
  if (record.notice) message.notice = true;
  if (record.clientTags) message.clientTags = record.clientTags;
  if (record.editedAt !== undefined) message.editedAt = record.editedAt;
  if (record.deleted) {
    message.deleted = true;
    message.deletedBy = record.deleted.by;
  }
  if (extra.reactions && extra.reactions.size > 0 && !record.deleted) {
    message.reactions = Object.fromEntries(extra.reactions);
  }
  return message;
}

/** A reply's one-line quote: the original's author and first line, cut to QUOTE_CHARS. */
export function quoteOf(original: ReplyQuote): Quote {
  if (original.deleted) return { from: original.from, text: "", deleted: true };
  const line = original.body.split("\n", 1)[0]!.trim();
  const chars = [...line];
  const text = chars.length > QUOTE_CHARS ? `${chars.slice(0, QUOTE_CHARS - 1).join("")}…` : line;
  return { from: original.from, text };
}

type EntryEvent = Extract<AnyEvent, { ev: "message.edited" | "message.deleted" | "reaction" }>;

/**
 * An edit, deletion or reaction as its event. `where` names the conversation for this receiver: the
 * room, or for a DM `conv` ("dm:" + the other party).
 */
export function entryEvent(entry: EntryRecord, where: { room: string } | { conv: string }): EntryEvent {
  const base = {
    ...where,
    id: String(entry.messageId),
    seq: entry.seq,
    ...(entry.messageSeq !== undefined && { msgSeq: entry.messageSeq }),
  };
  switch (entry.kind) {
    case "edit":
      return { ev: "message.edited", ...base, from: entry.user, body: entry.body, editedAt: entry.ts };
    case "delete":
      return { ev: "message.deleted", ...base, by: entry.user };
    case "react":
    case "unreact":
      return { ev: "reaction", ...base, emoji: entry.body, user: entry.user, on: entry.kind === "react" };
  }
}

/** Store records → the wire objects of src/protocol/model.ts. */
import type { FileInfo, Member, Message, Room, User } from "../../protocol/model.js";
import type { MemberRecord, MessageRecord, RoomRecord, UserId, UserRecord } from "../store/store.js";
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
    joined: extra.joined,
    createdAt: record.createdAt,
    lastSeq: record.lastSeq,
  };
  if (record.description !== undefined) room.description = record.description;
  if (record.capacity !== undefined) room.capacity = record.capacity;
  if (record.e2e) room.e2e = true;
  if (extra.online !== undefined) room.online = extra.online;
  if (extra.owner !== undefined) room.owner = extra.owner;
  return room;
}

export function toMember(record: MemberRecord, online: boolean): Member {
  return { username: record.username, role: record.role, joinedAt: record.joinedAt, online };
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
  if (extra.file) message.file = extra.file;
  if (extra.withCid && record.cid !== undefined) message.cid = record.cid;
  if (extra.muted) message.muted = true;
  return message;
}

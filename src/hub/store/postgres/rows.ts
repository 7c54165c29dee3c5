/** Row shapes as `pg` returns them (snake_case, NULL for absent) and their mapping to store records. */
import type { Endpoint, Role } from "../../../protocol/model.js";
import {
  QUOTE_SOURCE_CHARS,
  type DeviceRecord,
  type MemberRecord,
  type MessageRecord,
  type RoomRecord,
  type UserRecord,
} from "../store.js";

export interface UserRow {
  id: number;
  username: string;
  display_name: string;
  first_name: string | null;
  last_name: string | null;
  password_hash: string;
  created_at: number;
  last_seen: number | null;
  server_admin: boolean;
  suspended_at: number | null;
  suspend_reason: string | null;
  reset_hash: string | null;
  reset_expires_at: number | null;
}

export const USER_COLUMNS =
  "u.id, u.username, u.display_name, u.first_name, u.last_name, u.password_hash, u.created_at, u.last_seen, u.server_admin, u.suspended_at, u.suspend_reason, u.reset_hash, u.reset_expires_at";

export function userFromRow(row: UserRow): UserRecord {
  const user: UserRecord = {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
  if (row.first_name !== null) user.firstName = row.first_name;
  if (row.last_name !== null) user.lastName = row.last_name;
  if (row.last_seen !== null) user.lastSeen = row.last_seen;
  if (row.server_admin) user.serverAdmin = true;
  if (row.suspended_at !== null) user.suspension = { at: row.suspended_at, reason: row.suspend_reason ?? "" };
  if (row.reset_hash !== null && row.reset_expires_at !== null) {
    user.reset = { tokenHash: row.reset_hash, expiresAt: row.reset_expires_at };
  }
  return user;
}

export interface RoomRow {
  id: number;
  name: string;
  conv_id: number;
  description: string | null;
  password_hash: string | null;
  capacity: number | null;
  topic_locked: boolean;
  topic_by: string | null;
  topic_at: number | null;
  moderated: boolean;
  secret: boolean;
  e2e: boolean;
  created_at: number;
  last_seq: number;
  member_count: number;
}

/** Selects a room with its sequence and member count; use with `FROM rooms r JOIN conversations c`. */
export const ROOM_COLUMNS = `r.id, r.name, r.conv_id, r.description, r.password_hash, r.capacity, r.topic_locked, r.topic_by, r.topic_at, r.moderated, r.secret, r.e2e, r.created_at,
  c.last_seq, (SELECT count(*) FROM members m WHERE m.room_id = r.id) AS member_count`;

export function roomFromRow(row: RoomRow): RoomRecord {
  const room: RoomRecord = {
    id: row.id,
    name: row.name,
    convId: row.conv_id,
    createdAt: row.created_at,
    lastSeq: row.last_seq,
    memberCount: row.member_count,
    topicLocked: row.topic_locked,
    moderated: row.moderated,
    secret: row.secret,
  };
  if (row.topic_by !== null) room.topicBy = row.topic_by;
  if (row.topic_at !== null) room.topicAt = row.topic_at;
  if (row.description !== null) room.description = row.description;
  if (row.password_hash !== null) room.passwordHash = row.password_hash;
  if (row.capacity !== null) room.capacity = row.capacity;
  if (row.e2e) room.e2e = true;
  return room;
}

export interface MemberRow {
  user_id: number;
  username: string;
  role: Role;
  joined_at: number;
  voiced: boolean;
}

/** Selects a member; use with `FROM members m JOIN users u ON u.id = m.user_id`. */
export const MEMBER_COLUMNS = "m.user_id, u.username, m.role, m.joined_at, m.voiced";

export function memberFromRow(row: MemberRow): MemberRecord {
  return {
    userId: row.user_id,
    username: row.username,
    role: row.role,
    joinedAt: row.joined_at,
    voiced: row.voiced,
  };
}

export interface MessageRow {
  id: number;
  conv_id: number;
  seq: number;
  ts: number;
  from_user_id: number;
  from_name: string;
  body: string;
  cid: string | null;
  notice: boolean;
  /** pg parses JSONB into the object. */
  client_tags: Record<string, string> | null;
  // With FULL_MESSAGE_COLUMNS only:
  reply_to?: number | null;
  edited_at?: number | null;
  deleted_at?: number | null;
  deleted_by?: number | null;
  deleted_by_name?: string | null;
  reply_id?: number | null;
  reply_seq?: number | string | null;
  reply_from?: string | null;
  reply_body?: string | null;
  reply_deleted?: number | null;
}

/** The sender's current name, so history follows renames; use with `FROM messages msg JOIN users u`. */
export const MESSAGE_COLUMNS =
  "msg.id, msg.conv_id, msg.seq, msg.ts, msg.from_user_id, u.username AS from_name, msg.body, msg.cid, msg.notice, msg.client_tags";

/** MESSAGE_COLUMNS with the message's state and its reply's original as it is now; use with MESSAGE_JOINS. */
export const FULL_MESSAGE_COLUMNS = `${MESSAGE_COLUMNS}, msg.reply_to, msg.edited_at, msg.deleted_at,
  msg.deleted_by, du.username AS deleted_by_name, r.id AS reply_id, r.seq AS reply_seq, ru.username AS reply_from,
  substr(r.body, 1, ${QUOTE_SOURCE_CHARS}) AS reply_body, r.deleted_at AS reply_deleted`;
export const MESSAGE_JOINS = `JOIN users u ON u.id = msg.from_user_id
  LEFT JOIN users du ON du.id = msg.deleted_by
  LEFT JOIN messages r ON r.id = msg.reply_to
  LEFT JOIN users ru ON ru.id = r.from_user_id`;

export function messageFromRow(row: MessageRow): MessageRecord {
  const message: MessageRecord = {
    id: row.id,
    convId: row.conv_id,
    seq: row.seq,
    ts: row.ts,
    fromUserId: row.from_user_id,
    from: row.from_name,
    body: row.body,
  };
  if (row.cid !== null) message.cid = row.cid;
  if (row.notice) message.notice = true;
  if (row.client_tags !== null) message.clientTags = row.client_tags;
  if (row.edited_at !== undefined && row.edited_at !== null) message.editedAt = row.edited_at;
  if (row.reply_to !== undefined && row.reply_to !== null) {
    message.replyTo = row.reply_to;
    message.reply =
      row.reply_id === null || row.reply_id === undefined
        ? { from: "", body: "", deleted: true }
        : {
            ...(row.reply_seq !== null && row.reply_seq !== undefined && { seq: Number(row.reply_seq) }),
            from: row.reply_from ?? "",
            body: row.reply_body ?? "",
            deleted: row.reply_deleted !== null && row.reply_deleted !== undefined,
          };
  }
  if (row.deleted_at !== undefined && row.deleted_at !== null) {
    message.deleted = { at: row.deleted_at, byUserId: row.deleted_by ?? 0, by: row.deleted_by_name ?? "" };
  }
  return message;
}

export interface DeviceRow {
  device_id: string;
  key: string;
  sign_key: string | null;
  enc_key: string | null;
  name: string | null;
  signature: string | null;
  endpoints: Endpoint[];
  created_at: number;
  last_seen: number;
  revoked_at: number | null;
}

export const DEVICE_COLUMNS =
  "device_id, key, sign_key, enc_key, name, signature, endpoints, created_at, last_seen, revoked_at";

export function deviceFromRow(row: DeviceRow): DeviceRecord {
  const device: DeviceRecord = {
    id: row.device_id,
    key: row.key,
    endpoints: row.endpoints,
    createdAt: row.created_at,
    lastSeen: row.last_seen,
  };
  if (row.sign_key !== null) device.signKey = row.sign_key;
  if (row.enc_key !== null) device.encKey = row.enc_key;
  if (row.name !== null) device.name = row.name;
  if (row.signature !== null) device.signature = row.signature;
  if (row.revoked_at !== null) device.revokedAt = row.revoked_at;
  return device;
}

/** Rooms, their members and bans. */
import type { Database } from "better-sqlite3";
import type { Role } from "../../../protocol/model.js";
import {
  StoreConflictError,
  type AddMemberResult,
  type BanRecord,
  type MemberRecord,
  type NewRoom,
  type RoomId,
  type RoomPage,
  type RoomPatch,
  type RoomRecord,
  type UserId,
} from "../store.js";
import { isUniqueViolation, must, nameKey, compact, opt, prefixRange, stmt } from "./keys.js";

interface RoomRow {
  id: number;
  name: string;
  conv_id: number;
  description: string | null;
  password_hash: string | null;
  capacity: number | null;
  topic_locked: 0 | 1;
  topic_by: string | null;
  topic_at: number | null;
  moderated: 0 | 1;
  secret: 0 | 1;
  e2e: 0 | 1;
  created_at: number;
  last_seq: number;
  member_count: number;
}

interface MemberRow {
  user_id: number;
  username: string;
  role: Role;
  joined_at: number;
  voiced: 0 | 1;
}

interface BanRow {
  user_id: number | null;
  username: string;
  by_username: string;
  at: number;
  reason: string | null;
}

// The member count is counted, not kept in a column, so it can never drift from the members table;
// members_room_order makes the count an index scan.
const ROOM_SELECT = `SELECT r.id, r.name, r.name_key, r.conv_id, r.description, r.password_hash, r.capacity, r.topic_locked, r.topic_by, r.topic_at, r.moderated, r.secret, r.e2e, r.created_at,
  c.last_seq, (SELECT COUNT(*) FROM members m WHERE m.room_id = r.id) AS member_count
  FROM rooms r JOIN conversations c ON c.id = r.conv_id`;

const MEMBER_SELECT = `SELECT m.user_id, u.username, m.role, m.joined_at, m.voiced
  FROM members m JOIN users u ON u.id = m.user_id`;

function toRoom(row: RoomRow): RoomRecord {
  return compact({
    id: row.id,
    name: row.name,
    convId: row.conv_id,
    description: opt(row.description),
    passwordHash: opt(row.password_hash),
    capacity: opt(row.capacity),
    topicLocked: row.topic_locked === 1,
    topicBy: opt(row.topic_by),
    topicAt: opt(row.topic_at),
    moderated: row.moderated === 1,
    secret: row.secret === 1,
    createdAt: row.created_at,
    lastSeq: row.last_seq,
    memberCount: row.member_count,
    e2e: row.e2e === 1 ? true : undefined,
  });
}

function toMember(row: MemberRow): MemberRecord {
  return {
    userId: row.user_id,
    username: row.username,
    role: row.role,
    joinedAt: row.joined_at,
    voiced: row.voiced === 1,
  };
}

function toBan(row: BanRow): BanRecord {
  return compact({
    userId: opt(row.user_id),
    byName: row.user_id === null ? (true as const) : undefined,
    username: row.username,
    byUsername: row.by_username,
    at: row.at,
    reason: opt(row.reason),
  });
}

export class RoomRepo {
  private readonly insertConv;
  private readonly insertRoom;
  private readonly byKey;
  private readonly byId;
  private readonly list;
  private readonly update;
  private readonly convOf;
  private readonly deleteRoomRow;
  private readonly deleteConv;
  private readonly members;
  private readonly member;
  private readonly countMembers;
  private readonly insertMember;
  private readonly deleteMember;
  private readonly role;
  private readonly voice;
  private readonly ofUser;
  private readonly upsertBan;
  private readonly deleteBan;
  private readonly bans;
  private readonly banned;
  private readonly upsertNameBan;
  private readonly deleteNameBan;
  private readonly dropExpiredInvites;
  private readonly invite;
  private readonly countInvites;
  private readonly upsertInvite;
  private readonly deleteInvite;

  constructor(private readonly db: Database) {
    this.insertConv = stmt<Record<string, never>, { id: number }>(
      db,
      `INSERT INTO conversations (kind) VALUES ('room') RETURNING id`,
    );
    this.insertRoom = stmt<Record<string, unknown>, { id: number }>(
      db,
      `INSERT INTO rooms (name, name_key, conv_id, description, topic_by, topic_at, password_hash, capacity, e2e,
         created_at)
       VALUES (:name, :name_key, :conv_id, :description, :topic_by, :topic_at, :password_hash, :capacity, :e2e,
         :created_at)
       RETURNING id`,
    );
    this.byKey = stmt<{ key: string }, RoomRow>(db, `${ROOM_SELECT} WHERE r.name_key = :key`);
    this.byId = stmt<{ id: number }, RoomRow>(db, `${ROOM_SELECT} WHERE r.id = :id`);
    // One range scan of the name_key index: the prefix's range, past the page's start, LIMIT -1 = all.
    // A secret room is listed only to its members when a viewer is given.
    this.list = stmt<
      { low: string; high: string; after: string; limit: number; viewer: number | null },
      RoomRow
    >(
      db,
      `${ROOM_SELECT} WHERE r.name_key >= :low AND r.name_key < :high AND r.name_key > :after
         AND (:viewer IS NULL OR r.secret = 0
              OR EXISTS (SELECT 1 FROM members v WHERE v.room_id = r.id AND v.user_id = :viewer))
       ORDER BY r.name_key LIMIT :limit`,
    );
    this.update = stmt<Record<string, unknown>>(
      db,
      `UPDATE rooms SET
         description   = CASE WHEN :set_description THEN :description ELSE description END,
         password_hash = CASE WHEN :set_password THEN :password_hash ELSE password_hash END,
         capacity      = CASE WHEN :set_capacity THEN :capacity ELSE capacity END,
         topic_locked  = CASE WHEN :set_topic_locked THEN :topic_locked ELSE topic_locked END,
         moderated     = CASE WHEN :set_moderated THEN :moderated ELSE moderated END,
         secret        = CASE WHEN :set_secret THEN :secret ELSE secret END,
         topic_by      = CASE WHEN :set_topic_by THEN :topic_by ELSE topic_by END,
         topic_at      = CASE WHEN :set_topic_at THEN :topic_at ELSE topic_at END
       WHERE id = :id`,
    );
    this.convOf = stmt<{ id: number }, { conv_id: number }>(db, `SELECT conv_id FROM rooms WHERE id = :id`);
    this.deleteRoomRow = stmt<{ id: number }>(db, `DELETE FROM rooms WHERE id = :id`);
    this.deleteConv = stmt<{ id: number }>(db, `DELETE FROM conversations WHERE id = :id`);
    this.members = stmt<{ room: number }, MemberRow>(
      db,
      `${MEMBER_SELECT} WHERE m.room_id = :room ORDER BY m.joined_at, m.rowid`,
    );
    this.member = stmt<{ room: number; user: number }, MemberRow>(
      db,
      `${MEMBER_SELECT} WHERE m.room_id = :room AND m.user_id = :user`,
    );
    this.countMembers = stmt<{ room: number }, { n: number }>(
      db,
      `SELECT COUNT(*) AS n FROM members WHERE room_id = :room`,
    );
    this.insertMember = stmt<{ room: number; user: number; role: Role; at: number }>(
      db,
      `INSERT INTO members (room_id, user_id, role, joined_at) VALUES (:room, :user, :role, :at)
       ON CONFLICT (room_id, user_id) DO NOTHING`,
    );
    this.deleteMember = stmt<{ room: number; user: number }>(
      db,
      `DELETE FROM members WHERE room_id = :room AND user_id = :user`,
    );
    this.role = stmt<{ room: number; user: number; role: Role }>(
      db,
      `UPDATE members SET role = :role WHERE room_id = :room AND user_id = :user`,
    );
    this.voice = stmt<{ room: number; user: number; voiced: 0 | 1 }>(
      db,
      `UPDATE members SET voiced = :voiced WHERE room_id = :room AND user_id = :user`,
    );
    this.ofUser = stmt<{ user: number }, RoomRow & { role: Role }>(
      db,
      `SELECT room.*, m.role FROM members m JOIN (${ROOM_SELECT}) AS room ON room.id = m.room_id
       WHERE m.user_id = :user ORDER BY room.name_key`,
    );
    this.upsertBan = stmt<Record<string, unknown>>(
      db,
      `INSERT INTO bans (room_id, user_id, by_user_id, at, reason) VALUES (:room, :user, :by, :at, :reason)
       ON CONFLICT (room_id, user_id) DO UPDATE SET by_user_id = excluded.by_user_id, at = excluded.at,
         reason = excluded.reason`,
    );
    this.deleteBan = stmt<{ room: number; user: number }>(
      db,
      `DELETE FROM bans WHERE room_id = :room AND user_id = :user`,
    );
    this.bans = stmt<{ room: number }, BanRow>(
      db,
      `SELECT * FROM (
         SELECT b.user_id, u.username, u.username_key AS name_key, banner.username AS by_username, b.at, b.reason
         FROM bans b JOIN users u ON u.id = b.user_id JOIN users banner ON banner.id = b.by_user_id
         WHERE b.room_id = :room
         UNION ALL
         SELECT NULL, nb.name, nb.name_key, banner.username, nb.at, nb.reason
         FROM room_name_bans nb JOIN users banner ON banner.id = nb.by_user_id
         WHERE nb.room_id = :room)
       ORDER BY at, name_key`,
    );
    this.banned = stmt<{ room: number; user: number }, { one: number }>(
      db,
      `SELECT 1 AS one FROM bans WHERE room_id = :room AND user_id = :user
       UNION ALL
       SELECT 1 FROM room_name_bans nb JOIN users u ON u.username_key = nb.name_key
       WHERE nb.room_id = :room AND u.id = :user
       LIMIT 1`,
    );
    this.upsertNameBan = stmt<Record<string, unknown>>(
      db,
      `INSERT INTO room_name_bans (room_id, name_key, name, by_user_id, at, reason)
       VALUES (:room, :key, :name, :by, :at, :reason)
       ON CONFLICT (room_id, name_key) DO UPDATE SET name = excluded.name, by_user_id = excluded.by_user_id,
         at = excluded.at, reason = excluded.reason`,
    );
    this.deleteNameBan = stmt<{ room: number; key: string }>(
      db,
      `DELETE FROM room_name_bans WHERE room_id = :room AND name_key = :key`,
    );
    this.dropExpiredInvites = stmt<{ room: number; now: number }>(
      db,
      `DELETE FROM room_invites WHERE room_id = :room AND expires_at <= :now`,
    );
    this.invite = stmt<{ room: number; user: number }, { expires_at: number }>(
      db,
      `SELECT expires_at FROM room_invites WHERE room_id = :room AND user_id = :user`,
    );
    this.countInvites = stmt<{ room: number }, { n: number }>(
      db,
      `SELECT COUNT(*) AS n FROM room_invites WHERE room_id = :room`,
    );
    this.upsertInvite = stmt<{ room: number; user: number; expires: number }>(
      db,
      `INSERT INTO room_invites (room_id, user_id, expires_at) VALUES (:room, :user, :expires)
       ON CONFLICT (room_id, user_id) DO UPDATE SET expires_at = excluded.expires_at`,
    );
    this.deleteInvite = stmt<{ room: number; user: number }>(
      db,
      `DELETE FROM room_invites WHERE room_id = :room AND user_id = :user`,
    );
  }

  create(room: NewRoom): RoomRecord {
    return this.db.transaction(() => {
      const conv = must(this.insertConv.get({}), "conversation insert returned no row");
      let id: number;
      try {
        id = must(
          this.insertRoom.get({
            name: room.name,
            name_key: nameKey(room.name),
            conv_id: conv.id,
            description: room.description ?? null,
            topic_by: room.topicBy ?? null,
            topic_at: room.topicAt ?? null,
            password_hash: room.passwordHash ?? null,
            capacity: room.capacity ?? null,
            e2e: room.e2e ? 1 : 0,
            created_at: room.createdAt,
          }),
          "room insert returned no row",
        ).id;
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreConflictError("room");
        throw err;
      }
      this.insertMember.run({ room: id, user: room.ownerId, role: "owner", at: room.createdAt });
      return this.mustGet(id);
    })();
  }

  byName(name: string): RoomRecord | undefined {
    const row = this.byKey.get({ key: nameKey(name) });
    return row && toRoom(row);
  }

  listRooms(prefix?: string, page: RoomPage = {}): RoomRecord[] {
    const range = prefixRange(prefix ?? "");
    const rows = this.list.all({
      ...range,
      after: page.after ?? "",
      limit: page.limit ?? -1,
      viewer: page.visibleTo ?? null,
    });
    return rows.map(toRoom);
  }

  updateRoom(id: RoomId, patch: RoomPatch): RoomRecord {
    this.update.run({
      id,
      set_description: patch.description !== undefined ? 1 : 0,
      description: patch.description ?? null,
      set_password: patch.passwordHash !== undefined ? 1 : 0,
      password_hash: patch.passwordHash ?? null,
      set_capacity: patch.capacity !== undefined ? 1 : 0,
      capacity: patch.capacity ?? null,
      set_topic_locked: patch.topicLocked !== undefined ? 1 : 0,
      topic_locked: patch.topicLocked === false ? 0 : 1,
      set_moderated: patch.moderated !== undefined ? 1 : 0,
      moderated: patch.moderated === true ? 1 : 0,
      set_secret: patch.secret !== undefined ? 1 : 0,
      secret: patch.secret === true ? 1 : 0,
      set_topic_by: patch.topicBy !== undefined ? 1 : 0,
      topic_by: patch.topicBy ?? null,
      set_topic_at: patch.topicAt !== undefined ? 1 : 0,
      topic_at: patch.topicAt ?? null,
    });
    return this.mustGet(id);
  }

  /** Members, bans and mutes go by ON DELETE CASCADE from the room; messages and read markers from its conversation. */
  deleteRoom(id: RoomId): void {
    this.db.transaction(() => {
      const row = this.convOf.get({ id });
      if (!row) return;
      this.deleteRoomRow.run({ id });
      this.deleteConv.run({ id: row.conv_id });
    })();
  }

  getMembers(id: RoomId): MemberRecord[] {
    return this.members.all({ room: id }).map(toMember);
  }

  getMember(id: RoomId, userId: UserId): MemberRecord | undefined {
    const row = this.member.get({ room: id, user: userId });
    return row && toMember(row);
  }

  /** The check and the insert share one transaction, so two joins cannot both take the last place. */
  addMember(id: RoomId, userId: UserId, role: Role, joinedAt: number, capacity?: number): AddMemberResult {
    return this.db
      .transaction((): AddMemberResult => {
        if (this.member.get({ room: id, user: userId })) return "exists";
        if (capacity !== undefined && must(this.countMembers.get({ room: id }), "count").n >= capacity)
          return "full";
        this.insertMember.run({ room: id, user: userId, role, at: joinedAt });
        return "added";
      })
      .immediate();
  }

  removeMember(id: RoomId, userId: UserId, successor?: UserId): number {
    return this.db
      .transaction(() => {
        this.deleteMember.run({ room: id, user: userId });
        if (successor !== undefined) this.role.run({ room: id, user: successor, role: "owner" });
        return must(this.countMembers.get({ room: id }), "count").n;
      })
      .immediate();
  }

  setRole(id: RoomId, userId: UserId, role: Role): void {
    this.role.run({ room: id, user: userId, role });
  }

  setVoice(id: RoomId, userId: UserId, voiced: boolean): boolean {
    return this.voice.run({ room: id, user: userId, voiced: voiced ? 1 : 0 }).changes > 0;
  }

  roomsOfUser(userId: UserId): Array<{ room: RoomRecord; role: Role }> {
    return this.ofUser.all({ user: userId }).map((row) => ({ room: toRoom(row), role: row.role }));
  }

  addBan(id: RoomId, userId: UserId, byUserId: UserId, at: number, reason?: string): void {
    this.upsertBan.run({ room: id, user: userId, by: byUserId, at, reason: reason ?? null });
  }

  removeBan(id: RoomId, userId: UserId): boolean {
    return this.deleteBan.run({ room: id, user: userId }).changes > 0;
  }

  getBans(id: RoomId): BanRecord[] {
    return this.bans.all({ room: id }).map(toBan);
  }

  isBanned(id: RoomId, userId: UserId): boolean {
    return this.banned.get({ room: id, user: userId }) !== undefined;
  }

  addNameBan(id: RoomId, name: string, byUserId: UserId, at: number, reason?: string): void {
    this.upsertNameBan.run({ room: id, key: nameKey(name), name, by: byUserId, at, reason: reason ?? null });
  }

  removeNameBan(id: RoomId, name: string): boolean {
    return this.deleteNameBan.run({ room: id, key: nameKey(name) }).changes > 0;
  }

  addInvite(id: RoomId, userId: UserId, expiresAt: number, now: number, max: number): boolean {
    return this.db
      .transaction((): boolean => {
        this.dropExpiredInvites.run({ room: id, now });
        const renewal = this.invite.get({ room: id, user: userId }) !== undefined;
        if (!renewal && must(this.countInvites.get({ room: id }), "count").n >= max) return false;
        this.upsertInvite.run({ room: id, user: userId, expires: expiresAt });
        return true;
      })
      .immediate();
  }

  takeInvite(id: RoomId, userId: UserId, now: number): boolean {
    return this.db
      .transaction((): boolean => {
        const row = this.invite.get({ room: id, user: userId });
        if (!row) return false;
        this.deleteInvite.run({ room: id, user: userId });
        return row.expires_at > now;
      })
      .immediate();
  }

  private mustGet(id: RoomId): RoomRecord {
    return toRoom(must(this.byId.get({ id }), `no room with id ${id}`));
  }
}

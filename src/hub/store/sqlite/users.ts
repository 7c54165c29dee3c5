/** Users and sessions. */
import type { Database } from "better-sqlite3";
import {
  DELETED_USERNAME,
  StoreConflictError,
  type NewUser,
  type Suspension,
  type UserListQuery,
  type ProfilePatch,
  type SessionRecord,
  type UserId,
  type UserRecord,
} from "../store.js";
import { isUniqueViolation, must, nameKey, compact, opt, prefixRange, stmt } from "./keys.js";

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  first_name: string | null;
  last_name: string | null;
  password_hash: string;
  created_at: number;
  last_seen: number | null;
  server_admin: number;
  suspended_at: number | null;
  suspend_reason: string | null;
  reset_hash: string | null;
  reset_expires_at: number | null;
}

interface SessionRow {
  token_hash: string;
  user_id: number;
  device: string | null;
  created_at: number;
  expires_at: number;
}

const USER_COLUMNS =
  "id, username, display_name, first_name, last_name, password_hash, created_at, last_seen, server_admin, suspended_at, suspend_reason, reset_hash, reset_expires_at";

function toUser(row: UserRow): UserRecord {
  return compact({
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    firstName: opt(row.first_name),
    lastName: opt(row.last_name),
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    lastSeen: opt(row.last_seen),
    serverAdmin: row.server_admin === 1 ? true : undefined,
    suspension:
      row.suspended_at === null ? undefined : { at: row.suspended_at, reason: row.suspend_reason ?? "" },
    reset:
      row.reset_hash === null || row.reset_expires_at === null
        ? undefined
        : { tokenHash: row.reset_hash, expiresAt: row.reset_expires_at },
  });
}

function toSession(row: SessionRow): SessionRecord {
  return compact({
    tokenHash: row.token_hash,
    userId: row.user_id,
    device: opt(row.device),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  });
}

export class UserRepo {
  private readonly insert;
  private readonly byKey;
  private readonly byId;
  private readonly byIds;
  private readonly search;
  private readonly profile;
  private readonly renameStmt;
  private readonly password;
  private readonly lastSeen;
  private readonly insertSession;
  private readonly session;
  private readonly deleteSessionStmt;
  private readonly deleteSessions;
  private readonly count;
  private readonly list;
  private readonly admin;
  private readonly suspension;
  private readonly reset;
  private readonly deleteUserTx;

  constructor(private readonly db: Database) {
    this.insert = stmt<Record<string, unknown>, UserRow>(
      db,
      `INSERT INTO users (username, username_key, display_name, display_key, first_name, last_name, password_hash, created_at)
       VALUES (:username, :username_key, :display_name, :display_key, :first_name, :last_name, :password_hash, :created_at)
       RETURNING ${USER_COLUMNS}`,
    );
    this.byKey = stmt<{ key: string }, UserRow>(
      db,
      `SELECT ${USER_COLUMNS} FROM users WHERE username_key = :key AND deleted_at IS NULL`,
    );
    this.byId = stmt<{ id: number }, UserRow>(db, `SELECT ${USER_COLUMNS} FROM users WHERE id = :id`);
    // One statement for any number of ids: they travel as a JSON array.
    this.byIds = stmt<{ ids: string }, UserRow>(
      db,
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT value FROM json_each(:ids))`,
    );
    // Two index range scans (username, display name) merged; UNION removes a user found by both.
    this.search = stmt<{ low: string; high: string; limit: number }, UserRow>(
      db,
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (
         SELECT id FROM users WHERE username_key >= :low AND username_key < :high
         UNION SELECT id FROM users WHERE display_key >= :low AND display_key < :high)
       AND deleted_at IS NULL
       ORDER BY username_key LIMIT :limit`,
    );
    this.profile = stmt<Record<string, unknown>, UserRow>(
      db,
      `UPDATE users SET
         display_name = CASE WHEN :set_display THEN :display_name ELSE display_name END,
         display_key  = CASE WHEN :set_display THEN :display_key ELSE display_key END,
         first_name   = CASE WHEN :set_first THEN :first_name ELSE first_name END,
         last_name    = CASE WHEN :set_last THEN :last_name ELSE last_name END
       WHERE id = :id RETURNING ${USER_COLUMNS}`,
    );
    this.renameStmt = stmt<{ id: number; username: string; key: string }, UserRow>(
      db,
      `UPDATE users SET username = :username, username_key = :key WHERE id = :id RETURNING ${USER_COLUMNS}`,
    );
    this.password = stmt<{ id: number; hash: string }>(
      db,
      `UPDATE users SET password_hash = :hash WHERE id = :id`,
    );
    this.lastSeen = stmt<{ id: number; ts: number }>(db, `UPDATE users SET last_seen = :ts WHERE id = :id`);
    this.insertSession = stmt<Record<string, unknown>>(
      db,
      `INSERT INTO sessions (token_hash, user_id, device, created_at, expires_at)
       VALUES (:token_hash, :user_id, :device, :created_at, :expires_at)`,
    );
    this.session = stmt<{ hash: string }, SessionRow>(db, `SELECT * FROM sessions WHERE token_hash = :hash`);
    this.deleteSessionStmt = stmt<{ hash: string }>(db, `DELETE FROM sessions WHERE token_hash = :hash`);
    this.deleteSessions = stmt<{ id: number; keep: string | null }>(
      db,
      `DELETE FROM sessions WHERE user_id = :id AND token_hash IS NOT :keep`,
    );
    this.count = stmt<object, { n: number }>(db, `SELECT count(*) AS n FROM users WHERE deleted_at IS NULL`);
    // Paging by username_key (the unique index); the prefix may match the username or the display name.
    this.list = stmt<{ low: string | null; high: string | null; after: string; limit: number }, UserRow>(
      db,
      `SELECT ${USER_COLUMNS} FROM users
       WHERE deleted_at IS NULL AND username_key > :after
         AND (:low IS NULL OR (username_key >= :low AND username_key < :high)
              OR (display_key >= :low AND display_key < :high))
       ORDER BY username_key LIMIT :limit`,
    );
    this.admin = stmt<{ id: number; on: number }>(db, `UPDATE users SET server_admin = :on WHERE id = :id`);
    this.suspension = stmt<{ id: number; at: number | null; reason: string | null }>(
      db,
      `UPDATE users SET suspended_at = :at, suspend_reason = :reason WHERE id = :id`,
    );
    this.reset = stmt<{ id: number; hash: string | null; expires: number | null }>(
      db,
      `UPDATE users SET reset_hash = :hash, reset_expires_at = :expires WHERE id = :id`,
    );
    const cleanup = [
      `DELETE FROM sessions WHERE user_id = :id`,
      `DELETE FROM members WHERE user_id = :id`,
      `DELETE FROM bans WHERE user_id = :id`,
      `DELETE FROM room_invites WHERE user_id = :id`,
      `DELETE FROM room_mutes WHERE user_id = :id`,
      `DELETE FROM user_mutes WHERE user_id = :id OR muted_id = :id`,
      `DELETE FROM blocks WHERE user_id = :id OR blocked_id = :id`,
      `DELETE FROM read_markers WHERE user_id = :id`,
      `DELETE FROM peer_devices WHERE user_id = :id`,
      `DELETE FROM peer_masters WHERE user_id = :id`,
    ].map((sql) => stmt<{ id: number }>(db, sql));
    const erase = stmt<{ id: number }>(db, `DELETE FROM messages WHERE from_user_id = :id`);
    const tombstone = stmt<{ id: number; at: number; name: string }>(
      db,
      `UPDATE users SET username = :name, username_key = char(1) || 'deleted:' || id,
         display_name = :name, display_key = :name, first_name = NULL, last_name = NULL,
         password_hash = '', server_admin = 0, suspended_at = NULL, suspend_reason = NULL,
         reset_hash = NULL, reset_expires_at = NULL, deleted_at = :at
       WHERE id = :id AND deleted_at IS NULL`,
    );
    this.deleteUserTx = db.transaction((id: number, eraseMessages: boolean, at: number) => {
      for (const statement of cleanup) statement.run({ id });
      if (eraseMessages) erase.run({ id });
      tombstone.run({ id, at, name: DELETED_USERNAME });
    });
  }

  countLive(): number {
    return this.count.get({})?.n ?? 0;
  }

  listPage(query: UserListQuery): UserRecord[] {
    const range = query.prefix === undefined || query.prefix === "" ? undefined : prefixRange(query.prefix);
    return this.list
      .all({
        low: range?.low ?? null,
        high: range?.high ?? null,
        after: query.after === undefined ? "" : nameKey(query.after),
        limit: query.limit,
      })
      .map(toUser);
  }

  setServerAdmin(id: UserId, on: boolean): void {
    this.admin.run({ id, on: on ? 1 : 0 });
  }

  setSuspension(id: UserId, suspension: Suspension | null): void {
    this.suspension.run({ id, at: suspension?.at ?? null, reason: suspension?.reason ?? null });
  }

  setPasswordReset(id: UserId, reset: { tokenHash: string; expiresAt: number } | null): void {
    this.reset.run({ id, hash: reset?.tokenHash ?? null, expires: reset?.expiresAt ?? null });
  }

  deleteUser(id: UserId, erase: boolean, at: number): void {
    this.deleteUserTx.immediate(id, erase, at);
  }

  create(user: NewUser): UserRecord {
    try {
      const row = this.insert.get({
        username: user.username,
        username_key: nameKey(user.username),
        display_name: user.displayName,
        display_key: nameKey(user.displayName),
        first_name: user.firstName ?? null,
        last_name: user.lastName ?? null,
        password_hash: user.passwordHash,
        created_at: user.createdAt,
      });
      return toUser(must(row, "insert returned no row"));
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreConflictError("username");
      throw err;
    }
  }

  byName(username: string): UserRecord | undefined {
    const row = this.byKey.get({ key: nameKey(username) });
    return row && toUser(row);
  }

  get(id: UserId): UserRecord | undefined {
    const row = this.byId.get({ id });
    return row && toUser(row);
  }

  /** In the order asked, each once; unknown ids are left out. */
  getMany(ids: readonly UserId[]): UserRecord[] {
    const unique = [...new Set(ids)];
    const found = new Map(
      this.byIds.all({ ids: JSON.stringify(unique) }).map((row) => [row.id, toUser(row)]),
    );
    return unique.flatMap((id) => found.get(id) ?? []);
  }

  searchByPrefix(prefix: string, limit: number): UserRecord[] {
    return this.search.all({ ...prefixRange(prefix), limit }).map(toUser);
  }

  updateProfile(id: UserId, patch: ProfilePatch): UserRecord {
    const row = this.profile.get({
      id,
      set_display: patch.displayName !== undefined ? 1 : 0,
      display_name: patch.displayName ?? null,
      display_key: patch.displayName === undefined ? null : nameKey(patch.displayName),
      set_first: patch.firstName !== undefined ? 1 : 0,
      first_name: patch.firstName ?? null,
      set_last: patch.lastName !== undefined ? 1 : 0,
      last_name: patch.lastName ?? null,
    });
    return toUser(must(row, `no user with id ${id}`));
  }

  rename(id: UserId, username: string): UserRecord {
    try {
      return toUser(
        must(this.renameStmt.get({ id, username, key: nameKey(username) }), `no user with id ${id}`),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new StoreConflictError("username");
      throw err;
    }
  }

  setPasswordHash(id: UserId, hash: string): void {
    this.password.run({ id, hash });
  }

  setLastSeen(id: UserId, ts: number): void {
    this.lastSeen.run({ id, ts });
  }

  createSession(s: SessionRecord): void {
    this.insertSession.run({
      token_hash: s.tokenHash,
      user_id: s.userId,
      device: s.device ?? null,
      created_at: s.createdAt,
      expires_at: s.expiresAt,
    });
  }

  getSession(tokenHash: string): SessionRecord | undefined {
    const row = this.session.get({ hash: tokenHash });
    return row && toSession(row);
  }

  deleteSession(tokenHash: string): void {
    this.deleteSessionStmt.run({ hash: tokenHash });
  }

  deleteUserSessions(id: UserId, keepTokenHash?: string): void {
    this.deleteSessions.run({ id, keep: keepTokenHash ?? null });
  }
}

/** Settings that follow the user: mutes and blocks. */
import type { Database } from "better-sqlite3";
import type { RoomId, SettingsRecord, UserId } from "../store.js";
import { stmt } from "./keys.js";

type Pair = { user: number; other: number };

export class SettingsRepo {
  private readonly muteRoom;
  private readonly unmuteRoom;
  private readonly muteUser;
  private readonly unmuteUser;
  private readonly block;
  private readonly unblock;
  private readonly mutedRooms;
  private readonly mutedUsers;
  private readonly blockedNames;
  private readonly blocked;

  constructor(private readonly db: Database) {
    this.muteRoom = stmt<Pair>(
      db,
      `INSERT OR IGNORE INTO room_mutes (user_id, room_id) VALUES (:user, :other)`,
    );
    this.unmuteRoom = stmt<Pair>(db, `DELETE FROM room_mutes WHERE user_id = :user AND room_id = :other`);
    this.muteUser = stmt<Pair>(
      db,
      `INSERT OR IGNORE INTO user_mutes (user_id, muted_id) VALUES (:user, :other)`,
    );
    this.unmuteUser = stmt<Pair>(db, `DELETE FROM user_mutes WHERE user_id = :user AND muted_id = :other`);
    this.block = stmt<Pair>(db, `INSERT OR IGNORE INTO blocks (user_id, blocked_id) VALUES (:user, :other)`);
    this.unblock = stmt<Pair>(db, `DELETE FROM blocks WHERE user_id = :user AND blocked_id = :other`);
    // Names are joined at read time, so settings show current names after a rename.
    this.mutedRooms = stmt<{ user: number }, { name: string }>(
      db,
      `SELECT r.name FROM room_mutes x JOIN rooms r ON r.id = x.room_id WHERE x.user_id = :user ORDER BY r.name_key`,
    );
    this.mutedUsers = stmt<{ user: number }, { name: string }>(
      db,
      `SELECT u.username AS name FROM user_mutes x JOIN users u ON u.id = x.muted_id
       WHERE x.user_id = :user ORDER BY u.username_key`,
    );
    this.blockedNames = stmt<{ user: number }, { name: string }>(
      db,
      `SELECT u.username AS name FROM blocks x JOIN users u ON u.id = x.blocked_id
       WHERE x.user_id = :user ORDER BY u.username_key`,
    );
    this.blocked = stmt<Pair, { one: number }>(
      db,
      `SELECT 1 AS one FROM blocks WHERE user_id = :user AND blocked_id = :other`,
    );
  }

  setMute(userId: UserId, target: { roomId: RoomId } | { userId: UserId }, on: boolean): void {
    if ("roomId" in target)
      (on ? this.muteRoom : this.unmuteRoom).run({ user: userId, other: target.roomId });
    else (on ? this.muteUser : this.unmuteUser).run({ user: userId, other: target.userId });
  }

  setBlock(userId: UserId, blockedId: UserId, on: boolean): void {
    (on ? this.block : this.unblock).run({ user: userId, other: blockedId });
  }

  get(userId: UserId): SettingsRecord {
    const names = (rows: Array<{ name: string }>) => rows.map((r) => r.name);
    return {
      mutedRooms: names(this.mutedRooms.all({ user: userId })),
      mutedUsers: names(this.mutedUsers.all({ user: userId })),
      blocked: names(this.blockedNames.all({ user: userId })),
    };
  }

  /** Whether `byUserId` has blocked `userId`. */
  isBlocked(userId: UserId, byUserId: UserId): boolean {
    return this.blocked.get({ user: byUserId, other: userId }) !== undefined;
  }
}

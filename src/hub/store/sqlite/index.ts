/**
 * The SQLite store: the embedded default backend, on better-sqlite3 in WAL mode.
 *
 * better-sqlite3 is synchronous, so every method runs its statements (and commits) before its promise
 * settles; the only deferred write is `appendMessage`, which is group-committed (see appender.ts). Any other
 * write first flushes queued appends, so writes reach the database in the order they were called.
 */
import Database from "better-sqlite3";
import type { Role } from "../../../protocol/model.js";
import type {
  AddMemberResult,
  AppendResult,
  BanRecord,
  ConvId,
  DmConversationRecord,
  HistoryQuery,
  MemberRecord,
  MessageRecord,
  NewMessage,
  NewRoom,
  NewUser,
  DeviceRecord,
  NewDevice,
  ProfilePatch,
  RoomId,
  RoomPatch,
  RoomRecord,
  SessionRecord,
  SettingsRecord,
  Store,
  UserId,
  UserRecord,
} from "../store.js";
import { Appender, type GroupCommit } from "./appender.js";
import { MessageRepo } from "./messages.js";
import { migrate } from "./migrations.js";
import { DeviceRepo } from "./devices.js";
import { RoomRepo } from "./rooms.js";
import { SettingsRepo } from "./settings.js";
import { UserRepo } from "./users.js";

export type { GroupCommit } from "./appender.js";
export { SchemaTooNewError } from "./migrations.js";

export interface SqliteStoreOptions {
  /**
   * `normal` (default): in WAL mode a commit is written to the WAL before the call returns, so it survives
   * a crash or SIGKILL of the hub; only an OS crash or power loss can drop the last commits. `full` also
   * fsyncs the WAL at every commit and survives power loss, at the cost of one fsync per commit (one per
   * batch with group commit) during which the event loop is blocked.
   */
  synchronous?: "normal" | "full";
  /** How `appendMessage` calls are grouped into transactions; see appender.ts. Default `immediate`. */
  groupCommit?: GroupCommit;
}

export class StoreClosedError extends Error {
  constructor() {
    super("the store is closed");
    this.name = "StoreClosedError";
  }
}

export class SqliteStore implements Store {
  private readonly users: UserRepo;
  private readonly rooms: RoomRepo;
  private readonly messages: MessageRepo;
  private readonly settings: SettingsRepo;
  private readonly devices: DeviceRepo;
  private readonly appender: Appender;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    options: SqliteStoreOptions = {},
  ) {
    this.users = new UserRepo(db);
    this.rooms = new RoomRepo(db);
    this.messages = new MessageRepo(db);
    this.settings = new SettingsRepo(db);
    this.devices = new DeviceRepo(db);
    this.appender = new Appender(db, options.groupCommit ?? "immediate");
  }

  /** Guards reads: throws once closed. */
  private open(): void {
    if (this.closed) throw new StoreClosedError();
  }

  /** Guards writes: throws once closed, and writes queued appends first to keep call order. */
  private write(): void {
    this.open();
    this.appender.flush();
  }

  // users

  async createUser(user: NewUser): Promise<UserRecord> {
    this.write();
    return this.users.create(user);
  }

  async getUserByName(username: string): Promise<UserRecord | undefined> {
    this.open();
    return this.users.byName(username);
  }

  async getUserById(id: UserId): Promise<UserRecord | undefined> {
    this.open();
    return this.users.get(id);
  }

  async getUsersByIds(ids: readonly UserId[]): Promise<UserRecord[]> {
    this.open();
    return this.users.getMany(ids);
  }

  async searchUsers(prefix: string, limit: number): Promise<UserRecord[]> {
    this.open();
    return this.users.searchByPrefix(prefix, limit);
  }

  async updateProfile(id: UserId, patch: ProfilePatch): Promise<UserRecord> {
    this.write();
    return this.users.updateProfile(id, patch);
  }

  async renameUser(id: UserId, username: string): Promise<UserRecord> {
    this.write();
    return this.users.rename(id, username);
  }

  async setPasswordHash(id: UserId, hash: string): Promise<void> {
    this.write();
    this.users.setPasswordHash(id, hash);
  }

  async setLastSeen(id: UserId, ts: number): Promise<void> {
    this.write();
    this.users.setLastSeen(id, ts);
  }

  // sessions

  async createSession(session: SessionRecord): Promise<void> {
    this.write();
    this.users.createSession(session);
  }

  async getSession(tokenHash: string): Promise<SessionRecord | undefined> {
    this.open();
    return this.users.getSession(tokenHash);
  }

  async deleteSession(tokenHash: string): Promise<void> {
    this.write();
    this.users.deleteSession(tokenHash);
  }

  async deleteUserSessions(id: UserId, keepTokenHash?: string): Promise<void> {
    this.write();
    this.users.deleteUserSessions(id, keepTokenHash);
  }

  // rooms and membership

  async createRoom(room: NewRoom): Promise<RoomRecord> {
    this.write();
    return this.rooms.create(room);
  }

  async getRoom(name: string): Promise<RoomRecord | undefined> {
    this.open();
    return this.rooms.byName(name);
  }

  async listRooms(prefix?: string): Promise<RoomRecord[]> {
    this.open();
    return this.rooms.listRooms(prefix);
  }

  async updateRoom(id: RoomId, patch: RoomPatch): Promise<RoomRecord> {
    this.write();
    return this.rooms.updateRoom(id, patch);
  }

  async deleteRoom(id: RoomId): Promise<void> {
    this.write();
    this.rooms.deleteRoom(id);
  }

  async getMembers(id: RoomId): Promise<MemberRecord[]> {
    this.open();
    return this.rooms.getMembers(id);
  }

  async getMember(id: RoomId, userId: UserId): Promise<MemberRecord | undefined> {
    this.open();
    return this.rooms.getMember(id, userId);
  }

  async addMember(
    id: RoomId,
    userId: UserId,
    role: Role,
    joinedAt: number,
    capacity?: number,
  ): Promise<AddMemberResult> {
    this.write();
    return this.rooms.addMember(id, userId, role, joinedAt, capacity);
  }

  async removeMember(id: RoomId, userId: UserId, successor?: UserId): Promise<number> {
    this.write();
    return this.rooms.removeMember(id, userId, successor);
  }

  async setRole(id: RoomId, userId: UserId, role: Role): Promise<void> {
    this.write();
    this.rooms.setRole(id, userId, role);
  }

  async roomsOfUser(userId: UserId): Promise<Array<{ room: RoomRecord; role: Role }>> {
    this.open();
    return this.rooms.roomsOfUser(userId);
  }

  async addBan(id: RoomId, userId: UserId, byUserId: UserId, at: number, reason?: string): Promise<void> {
    this.write();
    this.rooms.addBan(id, userId, byUserId, at, reason);
  }

  async removeBan(id: RoomId, userId: UserId): Promise<boolean> {
    this.write();
    return this.rooms.removeBan(id, userId);
  }

  async getBans(id: RoomId): Promise<BanRecord[]> {
    this.open();
    return this.rooms.getBans(id);
  }

  async isBanned(id: RoomId, userId: UserId): Promise<boolean> {
    this.open();
    return this.rooms.isBanned(id, userId);
  }

  // conversations and messages

  async getDmConversation(a: UserId, b: UserId, create: boolean): Promise<ConvId | undefined> {
    if (create) this.write();
    else this.open();
    return this.messages.dmConversation(a, b, create);
  }

  async appendMessage(message: NewMessage): Promise<AppendResult> {
    this.open();
    return this.appender.append(message);
  }

  async history(convId: ConvId, query: HistoryQuery, viewerId: UserId): Promise<MessageRecord[]> {
    this.open();
    return this.messages.history(convId, query, viewerId);
  }

  async lastSeq(convId: ConvId): Promise<number> {
    this.open();
    return this.messages.lastSeq(convId);
  }

  async dmConversations(userId: UserId): Promise<DmConversationRecord[]> {
    this.open();
    return this.messages.dmConversations(userId);
  }

  async setRead(userId: UserId, convId: ConvId, seq: number): Promise<void> {
    this.write();
    this.messages.setRead(userId, convId, seq);
  }

  async getRead(userId: UserId, convId: ConvId): Promise<number> {
    this.open();
    return this.messages.getRead(userId, convId);
  }

  // settings

  async setMute(userId: UserId, target: { roomId: RoomId } | { userId: UserId }, on: boolean): Promise<void> {
    this.write();
    this.settings.setMute(userId, target, on);
  }

  async setBlock(userId: UserId, blockedId: UserId, on: boolean): Promise<void> {
    this.write();
    this.settings.setBlock(userId, blockedId, on);
  }

  async getSettings(userId: UserId): Promise<SettingsRecord> {
    this.open();
    return this.settings.get(userId);
  }

  async isBlocked(userId: UserId, byUserId: UserId): Promise<boolean> {
    this.open();
    return this.settings.isBlocked(userId, byUserId);
  }

  // peer devices

  async getMasterKey(userId: UserId): Promise<string | undefined> {
    this.open();
    return this.devices.master(userId);
  }

  async setMasterKey(userId: UserId, key: string, at: number): Promise<void> {
    this.write();
    this.devices.setMaster(userId, key, at);
  }

  async putDevice(userId: UserId, device: NewDevice): Promise<void> {
    this.write();
    this.devices.put(userId, device);
  }

  async getDevice(userId: UserId, id: string): Promise<DeviceRecord | undefined> {
    this.open();
    return this.devices.get(userId, id);
  }

  async listDevices(userId: UserId): Promise<DeviceRecord[]> {
    this.open();
    return this.devices.list(userId);
  }

  async setDeviceSignature(userId: UserId, id: string, signature: string): Promise<boolean> {
    this.write();
    return this.devices.setSignature(userId, id, signature);
  }

  async revokeDevice(userId: UserId, id: string, at: number, keepRevoked: number): Promise<boolean> {
    this.write();
    return this.devices.revokeDevice(userId, id, at, keepRevoked);
  }

  /** How many transactions wrote appends and how many appends they held (group commit at work). */
  appendStats(): { commits: number; appends: number } {
    return { ...this.appender.stats };
  }

  /** Writes queued appends, lets SQLite refresh its planner statistics, folds the WAL back and closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.appender.flush();
    this.closed = true;
    this.db.pragma("optimize");
    if (!this.db.memory) this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.close();
  }
}

/** Opens (creating and migrating as needed) the database at `file`; `:memory:` for a private in-memory one. */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const db = new Database(file);
  try {
    if (!db.memory) db.pragma("journal_mode = WAL");
    // Why the default is NORMAL: see SqliteStoreOptions.synchronous.
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("foreign_keys = ON");
    // A second process (e.g. a backup or `sqlite3` shell) may hold the lock briefly; wait rather than fail.
    db.pragma("busy_timeout = 5000");
    migrate(db);
    return new SqliteStore(db, options);
  } catch (err) {
    db.close();
    throw err;
  }
}

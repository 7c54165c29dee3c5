/**
 * The SQLite store: the embedded default backend, on better-sqlite3 in WAL mode.
 *
 * better-sqlite3 is synchronous, so every method runs its statements (and commits) before its promise
 * settles; the only deferred write is `appendMessage`, which is group-committed — by a writer thread
 * with its own connection for a database file (worker-appender.ts), in this thread for `:memory:`
 * (appender.ts). Any other write runs after the appends called before it (`AppendQueue.exclusive`),
 * so writes reach the database in the order they were called.
 */
import Database from "better-sqlite3";
import type { Role } from "../../../protocol/model.js";
import type {
  AddMemberResult,
  AppendResult,
  AuditRecord,
  NewAuditEntry,
  Suspension,
  UserListQuery,
  BanRecord,
  ConvId,
  DmConversationRecord,
  EntryResult,
  HistoryQuery,
  NewEntry,
  ReactionCounts,
  SearchHit,
  SearchQuery,
  Sequenced,
  MemberRecord,
  MessageRecord,
  NewMessage,
  NewRoom,
  NewUser,
  DeviceRecord,
  NewDevice,
  ProfilePatch,
  RoomId,
  RoomPage,
  RoomPatch,
  RoomRecord,
  SessionRecord,
  SettingsRecord,
  Store,
  UserId,
  UserRecord,
} from "../store.js";
import { StoreUnavailableError, wrapOperations } from "../store.js";
import { Appender, type AppendQueue, type GroupCommit } from "./appender.js";
import { AuditRepo } from "./audit.js";
import { EntryRepo } from "./entries.js";
import { SqliteFiles } from "./files.js";
import { MessageRepo } from "./messages.js";
import { migrate } from "./migrations.js";
import { configure } from "./pragmas.js";
import { WorkerAppender } from "./worker-appender.js";
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
  /** How `appendMessage` calls are grouped into transactions when appending in this thread; see appender.ts. */
  groupCommit?: GroupCommit;
  /**
   * `worker`: a writer thread owns the appending connection and commits each group
   * (worker-appender.ts), so storing messages overlaps the fan-out on another core.
   * `thread` (default): appends are written on this thread (always so for `:memory:`).
   */
  appendIn?: "worker" | "thread";
}

/** Messages indexed per write when the full-text index catches up, and the wait after appends. */
const INDEX_BATCH = 2000;
const INDEX_DELAY_MS = 20;

export class StoreClosedError extends Error {
  constructor() {
    super("the store is closed");
    this.name = "StoreClosedError";
  }
}

/** SQLite result codes of storage that refuses to work: full, read-only, I/O errors, locked too long. */
function refusal(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|NOMEM)/.test(code);
}

export class SqliteStore implements Store {
  private readonly users: UserRepo;
  private readonly rooms: RoomRepo;
  private readonly messages: MessageRepo;
  private readonly settings: SettingsRepo;
  private readonly devices: DeviceRepo;
  private readonly audit: AuditRepo;
  private readonly entries: EntryRepo;
  private readonly appender: AppendQueue;
  readonly files: SqliteFiles;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    options: SqliteStoreOptions = {},
    /** The writer thread's queue (openSqliteStore); absent: appends in this thread. */
    appender?: AppendQueue,
  ) {
    this.users = new UserRepo(db);
    this.rooms = new RoomRepo(db);
    this.messages = new MessageRepo(db);
    this.settings = new SettingsRepo(db);
    this.devices = new DeviceRepo(db);
    this.entries = new EntryRepo(db);
    this.appender = appender ?? new Appender(db, options.groupCommit ?? "immediate");
    // File records write through the same queue as every other write (call order kept; with the writer
    // thread, never while its group holds the write lock).
    this.files = new SqliteFiles(
      db,
      (write) => this.writing(write),
      () => this.open(),
    );
    this.audit = new AuditRepo(db);
    // A full disk, a read-only file or an I/O error is the storage refusing, not a bad request: so
    // say all operations, the file records' included, whichever thread the write failed in.
    wrapOperations(
      this,
      (operation) =>
        (...args) =>
          operation(...args).catch((err: unknown) => {
            throw refusal(err) ? new StoreUnavailableError(err) : err;
          }),
    );
  }

  /**
   * After text was erased (a room's history, an account's messages): older page images holding it are
   * still frames of the WAL, so fold the WAL into the database (whose freed space secure_delete zeroed)
   * and cut it to nothing. msg.delete does the same (entries.ts).
   */
  private scrubWal(): void {
    if (!this.db.memory) this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  /** Guards reads: throws once closed. */
  private open(): void {
    if (this.closed) throw new StoreClosedError();
  }

  /** Runs a write: throws once closed; after the appends called before it, to keep call order. */
  private writing<T>(write: () => T): Promise<T> {
    this.open();
    return this.appender.exclusive(write);
  }

  // users

  async createUser(user: NewUser): Promise<UserRecord> {
    return this.writing(() => this.users.create(user));
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
    return this.writing(() => this.users.updateProfile(id, patch));
  }

  async renameUser(id: UserId, username: string): Promise<UserRecord> {
    return this.writing(() => this.users.rename(id, username));
  }

  async setPasswordHash(id: UserId, hash: string): Promise<void> {
    return this.writing(() => this.users.setPasswordHash(id, hash));
  }

  async setLastSeen(id: UserId, ts: number): Promise<void> {
    return this.writing(() => this.users.setLastSeen(id, ts));
  }

  async countUsers(): Promise<number> {
    this.open();
    return this.users.countLive();
  }

  async listUsers(query: UserListQuery): Promise<UserRecord[]> {
    this.open();
    return this.users.listPage(query);
  }

  async setServerAdmin(id: UserId, on: boolean): Promise<void> {
    return this.writing(() => this.users.setServerAdmin(id, on));
  }

  async setSuspension(id: UserId, suspension: Suspension | null): Promise<void> {
    return this.writing(() => this.users.setSuspension(id, suspension));
  }

  async setPasswordReset(id: UserId, reset: { tokenHash: string; expiresAt: number } | null): Promise<void> {
    return this.writing(() => this.users.setPasswordReset(id, reset));
  }

  async deleteUser(id: UserId, options: { erase: boolean; at: number }): Promise<void> {
    return this.writing(() => {
      this.users.deleteUser(id, options.erase, options.at);
      if (options.erase) this.scrubWal();
    });
  }

  // audit log

  async appendAudit(entry: NewAuditEntry): Promise<AuditRecord> {
    return this.writing(() => this.audit.append(entry));
  }

  async listAudit(query: { before?: number; limit: number }): Promise<AuditRecord[]> {
    this.open();
    return this.audit.list(query);
  }

  // sessions

  async createSession(session: SessionRecord): Promise<void> {
    return this.writing(() => this.users.createSession(session));
  }

  async getSession(tokenHash: string): Promise<SessionRecord | undefined> {
    this.open();
    return this.users.getSession(tokenHash);
  }

  async deleteSession(tokenHash: string): Promise<void> {
    return this.writing(() => this.users.deleteSession(tokenHash));
  }

  async deleteUserSessions(id: UserId, keepTokenHash?: string): Promise<void> {
    return this.writing(() => this.users.deleteUserSessions(id, keepTokenHash));
  }

  // rooms and membership

  async createRoom(room: NewRoom): Promise<RoomRecord> {
    return this.writing(() => this.rooms.create(room));
  }

  async getRoom(name: string): Promise<RoomRecord | undefined> {
    this.open();
    return this.rooms.byName(name);
  }

  async listRooms(prefix?: string, page?: RoomPage): Promise<RoomRecord[]> {
    this.open();
    return this.rooms.listRooms(prefix, page);
  }

  async updateRoom(id: RoomId, patch: RoomPatch): Promise<RoomRecord> {
    return this.writing(() => this.rooms.updateRoom(id, patch));
  }

  async deleteRoom(id: RoomId): Promise<void> {
    return this.writing(() => {
      this.rooms.deleteRoom(id);
      this.scrubWal();
    });
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
    return this.writing(() => this.rooms.addMember(id, userId, role, joinedAt, capacity));
  }

  async removeMember(id: RoomId, userId: UserId, successor?: UserId): Promise<number> {
    return this.writing(() => this.rooms.removeMember(id, userId, successor));
  }

  async setRole(id: RoomId, userId: UserId, role: Role): Promise<void> {
    return this.writing(() => this.rooms.setRole(id, userId, role));
  }

  async setVoice(id: RoomId, userId: UserId, voiced: boolean): Promise<boolean> {
    return this.writing(() => this.rooms.setVoice(id, userId, voiced));
  }

  async roomsOfUser(userId: UserId): Promise<Array<{ room: RoomRecord; role: Role }>> {
    this.open();
    return this.rooms.roomsOfUser(userId);
  }

  async addBan(id: RoomId, userId: UserId, byUserId: UserId, at: number, reason?: string): Promise<void> {
    return this.writing(() => this.rooms.addBan(id, userId, byUserId, at, reason));
  }

  async removeBan(id: RoomId, userId: UserId): Promise<boolean> {
    return this.writing(() => this.rooms.removeBan(id, userId));
  }

  async getBans(id: RoomId): Promise<BanRecord[]> {
    this.open();
    return this.rooms.getBans(id);
  }

  async isBanned(id: RoomId, userId: UserId): Promise<boolean> {
    this.open();
    return this.rooms.isBanned(id, userId);
  }

  async addNameBan(id: RoomId, name: string, byUserId: UserId, at: number, reason?: string): Promise<void> {
    return this.writing(() => this.rooms.addNameBan(id, name, byUserId, at, reason));
  }

  async removeNameBan(id: RoomId, name: string): Promise<boolean> {
    return this.writing(() => this.rooms.removeNameBan(id, name));
  }

  async addInvite(id: RoomId, userId: UserId, expiresAt: number, now: number, max: number): Promise<boolean> {
    return this.writing(() => this.rooms.addInvite(id, userId, expiresAt, now, max));
  }

  async takeInvite(id: RoomId, userId: UserId, now: number): Promise<boolean> {
    return this.writing(() => this.rooms.takeInvite(id, userId, now));
  }

  // conversations and messages

  async getDmConversation(a: UserId, b: UserId, create: boolean): Promise<ConvId | undefined> {
    if (create) return this.writing(() => this.messages.dmConversation(a, b, true));
    this.open();
    return this.messages.dmConversation(a, b, false);
  }

  async appendMessage(message: NewMessage): Promise<AppendResult> {
    this.open();
    const stored = this.appender.append(message);
    this.scheduleIndexing();
    return stored;
  }

  private indexing: NodeJS.Timeout | NodeJS.Immediate | undefined;

  /**
   * The full-text index is filled off the send path (migration v5): a moment after appends, in
   * batches, each its own write after the appends called before it — so a burst is stored and
   * delivered first, and indexed after.
   */
  private scheduleIndexing(soon = false): void {
    if (this.indexing !== undefined || this.closed) return;
    const run = () => {
      this.indexing = undefined;
      if (this.closed) return;
      this.writing(() => this.entries.catchUp(INDEX_BATCH)).then(
        (left) => {
          if (left > 0) this.scheduleIndexing(true);
        },
        // Closed meanwhile, or the storage refuses: the next append or search tries again.
        () => undefined,
      );
    };
    this.indexing = soon ? setImmediate(run) : setTimeout(run, INDEX_DELAY_MS);
    this.indexing.unref?.();
  }

  /** Everything stored is in the index: a search sees every message committed before it. */
  private indexAll(): Promise<void> {
    return this.writing(() => {
      while (this.entries.catchUp(INDEX_BATCH) > 0);
    });
  }

  async history(convId: ConvId, query: HistoryQuery, viewerId: UserId): Promise<MessageRecord[]> {
    this.open();
    return this.messages.history(convId, query, viewerId);
  }

  async lastSeq(convId: ConvId): Promise<number> {
    this.open();
    return this.messages.lastSeq(convId);
  }

  async getMessage(id: number): Promise<MessageRecord | undefined> {
    this.open();
    return this.entries.getMessage(id);
  }

  async appendEntry(entry: NewEntry): Promise<EntryResult> {
    return this.writing(() => this.entries.append(entry));
  }

  async sequenced(convId: ConvId, after: number, limit: number, viewerId: UserId): Promise<Sequenced[]> {
    this.open();
    return this.entries.sequenced(convId, after, limit, viewerId);
  }

  async reactions(messageIds: readonly number[], viewerId: UserId): Promise<Map<number, ReactionCounts>> {
    this.open();
    return this.entries.reactions(messageIds, viewerId);
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    await this.indexAll();
    return this.entries.search(query);
  }

  async dmConversations(userId: UserId): Promise<DmConversationRecord[]> {
    this.open();
    return this.messages.dmConversations(userId);
  }

  async setRead(userId: UserId, convId: ConvId, seq: number): Promise<void> {
    return this.writing(() => this.messages.setRead(userId, convId, seq));
  }

  async getRead(userId: UserId, convId: ConvId): Promise<number> {
    this.open();
    return this.messages.getRead(userId, convId);
  }

  // settings

  async setMute(userId: UserId, target: { roomId: RoomId } | { userId: UserId }, on: boolean): Promise<void> {
    return this.writing(() => this.settings.setMute(userId, target, on));
  }

  async setBlock(userId: UserId, blockedId: UserId, on: boolean): Promise<void> {
    return this.writing(() => this.settings.setBlock(userId, blockedId, on));
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
    return this.writing(() => this.devices.setMaster(userId, key, at));
  }

  async putDevice(userId: UserId, device: NewDevice): Promise<void> {
    return this.writing(() => this.devices.put(userId, device));
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
    return this.writing(() => this.devices.setSignature(userId, id, signature));
  }

  async revokeDevice(userId: UserId, id: string, at: number, keepRevoked: number): Promise<boolean> {
    return this.writing(() => this.devices.revokeDevice(userId, id, at, keepRevoked));
  }

  async checkWritable(): Promise<void> {
    this.open();
    // Appends cannot be stored once the writer thread is gone, whatever this connection can do.
    const broken = this.appender.broken;
    if (broken) throw broken;
    // Takes the write lock and lets it go: fails on a read-only file or a database locked by another
    // process, without writing a page. Through the write path: never while a writer thread's group
    // holds the lock (this thread would block on it).
    return this.writing(() => {
      this.db.exec("BEGIN IMMEDIATE");
      this.db.exec("ROLLBACK");
    });
  }

  /** How many transactions wrote appends and how many appends they held (group commit at work). */
  appendStats(): { commits: number; appends: number } {
    return { ...this.appender.stats };
  }

  /** Writes queued appends, lets SQLite refresh its planner statistics, folds the WAL back and closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.appender.close();
    // Leaves the index whole when it can (otherwise it catches up after the next open).
    try {
      while (this.entries.catchUp(INDEX_BATCH) > 0);
    } catch {
      // The storage refuses writes now: nothing is lost, the mark did not move.
    }
    if (this.indexing !== undefined) {
      clearTimeout(this.indexing as NodeJS.Timeout);
      clearImmediate(this.indexing as NodeJS.Immediate);
      this.indexing = undefined;
    }
    this.db.pragma("optimize");
    if (!this.db.memory) this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.close();
  }
}

/** Opens (creating and migrating as needed) the database at `file`; `:memory:` for a private in-memory one. */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const db = new Database(file);
  try {
    configure(db, options.synchronous);
    migrate(db);
    // An in-memory database is private to its connection, so it cannot have a writer thread.
    const inWorker = options.appendIn === "worker" && !db.memory;
    const appender = inWorker
      ? await WorkerAppender.start({ file, synchronous: options.synchronous })
      : undefined;
    return new SqliteStore(db, options, appender);
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The storage contract. Every backend (SQLite embedded, PostgreSQL for clusters) implements it and
 * passes the same contract suite (test/contract/store.contract.ts).
 *
 * Contract, for every implementation:
 * - Names (usernames, room names) are matched ignoring case; records carry the spelling given at creation
 *   or rename.
 * - A method resolves only after its change is durable (committed). `appendMessage` in particular never
 *   resolves before the message is committed: the hub acknowledges on that promise.
 * - Unique violations (username, room name) reject with `StoreConflictError`; a write to something
 *   deleted meanwhile (`appendMessage` to a conversation whose room was just deleted) rejects with
 *   `StoreGoneError`; storage that refuses to work (disk full, read-only, I/O errors, the database
 *   unreachable) rejects with `StoreUnavailableError`, and nothing was stored; nothing else is thrown
 *   for expected outcomes — they are in the return values.
 * - `seq` is per conversation, starts at 1 and increases by exactly 1 per stored message, assigned inside
 *   the transaction that stores it, so it is strictly ordered even with several hub nodes.
 * - The same (fromUserId, cid) appended twice stores one message; the second call returns the first with
 *   `duplicate: true`.
 * - `appendMessage` calls are stored in call order: a message appended after another (without waiting
 *   for the first to resolve) gets the higher seq in a shared conversation. The hub relies on this to
 *   pipeline one client's sends.
 * - The store holds no business rules: who may do what is decided by the domain before calling it.
 */
import type { Endpoint, Role } from "../../protocol/model.js";
import type { FileRecords } from "./file-records.js";

export class StoreConflictError extends Error {
  constructor(public readonly what: "username" | "room") {
    super(`${what} already exists`);
    this.name = "StoreConflictError";
  }
}

/** The record a write needs is gone (deleted by a request that raced this one). */
export class StoreGoneError extends Error {
  constructor(
    public readonly what: "conversation" | "message",
    public readonly id: number,
  ) {
    super(`no ${what} with id ${id}`);
    this.name = "StoreGoneError";
  }
}

/** The storage refuses to work (disk full, read-only, I/O error, unreachable): nothing was stored. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`storage unavailable: ${(cause as Error | undefined)?.message ?? String(cause)}`, { cause });
    this.name = "StoreUnavailableError";
  }
}

export type { ConvId, RoomId, UserId } from "../ids.js";
import type { ConvId, RoomId, UserId } from "../ids.js";

/** A page of rooms by folded name: those after `after`, at most `limit`. */
export interface RoomPage {
  after?: string;
  limit?: number;
  /** Secret rooms are listed only when this user is a member; absent: every room (server admins). */
  visibleTo?: UserId;
}

export interface UserRecord {
  id: UserId;
  username: string;
  displayName: string;
  firstName?: string;
  lastName?: string;
  passwordHash: string;
  createdAt: number;
  lastSeen?: number;
  /** A server admin (admin ops, `parley admin grant`). */
  serverAdmin?: true;
  suspension?: Suspension;
  /** A pending one-time password reset: the token's hash and when it stops working. */
  reset?: { tokenHash: string; expiresAt: number };
}

export interface Suspension {
  at: number;
  reason: string;
}

export interface UserListQuery {
  /** Username or display-name prefix, ignoring case. */
  prefix?: string;
  /** Only usernames after this one (ignoring case): the last of the previous page. */
  after?: string;
  limit: number;
}

export interface NewAuditEntry {
  at: number;
  /** Who acted: a username, or `operator` for commands run on the data folder. */
  actor: string;
  action: string;
  target?: string;
  detail?: string;
}

export interface AuditRecord extends NewAuditEntry {
  id: number;
}

export interface NewUser {
  username: string;
  displayName: string;
  firstName?: string;
  lastName?: string;
  passwordHash: string;
  createdAt: number;
}

export interface ProfilePatch {
  displayName?: string;
  firstName?: string | null;
  lastName?: string | null;
}

export interface SessionRecord {
  tokenHash: string;
  userId: UserId;
  device?: string;
  createdAt: number;
  expiresAt: number;
}

export interface RoomRecord {
  id: RoomId;
  name: string;
  convId: ConvId;
  description?: string;
  passwordHash?: string;
  capacity?: number;
  /** Only admins and the owner may set the description (true by default); false: any member. */
  topicLocked: boolean;
  /** Who last set the description (their username then) and when. */
  topicBy?: string;
  topicAt?: number;
  /** Only the owner, admins and voiced members may post (false by default). */
  moderated: boolean;
  /** Left out of room lists for users who are not members (false by default); still joined by name. */
  secret: boolean;
  createdAt: number;
  lastSeq: number;
  memberCount: number;
  /**
   * End-to-end encrypted (docs/e2e-rooms.md): the `body` of each of its messages is the sealed envelope
   * (JSON, ciphertext only), never text, and the domain turns it into each member's copy.
   */
  e2e?: boolean;
}

export interface NewRoom {
  name: string;
  description?: string;
  /** With `description`: who set it (the creator) and when. */
  topicBy?: string;
  topicAt?: number;
  passwordHash?: string;
  capacity?: number;
  createdAt: number;
  ownerId: UserId;
  e2e?: boolean;
}

export interface RoomPatch {
  description?: string | null;
  passwordHash?: string | null;
  capacity?: number | null;
  topicLocked?: boolean;
  moderated?: boolean;
  secret?: boolean;
  /** Set with `description`: who set it and when (null clears). */
  topicBy?: string | null;
  topicAt?: number | null;
}

export interface MemberRecord {
  userId: UserId;
  username: string;
  role: Role;
  joinedAt: number;
  /** May post in a moderated room whatever their role; false on joining. */
  voiced: boolean;
}

export interface BanRecord {
  /** The account banned; absent for a name ban. */
  userId?: UserId;
  /** The account's username, or the banned name as given. */
  username: string;
  /** A name ban: it keeps out whichever account holds the name (ignoring case) at join time. */
  byName?: true;
  byUsername: string;
  at: number;
  reason?: string;
}

export interface MessageRecord {
  id: number;
  convId: ConvId;
  seq: number;
  ts: number;
  fromUserId: UserId;
  from: string;
  /** Empty once deleted (erased, not hidden). */
  body: string;
  cid?: string;
  /** The message this one answers, with the original as it is now (history and getMessage only). */
  replyTo?: number;
  reply?: ReplyQuote;
  /** When last edited. */
  editedAt?: number;
  /** Set once deleted: when, and by whom. */
  deleted?: { at: number; byUserId: UserId; by: string };
  /** A notice (IRC NOTICE) rather than an ordinary message. */
  notice?: boolean;
  /** Client-only tags stored with the message (checked by the domain), absent when none. */
  clientTags?: Record<string, string>;
}

/** The original of a reply as it is now: its author and the start of its body (empty once deleted). */
export interface ReplyQuote {
  /** The original's seq (IRC builds its msgid from it); absent where the store was not asked for it. */
  seq?: number;
  from: string;
  /** At most the first QUOTE_SOURCE_CHARS characters of the body. */
  body: string;
  deleted: boolean;
}

/** How much of an original the store hands back for a reply's quote (the domain cuts it to a line). */
export const QUOTE_SOURCE_CHARS = 400;

/**
 * A change to a message that takes the conversation's next seq like a message: an edit (`body` is the
 * new text, erased if the message is deleted later), a deletion, or a reaction added (`react`) or
 * taken back (`unreact`), `body` being the emoji.
 */
export type EntryKind = "edit" | "delete" | "react" | "unreact";

export interface EntryRecord {
  id: number;
  convId: ConvId;
  seq: number;
  ts: number;
  kind: EntryKind;
  messageId: number;
  /** The changed message's own seq (IRC builds its msgid from it). */
  messageSeq?: number;
  userId: UserId;
  /** The acting user's current name. */
  user: string;
  body: string;
  cid?: string;
}

export interface NewEntry {
  convId: ConvId;
  messageId: number;
  userId: UserId;
  kind: EntryKind;
  /** edit: the new body; react/unreact: the emoji; delete: "". */
  body: string;
  ts: number;
  cid?: string;
  /** Never shown to this user (a DM party who blocks the actor). */
  hiddenFor?: UserId;
  /** react: refuse (`result: "limit"`) when the user already has this many emoji on the message. */
  maxReactions?: number;
}

/**
 * What `appendEntry` did. `stored`: the entry took a seq. `duplicate`: its (userId, cid) was stored
 * before; `entry` is that first one. `unchanged`: nothing to do (a reaction already on, or already off).
 * `gone`: the message does not exist in that conversation or is deleted. `limit`: see maxReactions.
 */
export type EntryResult =
  { result: "stored" | "duplicate"; entry: EntryRecord } | { result: "unchanged" | "gone" | "limit" };

/** One sequenced item of a conversation, in seq order: a message, or a change to one. */
export type Sequenced =
  { message: MessageRecord; entry?: undefined } | { entry: EntryRecord; message?: undefined };

/** Reactions of one message as one viewer sees them: emoji → count and whether the viewer is among them. */
export type ReactionCounts = Map<string, { count: number; me: boolean }>;

/** One term of a full-text query: a word, a word prefix, or a phrase (already free of syntax). */
export interface SearchTerm {
  kind: "word" | "prefix" | "phrase";
  text: string;
}

export interface SearchQuery {
  terms: readonly SearchTerm[];
  /** Only messages of these conversations (the domain decides which the viewer may read). */
  convIds: readonly ConvId[];
  viewerId: UserId;
  fromUserId?: UserId;
  sort: "newest" | "relevance";
  /** newest: only messages with a smaller id. */
  beforeId?: number;
  /** relevance: skip this many. */
  offset?: number;
  limit: number;
}

/** `relevance` ranks the newest this many matches (a bm25 / ts_rank per match costs). */
export const RELEVANCE_WINDOW = 2000;

export interface SearchHit {
  message: MessageRecord;
  /** Part of the body around the matches; each match between U+0001 and U+0002. */
  snippet: string;
}

export interface NewMessage {
  convId: ConvId;
  fromUserId: UserId;
  body: string;
  cid: string;
  ts: number;
  /** A DM from a blocked sender: stored (the sender sees it) but never shown to this user. */
  hiddenFor?: UserId;
  /** The id of a message of the same conversation this one answers (checked by the domain). */
  replyTo?: number;
  /** A notice rather than an ordinary message. */
  notice?: boolean;
  /** Client-only tags, stored as given (the domain bounds them); a retry keeps the first send's. */
  clientTags?: Record<string, string>;
}

export interface AppendResult {
  message: MessageRecord;
  duplicate: boolean;
}

export interface HistoryQuery {
  before?: number;
  after?: number;
  limit: number;
}

export interface DmConversationRecord {
  convId: ConvId;
  otherUserId: UserId;
  otherUsername: string;
  lastSeq: number;
  readSeq: number;
  /** Messages after readSeq from the other party that are not hidden for this user. */
  unread: number;
  /**
   * Whether any message of the conversation is visible to this user (not so when all came from a user
   * they block); `dm.list` leaves such conversations out, while presence and cursors still count them.
   */
  hasVisible: boolean;
}

export interface SettingsRecord {
  mutedRooms: string[];
  mutedUsers: string[];
  blocked: string[];
}

/** One device's peer identity: its public keys, the master key's signature, where it last listened. */
export interface DeviceRecord {
  /** Derived from `key` (src/protocol/devices.ts); unique per user. */
  id: string;
  key: string;
  signKey?: string;
  encKey?: string;
  name?: string;
  /** The user's master key's signature of the device statement; absent when unsigned. */
  signature?: string;
  endpoints: Endpoint[];
  createdAt: number;
  lastSeen: number;
  /** Set once revoked: a revoked device is kept (so it cannot come back) but never listed. */
  revokedAt?: number;
}

/** The name every deleted account is shown under (several tombstones may carry it). */
export const DELETED_USERNAME = "deleted user";

export type NewDevice = Omit<DeviceRecord, "revokedAt">;

export type AddMemberResult = "added" | "full" | "exists";

export interface Store {
  /** Shared files' records (their bytes are in a FileStore); contract in file-records.ts. */
  readonly files: FileRecords;

  // users
  createUser(user: NewUser): Promise<UserRecord>;
  getUserByName(username: string): Promise<UserRecord | undefined>;
  getUserById(id: UserId): Promise<UserRecord | undefined>;
  getUsersByIds(ids: readonly UserId[]): Promise<UserRecord[]>;
  /** Username or display name starts with `prefix`, ignoring case; ordered by username. */
  searchUsers(prefix: string, limit: number): Promise<UserRecord[]>;
  updateProfile(id: UserId, patch: ProfilePatch): Promise<UserRecord>;
  renameUser(id: UserId, username: string): Promise<UserRecord>;
  setPasswordHash(id: UserId, hash: string): Promise<void>;
  setLastSeen(id: UserId, ts: number): Promise<void>;
  /** Live accounts (deleted ones never count). */
  countUsers(): Promise<number>;
  /** Live accounts ordered by username (ignoring case), a page at a time. */
  listUsers(query: UserListQuery): Promise<UserRecord[]>;
  setServerAdmin(id: UserId, on: boolean): Promise<void>;
  /** `null` lifts the suspension. */
  setSuspension(id: UserId, suspension: Suspension | null): Promise<void>;
  /** `null` clears a pending reset. */
  setPasswordReset(id: UserId, reset: { tokenHash: string; expiresAt: number } | null): Promise<void>;
  /**
   * Deletes an account in one transaction: its sessions, memberships, bans of it, mutes and blocks (both
   * ways), read markers, peer devices and master key go; with `erase` its messages too. What remains is
   * a tombstone row with the username "deleted user" that keeps the ids of kept messages valid: name
   * look-ups, searches, lists and counts never see it, and the name is free for a new account at once.
   */
  deleteUser(id: UserId, options: { erase: boolean; at: number }): Promise<void>;

  // audit log of admin actions
  appendAudit(entry: NewAuditEntry): Promise<AuditRecord>;
  /** Newest first; with `before`, only entries with a smaller id. */
  listAudit(query: { before?: number; limit: number }): Promise<AuditRecord[]>;

  // sessions (tokens are stored only as hashes)
  createSession(session: SessionRecord): Promise<void>;
  getSession(tokenHash: string): Promise<SessionRecord | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Ends all of a user's sessions but `keepTokenHash`. */
  deleteUserSessions(id: UserId, keepTokenHash?: string): Promise<void>;

  // rooms and membership
  /** Creates the room, its conversation and the owner's membership in one transaction. */
  createRoom(room: NewRoom): Promise<RoomRecord>;
  getRoom(name: string): Promise<RoomRecord | undefined>;
  /**
   * Rooms whose name starts with `prefix` (ignoring case; all without one), ordered by folded name;
   * with `page`, only those after `page.after` (a folded name), at most `page.limit` of them.
   */
  listRooms(prefix?: string, page?: RoomPage): Promise<RoomRecord[]>;
  updateRoom(id: RoomId, patch: RoomPatch): Promise<RoomRecord>;
  /** Removes the room with its members, bans, invitations, messages, read markers and mutes. */
  deleteRoom(id: RoomId): Promise<void>;
  /** Ordered by joinedAt, then join order: the first is the longest-standing. */
  getMembers(id: RoomId): Promise<MemberRecord[]>;
  getMember(id: RoomId, userId: UserId): Promise<MemberRecord | undefined>;
  /** Adds a member unless already one, or unless `capacity` is given and reached (checked atomically). */
  addMember(
    id: RoomId,
    userId: UserId,
    role: Role,
    joinedAt: number,
    capacity?: number,
  ): Promise<AddMemberResult>;
  /**
   * Removes a member; in the same transaction gives `successor` the owner role when set.
   * Returns how many members remain.
   */
  removeMember(id: RoomId, userId: UserId, successor?: UserId): Promise<number>;
  setRole(id: RoomId, userId: UserId, role: Role): Promise<void>;
  /** Gives or takes a member's voice; false when the user is not a member. */
  setVoice(id: RoomId, userId: UserId, voiced: boolean): Promise<boolean>;
  /** The rooms a user is a member of, with their role. */
  roomsOfUser(userId: UserId): Promise<Array<{ room: RoomRecord; role: Role }>>;
  addBan(id: RoomId, userId: UserId, byUserId: UserId, at: number, reason?: string): Promise<void>;
  /** false when there was no ban. */
  removeBan(id: RoomId, userId: UserId): Promise<boolean>;
  /** Account bans and name bans, oldest first. */
  getBans(id: RoomId): Promise<BanRecord[]>;
  /** Banned by account, or by a name ban on the account's current username (ignoring case). */
  isBanned(id: RoomId, userId: UserId): Promise<boolean>;
  /** Bans a name (kept as given, matched ignoring case); a second ban of the same name replaces the first. */
  addNameBan(id: RoomId, name: string, byUserId: UserId, at: number, reason?: string): Promise<void>;
  /** false when the name was not banned. */
  removeNameBan(id: RoomId, name: string): Promise<boolean>;
  /**
   * Stores an invitation of `userId` until `expiresAt` (a second one renews it), dropping the room's
   * invitations expired at `now` first. false, storing nothing, when the room already holds `max`
   * unexpired invitations of other users. Atomic: two inviters cannot both take the last place.
   */
  addInvite(id: RoomId, userId: UserId, expiresAt: number, now: number, max: number): Promise<boolean>;
  /** Uses up `userId`'s invitation: true when one unexpired at `now` was there (it is gone either way). */
  takeInvite(id: RoomId, userId: UserId, now: number): Promise<boolean>;

  // conversations and messages
  /** The DM conversation between two users, created on first use when `create` is set. */
  getDmConversation(a: UserId, b: UserId, create: boolean): Promise<ConvId | undefined>;
  appendMessage(message: NewMessage): Promise<AppendResult>;
  /**
   * Oldest first. With `before`: the `limit` messages right before it; with `after`: the `limit` messages
   * right after it (paging forward); with neither: the latest `limit`. Bounds are exclusive. Messages
   * hidden for `viewerId` are left out.
   */
  history(convId: ConvId, query: HistoryQuery, viewerId: UserId): Promise<MessageRecord[]>;
  lastSeq(convId: ConvId): Promise<number>;
  /** A message by id, deleted or not (with its reply quote); undefined when there is none. */
  getMessage(id: number): Promise<MessageRecord | undefined>;
  /**
   * Stores an edit, deletion or reaction of a message of `convId` in one transaction with its effect,
   * taking the conversation's next seq (ordered after every append called before it):
   * - edit: the message's body and editedAt change; the full-text index follows.
   * - delete: the body is erased — the message's, its edits', the full-text index's — so that no
   *   copy of it is left in the store's files (SQLite: secure_delete, FTS5 secure-delete, and the WAL
   *   is checkpointed and truncated after the commit); its reactions go. Quotes of it in replies are
   *   read from it, so they are erased with it.
   * - react/unreact: one reaction per (message, user, emoji).
   * Messages of deleted rooms or other conversations are `gone`, as are deleted messages.
   */
  appendEntry(entry: NewEntry): Promise<EntryResult>;
  /**
   * Messages and entries after seq `after`, oldest first, at most `limit` together, leaving out those
   * hidden for `viewerId` (resume replay and gap repair).
   */
  sequenced(convId: ConvId, after: number, limit: number, viewerId: UserId): Promise<Sequenced[]>;
  /** Reactions of these messages, without those by users `viewerId` blocks; messages without any are absent. */
  reactions(messageIds: readonly number[], viewerId: UserId): Promise<Map<number, ReactionCounts>>;
  /**
   * Messages matching every term, not deleted, not hidden for the viewer, in `convIds` only: newest
   * first (by id), or by relevance among the newest RELEVANCE_WINDOW matches; at most `limit`.
   */
  search(query: SearchQuery): Promise<SearchHit[]>;
  /** The user's DM conversations, ordered by the other party's name. */
  dmConversations(userId: UserId): Promise<DmConversationRecord[]>;
  /** Moves the read marker forward only. */
  setRead(userId: UserId, convId: ConvId, seq: number): Promise<void>;
  getRead(userId: UserId, convId: ConvId): Promise<number>;

  // settings that follow the user
  setMute(userId: UserId, target: { roomId: RoomId } | { userId: UserId }, on: boolean): Promise<void>;
  setBlock(userId: UserId, blockedId: UserId, on: boolean): Promise<void>;
  getSettings(userId: UserId): Promise<SettingsRecord>;
  isBlocked(userId: UserId, byUserId: UserId): Promise<boolean>;

  // peer-to-peer identity: a user's master key and devices
  getMasterKey(userId: UserId): Promise<string | undefined>;
  /**
   * Sets the user's master key. When it replaces a different one, every device's signature is removed
   * in the same transaction (they were made by the old key).
   */
  setMasterKey(userId: UserId, key: string, at: number): Promise<void>;
  /**
   * Inserts a device, or updates the one with its (user, id): an update overwrites the keys, name,
   * signature, endpoints and lastSeen, and keeps `createdAt` and `revokedAt`.
   */
  putDevice(userId: UserId, device: NewDevice): Promise<void>;
  /** A device by id, revoked or not. */
  getDevice(userId: UserId, id: string): Promise<DeviceRecord | undefined>;
  /** The user's unrevoked devices, oldest first (then by id). */
  listDevices(userId: UserId): Promise<DeviceRecord[]>;
  /** false when the device does not exist or is revoked. */
  setDeviceSignature(userId: UserId, id: string, signature: string): Promise<boolean>;
  /**
   * Marks an unrevoked device revoked (false when there is none), then forgets the oldest revoked ones
   * beyond `keepRevoked`, so the table cannot grow without bound.
   */
  revokeDevice(userId: UserId, id: string, at: number, keepRevoked: number): Promise<boolean>;

  /** Rejects, saying why, unless the store takes writes now (for /readyz); cheap, writes nothing. */
  checkWritable(): Promise<void>;

  /** Flushes pending writes and closes. */
  close(): Promise<void>;
}

/**
 * Every Store method but close, and every FileRecords method: as records, so a method added to either
 * interface and not listed here fails to compile (and would otherwise go unwrapped).
 */
const STORE_METHODS = {
  createUser: true,
  getUserByName: true,
  getUserById: true,
  getUsersByIds: true,
  searchUsers: true,
  updateProfile: true,
  renameUser: true,
  setPasswordHash: true,
  setLastSeen: true,
  countUsers: true,
  listUsers: true,
  setServerAdmin: true,
  setSuspension: true,
  setPasswordReset: true,
  deleteUser: true,
  appendAudit: true,
  listAudit: true,
  createSession: true,
  getSession: true,
  deleteSession: true,
  deleteUserSessions: true,
  createRoom: true,
  getRoom: true,
  listRooms: true,
  updateRoom: true,
  deleteRoom: true,
  getMembers: true,
  getMember: true,
  addMember: true,
  removeMember: true,
  setRole: true,
  setVoice: true,
  roomsOfUser: true,
  addBan: true,
  removeBan: true,
  getBans: true,
  isBanned: true,
  addNameBan: true,
  removeNameBan: true,
  addInvite: true,
  takeInvite: true,
  getDmConversation: true,
  appendMessage: true,
  history: true,
  lastSeq: true,
  getMessage: true,
  appendEntry: true,
  sequenced: true,
  reactions: true,
  search: true,
  dmConversations: true,
  setRead: true,
  getRead: true,
  setMute: true,
  setBlock: true,
  getSettings: true,
  isBlocked: true,
  getMasterKey: true,
  setMasterKey: true,
  putDevice: true,
  getDevice: true,
  listDevices: true,
  setDeviceSignature: true,
  revokeDevice: true,
  checkWritable: true,
} as const satisfies Record<Exclude<keyof Store, "close" | "files">, true>;

const FILE_RECORD_METHODS = {
  create: true,
  get: true,
  startUpload: true,
  setBlob: true,
  setThumbnail: true,
  finishUpload: true,
  abandon: true,
  claim: true,
  unclaim: true,
  ofMessages: true,
  usage: true,
  storedBytes: true,
  deleteOfConversation: true,
  deleteOfOwner: true,
  expire: true,
  blobInUse: true,
  secret: true,
} as const satisfies Record<keyof FileRecords, true>;

const STORE_OPERATIONS = Object.keys(STORE_METHODS) as ReadonlyArray<keyof typeof STORE_METHODS>;
const FILE_RECORD_OPERATIONS = Object.keys(FILE_RECORD_METHODS) as ReadonlyArray<
  keyof typeof FILE_RECORD_METHODS
>;

type Operation = (...args: unknown[]) => Promise<unknown>;

function wrapAll(target: object, names: readonly string[], wrap: (operation: Operation) => Operation): void {
  const self = target as Record<string, Operation>;
  for (const name of names) self[name] = wrap(self[name]!.bind(target));
}

/**
 * Replaces each operation of `store`, and of its `files` records, by `wrap(operation)`: how backends
 * count calls and type errors. Call it once `store.files` exists.
 */
export function wrapOperations(store: Store, wrap: (operation: Operation) => Operation): void {
  wrapAll(store, STORE_OPERATIONS, wrap);
  wrapAll(store.files, FILE_RECORD_OPERATIONS, wrap);
}

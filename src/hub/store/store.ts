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

export class StoreConflictError extends Error {
  constructor(public readonly what: "username" | "room") {
    super(`${what} already exists`);
    this.name = "StoreConflictError";
  }
}

/** The record a write needs is gone (deleted by a request that raced this one). */
export class StoreGoneError extends Error {
  constructor(
    public readonly what: "conversation",
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
  createdAt: number;
  lastSeq: number;
  memberCount: number;
}

export interface NewRoom {
  name: string;
  description?: string;
  passwordHash?: string;
  capacity?: number;
  createdAt: number;
  ownerId: UserId;
}

export interface RoomPatch {
  description?: string | null;
  passwordHash?: string | null;
  capacity?: number | null;
}

export interface MemberRecord {
  userId: UserId;
  username: string;
  role: Role;
  joinedAt: number;
}

export interface BanRecord {
  userId: UserId;
  username: string;
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
  body: string;
  cid?: string;
}

export interface NewMessage {
  convId: ConvId;
  fromUserId: UserId;
  body: string;
  cid: string;
  ts: number;
  /** A DM from a blocked sender: stored (the sender sees it) but never shown to this user. */
  hiddenFor?: UserId;
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

export interface PeerRecord {
  key: string;
  endpoints: Endpoint[];
  updatedAt: number;
}

export type AddMemberResult = "added" | "full" | "exists";

export interface Store {
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
  /** Removes the room with its members, bans, messages, read markers and mutes. */
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
  /** The rooms a user is a member of, with their role. */
  roomsOfUser(userId: UserId): Promise<Array<{ room: RoomRecord; role: Role }>>;
  addBan(id: RoomId, userId: UserId, byUserId: UserId, at: number, reason?: string): Promise<void>;
  /** false when there was no ban. */
  removeBan(id: RoomId, userId: UserId): Promise<boolean>;
  getBans(id: RoomId): Promise<BanRecord[]>;
  isBanned(id: RoomId, userId: UserId): Promise<boolean>;

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

  // peer-to-peer identity
  setPeer(userId: UserId, peer: PeerRecord): Promise<void>;
  getPeer(userId: UserId): Promise<PeerRecord | undefined>;

  /** Flushes pending writes and closes. */
  close(): Promise<void>;
}

/** Every Store method but close. */
export const STORE_OPERATIONS = [
  "createUser",
  "getUserByName",
  "getUserById",
  "getUsersByIds",
  "searchUsers",
  "updateProfile",
  "renameUser",
  "setPasswordHash",
  "setLastSeen",
  "createSession",
  "getSession",
  "deleteSession",
  "deleteUserSessions",
  "createRoom",
  "getRoom",
  "listRooms",
  "updateRoom",
  "deleteRoom",
  "getMembers",
  "getMember",
  "addMember",
  "removeMember",
  "setRole",
  "roomsOfUser",
  "addBan",
  "removeBan",
  "getBans",
  "isBanned",
  "getDmConversation",
  "appendMessage",
  "history",
  "lastSeq",
  "dmConversations",
  "setRead",
  "getRead",
  "setMute",
  "setBlock",
  "getSettings",
  "isBlocked",
  "setPeer",
  "getPeer",
] as const satisfies ReadonlyArray<Exclude<keyof Store, "close">>;

type Operation = (...args: unknown[]) => Promise<unknown>;

/** Replaces each operation of `store` by `wrap(operation)`: how backends count calls and type errors. */
export function wrapOperations(store: Store, wrap: (operation: Operation) => Operation): void {
  const self = store as unknown as Record<string, Operation>;
  for (const name of STORE_OPERATIONS) self[name] = wrap(self[name]!.bind(store));
}

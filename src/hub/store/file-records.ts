/**
 * What the hub knows about each shared file (the bytes are in a FileStore, see blobs/file-store.ts).
 * Part of the Store (`store.files`): SQLite and PostgreSQL implement it and pass the same contract suite.
 *
 * A file's life: `prepared` (slot open, the PUT may start until `slotExpiresAt`) → `uploading` (one PUT
 * claimed the slot) → `stored` (bytes committed, not yet in a message) → `attached` (a message of its
 * owner, found by (ownerId, cid), carries it). A failed upload deletes the record. Records go with their
 * conversation (room deletion) and with their owner's account.
 *
 * Contract, on top of the Store's (durable before resolve, no business rules):
 * - `startUpload` moves prepared → uploading only while the slot is open, once: of two concurrent calls
 *   exactly one wins. `setBlob`/`setThumbnail` name the bytes of an upload in progress, so that from
 *   then on `blobInUse` holds them (an upload cut by a crash releases them when it expires).
 * - `finishUpload` moves uploading → stored and adds the bytes to the owner's count for `day` in one
 *   transaction, and only if the owner's count stays within `quota` and the bytes of all stored and
 *   attached files within `storageCap`; checks and write are atomic with other finishes on any node.
 * - `claim` moves stored → attached with the message's cid; claiming again with the same cid is a no-op
 *   that succeeds; another cid, or a cid another file of the owner holds, fails (see ClaimResult).
 * - `ofMessages` finds the files of messages by (sender, cid).
 * - Deleting returns the blob keys the deleted records used (file and thumbnail), for the caller to
 *   release (see FileStore.lock).
 */
import type { ConvId, UserId } from "./store.js";

export type FileState = "prepared" | "uploading" | "stored" | "attached";

export interface Thumbnail {
  blob: string;
  width: number;
  height: number;
  type: string;
}

/** What an upload learned about the bytes (the blobs are recorded before, with setBlob/setThumbnail). */
export interface StoredFileInfo {
  type: string;
  uploadedAt: number;
  width?: number;
  height?: number;
}

export interface FileRecord {
  id: string;
  ownerId: UserId;
  convId: ConvId;
  name: string;
  /** Bytes announced at prepare; an upload of any other size fails. */
  size: number;
  declaredType?: string;
  state: FileState;
  createdAt: number;
  slotExpiresAt: number;
  blob?: string;
  type?: string;
  uploadedAt?: number;
  width?: number;
  height?: number;
  thumbnail?: Thumbnail;
  cid?: string;
}

export interface NewFile {
  id: string;
  ownerId: UserId;
  convId: ConvId;
  name: string;
  size: number;
  declaredType?: string;
  createdAt: number;
  slotExpiresAt: number;
}

export type FinishResult = "stored" | "quota" | "storage" | "gone";
/**
 * `already`: attached with this cid before; `in-use`: attached with another cid; `cid-taken`: another
 * file of the owner holds this cid; `not-ready`: no such file of the owner, or not stored yet.
 */
export type ClaimResult = "claimed" | "already" | "in-use" | "cid-taken" | "not-ready";

export interface FileRecords {
  create(file: NewFile): Promise<FileRecord>;
  get(id: string): Promise<FileRecord | undefined>;
  startUpload(id: string, now: number): Promise<boolean>;
  /** Records the committed blob of an upload in progress (the caller holds the blob's lock). */
  setBlob(id: string, blob: string): Promise<void>;
  /** Records the committed thumbnail of an upload in progress (the caller holds its blob's lock). */
  setThumbnail(id: string, thumbnail: Thumbnail): Promise<void>;
  finishUpload(
    id: string,
    info: StoredFileInfo,
    limits: { day: number; quota: number; storageCap: number },
  ): Promise<FinishResult>;
  /** Removes a record whose upload failed (any state but attached); returns the blob keys it used. */
  abandon(id: string): Promise<string[]>;
  claim(id: string, ownerId: UserId, cid: string): Promise<ClaimResult>;
  /** Undoes a claim made for a send that turned out to be a duplicate of an earlier message. */
  unclaim(id: string, cid: string): Promise<void>;
  ofMessages(keys: ReadonlyArray<{ fromUserId: UserId; cid: string }>): Promise<FileRecord[]>;
  /** Bytes the user uploaded (finished) on `day` (days since the epoch, UTC). */
  usage(ownerId: UserId, day: number): Promise<number>;
  /** Bytes of all stored and attached files. */
  storedBytes(): Promise<number>;
  /** Deletes the records of a conversation (before it is deleted); returns their blob keys. */
  deleteOfConversation(convId: ConvId): Promise<string[]>;
  /** Deletes the records of every file the user uploaded (their messages are erased); returns their blob keys. */
  deleteOfOwner(ownerId: UserId): Promise<string[]>;
  /**
   * Deletes records past their time: slots not started by `now`, uploads started before `staleUpload`
   * and never finished (a crash), stored files uploaded before `unattachedBefore`; and usage counts of
   * days before `dayBefore`. Returns the blob keys the deleted records used.
   */
  expire(limits: {
    now: number;
    staleUpload: number;
    unattachedBefore: number;
    dayBefore: number;
  }): Promise<string[]>;
  /** Whether any record uses the blob (as file or thumbnail). */
  blobInUse(key: string): Promise<boolean>;
  /** A random secret shared by every node (signed URLs), created on first use. */
  secret(name: string, create: () => Buffer): Promise<Buffer>;
}

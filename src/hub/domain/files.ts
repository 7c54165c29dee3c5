/**
 * Shared files, the rules: who may upload where and how much, what an upload must be to be kept, who may
 * download, when files go away. Bytes come and go as async iterables and readable streams (no HTTP
 * here; the gateway's http/files.ts speaks HTTP); they are kept in a FileStore, records in the Store.
 *
 * A file is prepared for one conversation (a room the uploader is in, or a DM), uploaded once, then
 * attached to one message of its uploader in that conversation. Whoever may read the conversation now
 * may download it (room members, the two people of a DM); before it is attached, only its uploader.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Readable } from "node:stream";
import {
  FILE_NAME_MAX,
  SIGNED_URL_TTL_MS,
  UNATTACHED_FILE_TTL_MS,
  UPLOAD_SLOT_MS,
} from "../../protocol/limits.js";
import { formatBytes } from "../../protocol/bytes.js";
import type { FileInfo } from "../../protocol/model.js";
import type { OpParams } from "../../protocol/ops.js";
import { SNIFF_BYTES, sniffType } from "../media/sniff.js";
import { imageFacts } from "../media/thumbnail.js";
import { BlobTooLargeError, type ByteRange, type FileStore } from "../store/blobs/file-store.js";
import type { FileRecord } from "../store/file-records.js";
import type { ConvId, MessageRecord, UserId } from "../store/store.js";
import type { Accounts } from "./accounts.js";
import { assertCanPost } from "./roles.js";
import type { Audience } from "./audience.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import { target } from "./messages.js";
import { FORBIDDEN_IN_NAME } from "../../protocol/text.js";

const FORBIDDEN_GLOBAL = new RegExp(FORBIDDEN_IN_NAME.source, "g");

/** File names and types are shown in terminals and saved to disk: control characters go. */
function stripControl(text: string): string {
  return text.replace(FORBIDDEN_GLOBAL, "");
}

/** How files are kept and limited; absent from DomainDeps → file sharing is off. */
export interface FilesSettings {
  store: FileStore;
  /** Largest upload; 0 turns file sharing off. */
  maxFileBytes: number;
  /** Bytes a user may upload per UTC day. */
  quotaBytes: number;
  /** Bytes of stored files the hub keeps at most. */
  storageBytes: number;
}

/** An upload cut by a crash is given up this long after it started. */
const STALE_UPLOAD_MS = 6 * 60 * 60 * 1000;
/** Staged bytes older than this are leftovers of a crash. */
const STALE_STAGING_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const SIGNED_URL_SECRET = "file-urls";

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** A name to show and to save under: no folders, no control characters, bounded, never empty. */
export function cleanFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  const name = stripControl(base).trim().slice(0, FILE_NAME_MAX);
  if (name === "" || name === "." || name === "..") {
    fail("INVALID_PARAMS", "the file needs a name", { field: "name" });
  }
  return name;
}

export function toFileInfo(file: FileRecord): FileInfo {
  const info: FileInfo = {
    id: file.id,
    name: file.name,
    size: file.size,
    type: file.type ?? "application/octet-stream",
  };
  if (file.width !== undefined) info.width = file.width;
  if (file.height !== undefined) info.height = file.height;
  if (file.thumbnail) {
    const { width, height, type } = file.thumbnail;
    info.thumbnail = { width, height, type };
  }
  return info;
}

/** What a download serves: the record and a way to open its bytes. */
export interface Download {
  file: FileRecord;
  size: number;
  type: string;
  open(range?: ByteRange): Promise<Readable | undefined>;
}

export class Files {
  constructor(
    private readonly deps: DomainDeps,
    private readonly audience: Audience,
    private readonly accounts: Accounts,
  ) {}

  private get settings(): FilesSettings {
    const settings = this.deps.files;
    if (!settings || settings.maxFileBytes === 0) fail("FILE_TOO_LARGE", "file sharing is off on this hub");
    return settings;
  }

  /** True when this hub shares files (for callers that only decorate). */
  get enabled(): boolean {
    return this.deps.files !== undefined;
  }

  /** The conversation of a room the actor is in, or of a DM with another user (created on first use). */
  private async conversation(actor: Actor, params: { room?: string; user?: string }): Promise<ConvId> {
    const to = target(params);
    if (to.room !== undefined) {
      const room = await this.audience.roomRef(to.room);
      if (!room) fail("NO_SUCH_ROOM", `there is no room named ${to.room}`);
      const member = (await this.audience.members(room.id)).find((m) => m.userId === actor.userId);
      if (!member) fail("NOT_MEMBER", `you are not a member of ${room.name}`);
      // A file is posted with the message that carries it; refusing it here saves the upload.
      assertCanPost(member, room.moderated, room.name);
      return room.convId;
    }
    const other = await this.accounts.findUser(to.user);
    if (other.id === actor.userId)
      fail("INVALID_PARAMS", "you cannot send a file to yourself", { field: "user" });
    return this.deps.store.getDmConversation(actor.userId, other.id, true) as Promise<ConvId>;
  }

  async prepare(
    actor: Actor,
    params: OpParams<"file.prepare">,
  ): Promise<{ fileId: string; expiresAt: number }> {
    const settings = this.settings;
    const { store, clock, limiters } = this.deps;
    const name = cleanFileName(params.name);
    if (params.size > settings.maxFileBytes) {
      fail(
        "FILE_TOO_LARGE",
        `${name} is ${formatBytes(params.size)}; this hub takes files up to ${formatBytes(settings.maxFileBytes)}`,
      );
    }
    const convId = await this.conversation(actor, params);
    // A file is a message: it draws on the same per-user budget.
    const wait = await limiters.messages.take(String(actor.userId));
    if (wait > 0) fail("RATE_LIMITED", "you are sending too fast", { retryAfterMs: wait });
    const now = clock.now();
    const used = await store.files.usage(actor.userId, dayOf(now));
    if (used + params.size > settings.quotaBytes) {
      fail(
        "QUOTA_EXCEEDED",
        `${name} (${formatBytes(params.size)}) would take you over your daily upload quota: ${formatBytes(used)} of ${formatBytes(settings.quotaBytes)} used today (UTC)`,
      );
    }
    if ((await store.files.storedBytes()) + params.size > settings.storageBytes) {
      fail("STORAGE_FULL", "the hub's file storage is full; ask its operator to make room");
    }
    const type = params.type === undefined ? undefined : stripControl(params.type).trim().slice(0, 255);
    const file = await store.files.create({
      id: randomBytes(16).toString("base64url"),
      ownerId: actor.userId,
      convId,
      name,
      size: params.size,
      createdAt: now,
      slotExpiresAt: now + UPLOAD_SLOT_MS,
      ...(type ? { declaredType: type } : {}),
    });
    return { fileId: file.id, expiresAt: file.slotExpiresAt };
  }

  /**
   * The bytes of a prepared file, from its uploader. `declaredLength` (Content-Length) is checked
   * before any byte is read. Resolves once the file is stored (durably), with what the hub found.
   */
  async upload(
    userId: UserId,
    fileId: string,
    source: AsyncIterable<Uint8Array>,
    declaredLength?: number,
  ): Promise<FileInfo> {
    const settings = this.settings;
    const { store, clock } = this.deps;
    const file = await store.files.get(fileId);
    if (!file || file.ownerId !== userId)
      fail("NO_SUCH_FILE", "no upload slot has this id for you (a failed upload spends its slot)");
    if (file.state !== "prepared" || file.slotExpiresAt <= clock.now()) {
      fail("UPLOAD_CLOSED", "this upload slot expired or was already used; prepare a new one");
    }
    if (!(await store.files.startUpload(fileId, clock.now()))) {
      fail("UPLOAD_CLOSED", "this upload slot expired or was already used; prepare a new one");
    }
    try {
      // Refused before any byte is read; the slot is spent all the same (one PUT per slot).
      if (declaredLength !== undefined && declaredLength !== file.size) {
        fail("SIZE_MISMATCH", `the upload is ${declaredLength} bytes but ${file.size} were announced`);
      }
      return await this.receive(file, source, settings);
    } catch (error) {
      await this.release(await store.files.abandon(fileId));
      throw error;
    }
  }

  private async receive(file: FileRecord, source: AsyncIterable<Uint8Array>, settings: FilesSettings) {
    const { store, clock } = this.deps;
    const head: Buffer[] = [];
    let headBytes = 0;
    async function* tapped(): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        if (headBytes < SNIFF_BYTES) {
          const part = chunk.subarray(0, SNIFF_BYTES - headBytes);
          head.push(Buffer.from(part));
          headBytes += part.length;
        }
        yield chunk;
      }
    }
    let staged;
    try {
      staged = await settings.store.stage(tapped(), file.size);
    } catch (error) {
      if (error instanceof BlobTooLargeError) {
        fail("SIZE_MISMATCH", `the upload is longer than the ${file.size} bytes announced`);
      }
      throw error;
    }
    if (staged.size !== file.size) {
      await staged.discard();
      fail("SIZE_MISMATCH", `the upload is ${staged.size} bytes but ${file.size} were announced`);
    }
    const type = await sniffType(Buffer.concat(head));
    // The record names the blob inside the blob's lock: a release of the same content cannot slip between.
    await settings.store.lock(staged.key, async () => {
      await staged.commit();
      await store.files.setBlob(file.id, staged.key);
    });
    const image = await imageFacts(type, file.size, () => settings.store.read(staged.key));
    if (image) {
      const thumb = await settings.store.stage([image.thumbnail.bytes], image.thumbnail.bytes.length);
      await settings.store.lock(thumb.key, async () => {
        await thumb.commit();
        await store.files.setThumbnail(file.id, {
          blob: thumb.key,
          width: image.thumbnail.width,
          height: image.thumbnail.height,
          type: image.thumbnail.type,
        });
      });
    }
    const now = clock.now();
    const result = await store.files.finishUpload(
      file.id,
      {
        type,
        uploadedAt: now,
        ...(image && { width: image.width, height: image.height }),
      },
      { day: dayOf(now), quota: settings.quotaBytes, storageCap: settings.storageBytes },
    );
    if (result === "quota") {
      fail(
        "QUOTA_EXCEEDED",
        `this upload would take you over your daily quota of ${formatBytes(settings.quotaBytes)}`,
      );
    }
    if (result === "storage")
      fail("STORAGE_FULL", "the hub's file storage is full; ask its operator to make room");
    if (result === "gone") fail("UPLOAD_CLOSED", "this upload slot expired while the bytes arrived");
    const stored = await store.files.get(file.id);
    if (!stored) fail("UPLOAD_CLOSED", "the file was deleted while it was uploaded");
    this.deps.log.info({ file: file.id, owner: file.ownerId, size: file.size, type }, "file uploaded");
    return toFileInfo(stored);
  }

  /**
   * Attaches an uploaded file to the message being sent (called by Messages.send before it stores the
   * message). `fresh` says whether this call attached it (so a duplicate send can undo it).
   */
  async attach(
    actor: Actor,
    fileId: string,
    cid: string,
    convId: ConvId,
  ): Promise<{ info: FileInfo | undefined; fresh: boolean }> {
    const { store } = this.deps;
    const file = await store.files.get(fileId);
    if (!file || file.ownerId !== actor.userId) fail("NO_SUCH_FILE", "you have no file with this id");
    if (file.convId !== convId) {
      fail("INVALID_PARAMS", "the file was prepared for another conversation", { field: "file" });
    }
    const claimed = await store.files.claim(fileId, actor.userId, cid);
    if (claimed === "in-use")
      fail("INVALID_PARAMS", "the file is already in another message", { field: "file" });
    if (claimed === "not-ready") fail("NO_SUCH_FILE", "the file is not uploaded (yet)");
    if (claimed === "cid-taken") {
      // A retry of a send whose message has a file already: like its body, the first one stands.
      const [first] = await store.files.ofMessages([{ fromUserId: actor.userId, cid }]);
      return { info: first && toFileInfo(first), fresh: false };
    }
    return { info: toFileInfo((await store.files.get(fileId)) ?? file), fresh: claimed === "claimed" };
  }

  /** Undoes `attach` when the send was a retry of a message stored earlier. */
  async detach(fileId: string, cid: string): Promise<void> {
    await this.deps.store.files.unclaim(fileId, cid);
  }

  /** The files of these messages, by message id (messages without a file are absent). */
  async ofMessages(records: readonly MessageRecord[]): Promise<Map<number, FileInfo>> {
    const out = new Map<number, FileInfo>();
    if (!this.enabled) return out;
    const keyed = records.filter((r) => r.cid !== undefined);
    if (keyed.length === 0) return out;
    const files = await this.deps.store.files.ofMessages(
      keyed.map((r) => ({ fromUserId: r.fromUserId, cid: r.cid as string })),
    );
    if (files.length === 0) return out;
    const byKey = new Map(files.map((f) => [`${f.ownerId}|${f.cid}`, f]));
    for (const r of keyed) {
      const file = byKey.get(`${r.fromUserId}|${r.cid}`);
      if (file && file.convId === r.convId) out.set(r.id, toFileInfo(file));
    }
    return out;
  }

  /** Whether this user may read the file's conversation now (or, before it is attached, owns it). */
  private async mayRead(userId: UserId, file: FileRecord): Promise<boolean> {
    if (file.state === "prepared" || file.state === "uploading") return false;
    if (file.ownerId === userId) return true;
    if (file.state !== "attached") return false;
    const { store } = this.deps;
    if ((await store.getDmConversation(userId, file.ownerId, false)) === file.convId) return true;
    return (await store.roomsOfUser(userId)).some(({ room }) => room.convId === file.convId);
  }

  /** A file (or its thumbnail) for a download by this user; NO_SUCH_FILE when absent or not theirs to see. */
  async download(userId: UserId, fileId: string, thumbnail = false): Promise<Download> {
    const settings = this.settings;
    const file = await this.deps.store.files.get(fileId);
    if (!file || !(await this.mayRead(userId, file)))
      fail("NO_SUCH_FILE", "no file with this id is yours to see");
    const blob = thumbnail ? file.thumbnail?.blob : file.blob;
    if (!blob) fail("NO_SUCH_FILE", thumbnail ? "this file has no thumbnail" : "this file has no bytes yet");
    const size = thumbnail ? await settings.store.size(blob) : file.size;
    if (size === undefined) fail("NO_SUCH_FILE", "the file's bytes are gone");
    return {
      file,
      size,
      type: thumbnail ? (file.thumbnail?.type ?? "image/webp") : (file.type ?? "application/octet-stream"),
      open: (range) => settings.store.read(blob, range),
    };
  }

  private async urlKey(): Promise<Buffer> {
    return this.deps.store.files.secret(SIGNED_URL_SECRET, () => randomBytes(32));
  }

  private static signature(key: Buffer, fileId: string, userId: UserId, expires: number): string {
    return createHmac("sha256", key).update(`${fileId}\n${userId}\n${expires}`).digest("base64url");
  }

  /** `file.url`: query parameters that let this user (only) download the file until they expire. */
  async signedQuery(
    actor: Actor,
    fileId: string,
  ): Promise<{ query: string; expiresAt: number; thumbnail: boolean }> {
    const file = await this.deps.store.files.get(fileId);
    if (!file || !(await this.mayRead(actor.userId, file)))
      fail("NO_SUCH_FILE", "no file with this id is yours to see");
    const expiresAt = this.deps.clock.now() + SIGNED_URL_TTL_MS;
    const sig = Files.signature(await this.urlKey(), fileId, actor.userId, expiresAt);
    return {
      query: `u=${actor.userId}&exp=${expiresAt}&sig=${sig}`,
      expiresAt,
      thumbnail: file.thumbnail !== undefined,
    };
  }

  /** The user a signed URL was made for, if it is genuine and not expired; else SESSION_EXPIRED. */
  async verifySigned(fileId: string, query: URLSearchParams): Promise<UserId> {
    const userId = Number(query.get("u"));
    const expires = Number(query.get("exp"));
    const sig = query.get("sig") ?? "";
    if (!Number.isSafeInteger(userId) || !Number.isSafeInteger(expires) || expires <= this.deps.clock.now()) {
      fail("SESSION_EXPIRED", "this download link has expired; ask for a new one");
    }
    const wanted = Buffer.from(Files.signature(await this.urlKey(), fileId, userId, expires));
    const given = Buffer.from(sig);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      fail("SESSION_EXPIRED", "this download link is not valid");
    }
    return userId;
  }

  /** Before a conversation is deleted: its files' records go now, their bytes right after (`release`). */
  async forgetConversation(convId: ConvId): Promise<string[]> {
    if (!this.enabled) return [];
    return this.deps.store.files.deleteOfConversation(convId);
  }

  /** A deleted account's messages were erased: its files go too, records now, bytes right after. */
  async forgetUser(userId: UserId): Promise<void> {
    await this.release(await this.deps.store.files.deleteOfOwner(userId));
  }

  /** Deletes the blobs no record uses any more. */
  async release(keys: readonly string[]): Promise<void> {
    const settings = this.deps.files;
    if (!settings) return;
    for (const key of keys) {
      await settings.store.lock(key, async () => {
        if (!(await this.deps.store.files.blobInUse(key))) await settings.store.delete(key);
      });
    }
  }

  /**
   * Housekeeping, run at start and then periodically: expired slots, uploads cut by a crash, files never
   * attached within UNATTACHED_FILE_TTL_MS, old usage counts, staged leftovers, and (with `orphans`)
   * blobs no record uses. Returns how many blobs were looked at for deletion.
   */
  async sweep(orphans = false): Promise<number> {
    const settings = this.deps.files;
    if (!settings) return 0;
    const now = this.deps.clock.now();
    const keys = await this.deps.store.files.expire({
      now,
      staleUpload: now - STALE_UPLOAD_MS,
      unattachedBefore: now - UNATTACHED_FILE_TTL_MS,
      dayBefore: dayOf(now) - 1,
    });
    await this.release(keys);
    await settings.store.sweepStaging(STALE_STAGING_MS);
    if (!orphans) return keys.length;
    const all: string[] = [];
    for await (const key of settings.store.keys()) all.push(key);
    await this.release(all);
    return keys.length + all.length;
  }
}

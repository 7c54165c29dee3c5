/** File records on SQLite (the contract is in ../file-records.ts). */
import type { Database } from "better-sqlite3";
import type {
  ClaimResult,
  FileRecord,
  FileRecords,
  FinishResult,
  NewFile,
  StoredFileInfo,
  Thumbnail,
} from "../file-records.js";
import type { ConvId, UserId } from "../store.js";
import { blobsOf, FILE_COLUMNS, fileFromRow, type FileRow } from "../file-rows.js";
import { isUniqueViolation, must, stmt } from "./keys.js";

export class SqliteFiles implements FileRecords {
  private readonly insert;
  private readonly byId;
  private readonly start;
  private readonly dayUsage;
  private readonly total;
  private readonly store;
  private readonly blobStmt;
  private readonly thumbStmt;
  private readonly addUsage;
  private readonly remove;
  private readonly claimStmt;
  private readonly unclaimStmt;
  private readonly byMessage;
  private readonly ofConv;
  private readonly deleteConv;
  private readonly deleteOwner;
  private readonly expiring;
  private readonly oldUsage;
  private readonly inUse;
  private readonly getSecret;
  private readonly putSecret;

  constructor(
    private readonly db: Database,
    /**
     * Runs a write through the store's write path (closed check; after the appends called before it,
     * whether they are written in this thread or the writer thread's).
     */
    private readonly writing: <T>(write: () => T) => Promise<T>,
    private readonly beforeRead: () => void,
  ) {
    this.insert = stmt<Record<string, unknown>>(
      db,
      `INSERT INTO files (id, owner_id, conv_id, name, size, declared_type, state, created_at, slot_expires_at)
       VALUES (:id, :owner, :conv, :name, :size, :declared, 'prepared', :created, :expires)`,
    );
    this.byId = stmt<{ id: string }, FileRow>(db, `SELECT ${FILE_COLUMNS} FROM files WHERE id = :id`);
    this.start = stmt<{ id: string; now: number }>(
      db,
      `UPDATE files SET state = 'uploading', started_at = :now
       WHERE id = :id AND state = 'prepared' AND slot_expires_at > :now`,
    );
    this.dayUsage = stmt<{ user: number; day: number }, { bytes: number }>(
      db,
      `SELECT bytes FROM file_usage WHERE user_id = :user AND day = :day`,
    );
    this.total = stmt<object, { bytes: number }>(
      db,
      `SELECT coalesce(sum(size), 0) AS bytes FROM files WHERE state IN ('stored', 'attached')`,
    );
    this.store = stmt<Record<string, unknown>>(
      db,
      `UPDATE files SET state = 'stored', type = :type, uploaded_at = :at, width = :width, height = :height
       WHERE id = :id AND state = 'uploading'`,
    );
    this.blobStmt = stmt<{ id: string; blob: string }>(
      db,
      `UPDATE files SET blob = :blob WHERE id = :id AND state = 'uploading'`,
    );
    this.thumbStmt = stmt<Record<string, unknown>>(
      db,
      `UPDATE files SET thumb_blob = :blob, thumb_width = :w, thumb_height = :h, thumb_type = :t
       WHERE id = :id AND state = 'uploading'`,
    );
    this.addUsage = stmt<{ user: number; day: number; bytes: number }>(
      db,
      `INSERT INTO file_usage (user_id, day, bytes) VALUES (:user, :day, :bytes)
       ON CONFLICT (user_id, day) DO UPDATE SET bytes = bytes + excluded.bytes`,
    );
    this.remove = stmt<{ id: string }, { blob: string | null; thumb_blob: string | null }>(
      db,
      `DELETE FROM files WHERE id = :id AND state <> 'attached' RETURNING blob, thumb_blob`,
    );
    this.claimStmt = stmt<{ id: string; owner: number; cid: string }>(
      db,
      `UPDATE files SET state = 'attached', cid = :cid WHERE id = :id AND owner_id = :owner AND state = 'stored'`,
    );
    this.unclaimStmt = stmt<{ id: string; cid: string }>(
      db,
      `UPDATE files SET state = 'stored', cid = NULL WHERE id = :id AND cid = :cid AND state = 'attached'`,
    );
    this.byMessage = stmt<{ owner: number; cid: string }, FileRow>(
      db,
      `SELECT ${FILE_COLUMNS} FROM files WHERE owner_id = :owner AND cid = :cid`,
    );
    this.ofConv = stmt<{ conv: number }, { blob: string | null; thumb_blob: string | null }>(
      db,
      `SELECT blob, thumb_blob FROM files WHERE conv_id = :conv`,
    );
    this.deleteConv = stmt<{ conv: number }>(db, `DELETE FROM files WHERE conv_id = :conv`);
    this.deleteOwner = stmt<{ owner: number }, { blob: string | null; thumb_blob: string | null }>(
      db,
      `DELETE FROM files WHERE owner_id = :owner RETURNING blob, thumb_blob`,
    );
    this.expiring = stmt<
      { now: number; stale: number; unattached: number },
      { blob: string | null; thumb_blob: string | null }
    >(
      db,
      `DELETE FROM files
       WHERE (state = 'prepared' AND slot_expires_at <= :now)
          OR (state = 'uploading' AND started_at <= :stale)
          OR (state = 'stored' AND uploaded_at <= :unattached)
       RETURNING blob, thumb_blob`,
    );
    this.oldUsage = stmt<{ day: number }>(db, `DELETE FROM file_usage WHERE day < :day`);
    this.inUse = stmt<{ key: string }, { one: number }>(
      db,
      `SELECT 1 AS one FROM files WHERE blob = :key UNION ALL SELECT 1 FROM files WHERE thumb_blob = :key LIMIT 1`,
    );
    this.getSecret = stmt<{ name: string }, { value: Buffer }>(
      db,
      `SELECT value FROM hub_secrets WHERE name = :name`,
    );
    this.putSecret = stmt<{ name: string; value: Buffer }>(
      db,
      `INSERT INTO hub_secrets (name, value) VALUES (:name, :value) ON CONFLICT (name) DO NOTHING`,
    );
  }

  async create(file: NewFile): Promise<FileRecord> {
    return this.writing(() => {
      this.insert.run({
        id: file.id,
        owner: file.ownerId,
        conv: file.convId,
        name: file.name,
        size: file.size,
        declared: file.declaredType ?? null,
        created: file.createdAt,
        expires: file.slotExpiresAt,
      });
      return fileFromRow(must(this.byId.get({ id: file.id }), "file insert lost its row"));
    });
  }

  async get(id: string): Promise<FileRecord | undefined> {
    this.beforeRead();
    const row = this.byId.get({ id });
    return row && fileFromRow(row);
  }

  async startUpload(id: string, now: number): Promise<boolean> {
    return this.writing(() => this.start.run({ id, now }).changes === 1);
  }

  async setBlob(id: string, blob: string): Promise<void> {
    return this.writing(() => {
      this.blobStmt.run({ id, blob });
    });
  }

  async setThumbnail(id: string, thumbnail: Thumbnail): Promise<void> {
    return this.writing(() => {
      this.thumbStmt.run({
        id,
        blob: thumbnail.blob,
        w: thumbnail.width,
        h: thumbnail.height,
        t: thumbnail.type,
      });
    });
  }

  async finishUpload(
    id: string,
    info: StoredFileInfo,
    limits: { day: number; quota: number; storageCap: number },
  ): Promise<FinishResult> {
    return this.writing(() => {
      // One writer at a time (IMMEDIATE): the checks and the write cannot interleave with another finish.
      return this.db
        .transaction((): FinishResult => {
          const file = this.byId.get({ id });
          if (!file || file.state !== "uploading") return "gone";
          const used = this.dayUsage.get({ user: file.owner_id, day: limits.day })?.bytes ?? 0;
          if (used + file.size > limits.quota) return "quota";
          if ((this.total.get({})?.bytes ?? 0) + file.size > limits.storageCap) return "storage";
          this.store.run({
            id,
            type: info.type,
            at: info.uploadedAt,
            width: info.width ?? null,
            height: info.height ?? null,
          });
          this.addUsage.run({ user: file.owner_id, day: limits.day, bytes: file.size });
          return "stored";
        })
        .immediate();
    });
  }

  async abandon(id: string): Promise<string[]> {
    return this.writing(() => blobsOf(this.remove.all({ id })));
  }

  async claim(id: string, ownerId: UserId, cid: string): Promise<ClaimResult> {
    return this.writing(() => {
      const file = this.byId.get({ id });
      if (!file || file.owner_id !== ownerId) return "not-ready";
      if (file.state === "attached") return file.cid === cid ? "already" : "in-use";
      if (file.state !== "stored") return "not-ready";
      try {
        return this.claimStmt.run({ id, owner: ownerId, cid }).changes === 1 ? "claimed" : "not-ready";
      } catch (error) {
        // Another file of this sender already holds this cid: the message it names has its file.
        if (isUniqueViolation(error)) return "cid-taken";
        throw error;
      }
    });
  }

  async unclaim(id: string, cid: string): Promise<void> {
    return this.writing(() => {
      this.unclaimStmt.run({ id, cid });
    });
  }

  async ofMessages(keys: ReadonlyArray<{ fromUserId: UserId; cid: string }>): Promise<FileRecord[]> {
    this.beforeRead();
    const out: FileRecord[] = [];
    // One indexed look-up each: a page holds at most HISTORY_MAX messages, and SQLite runs these in-process.
    for (const key of keys) {
      const row = this.byMessage.get({ owner: key.fromUserId, cid: key.cid });
      if (row) out.push(fileFromRow(row));
    }
    return out;
  }

  async usage(ownerId: UserId, day: number): Promise<number> {
    this.beforeRead();
    return this.dayUsage.get({ user: ownerId, day })?.bytes ?? 0;
  }

  async storedBytes(): Promise<number> {
    this.beforeRead();
    return this.total.get({})?.bytes ?? 0;
  }

  async deleteOfConversation(convId: ConvId): Promise<string[]> {
    return this.writing(() => {
      return this.db.transaction(() => {
        const keys = blobsOf(this.ofConv.all({ conv: convId }));
        this.deleteConv.run({ conv: convId });
        return keys;
      })();
    });
  }

  async deleteOfOwner(ownerId: UserId): Promise<string[]> {
    return this.writing(() => blobsOf(this.deleteOwner.all({ owner: ownerId })));
  }

  async expire(limits: {
    now: number;
    staleUpload: number;
    unattachedBefore: number;
    dayBefore: number;
  }): Promise<string[]> {
    return this.writing(() => {
      return this.db.transaction(() => {
        const rows = this.expiring.all({
          now: limits.now,
          stale: limits.staleUpload,
          unattached: limits.unattachedBefore,
        });
        this.oldUsage.run({ day: limits.dayBefore });
        return blobsOf(rows);
      })();
    });
  }

  async blobInUse(key: string): Promise<boolean> {
    this.beforeRead();
    return this.inUse.get({ key }) !== undefined;
  }

  async secret(name: string, create: () => Buffer): Promise<Buffer> {
    return this.writing(() => {
      const found = this.getSecret.get({ name });
      if (found) return found.value;
      this.putSecret.run({ name, value: create() });
      return must(this.getSecret.get({ name }), "secret insert lost its row").value;
    });
  }
}

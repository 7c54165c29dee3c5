/** File records on PostgreSQL (the contract is in ../file-records.ts). */
import type pg from "pg";
import type {
  ClaimResult,
  FileRecord,
  FileRecords,
  FileState,
  FinishResult,
  NewFile,
  StoredFileInfo,
  Thumbnail,
} from "../file-records.js";
import type { ConvId, UserId } from "../store.js";
import { blobsOf, FILE_COLUMNS, fileFromRow, type FileRow } from "../file-rows.js";

const UNIQUE_VIOLATION = "23505";

export class PgFiles implements FileRecords {
  constructor(
    private readonly pool: pg.Pool,
    private readonly tx: <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  async create(file: NewFile): Promise<FileRecord> {
    const { rows } = await this.pool.query<FileRow>(
      `INSERT INTO files (id, owner_id, conv_id, name, size, declared_type, state, created_at, slot_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'prepared', $7, $8) RETURNING ${FILE_COLUMNS}`,
      [
        file.id,
        file.ownerId,
        file.convId,
        file.name,
        file.size,
        file.declaredType ?? null,
        file.createdAt,
        file.slotExpiresAt,
      ],
    );
    return fileFromRow(rows[0]!);
  }

  async get(id: string): Promise<FileRecord | undefined> {
    const { rows } = await this.pool.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE id = $1`, [id]);
    return rows[0] && fileFromRow(rows[0]);
  }

  async startUpload(id: string, now: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE files SET state = 'uploading', started_at = $2
       WHERE id = $1 AND state = 'prepared' AND slot_expires_at > $2`,
      [id, now],
    );
    return result.rowCount === 1;
  }

  async setBlob(id: string, blob: string): Promise<void> {
    await this.pool.query("UPDATE files SET blob = $2 WHERE id = $1 AND state = 'uploading'", [id, blob]);
  }

  async setThumbnail(id: string, thumbnail: Thumbnail): Promise<void> {
    await this.pool.query(
      `UPDATE files SET thumb_blob = $2, thumb_width = $3, thumb_height = $4, thumb_type = $5
       WHERE id = $1 AND state = 'uploading'`,
      [id, thumbnail.blob, thumbnail.width, thumbnail.height, thumbnail.type],
    );
  }

  async finishUpload(
    id: string,
    info: StoredFileInfo,
    limits: { day: number; quota: number; storageCap: number },
  ): Promise<FinishResult> {
    return this.tx(async (client) => {
      // Finishes run one at a time across nodes, so two cannot both fit under a quota or the cap.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('parley.files.finish'))");
      const { rows } = await client.query<{ owner_id: number; size: number; state: FileState }>(
        "SELECT owner_id, size, state FROM files WHERE id = $1",
        [id],
      );
      const file = rows[0];
      if (!file || file.state !== "uploading") return "gone";
      const used = await client.query<{ bytes: number }>(
        "SELECT bytes FROM file_usage WHERE user_id = $1 AND day = $2",
        [file.owner_id, limits.day],
      );
      if ((used.rows[0]?.bytes ?? 0) + file.size > limits.quota) return "quota";
      const total = await client.query<{ bytes: number }>(
        "SELECT coalesce(sum(size), 0)::bigint AS bytes FROM files WHERE state IN ('stored', 'attached')",
      );
      if ((total.rows[0]?.bytes ?? 0) + file.size > limits.storageCap) return "storage";
      await client.query(
        "UPDATE files SET state = 'stored', type = $2, uploaded_at = $3, width = $4, height = $5 WHERE id = $1",
        [id, info.type, info.uploadedAt, info.width ?? null, info.height ?? null],
      );
      await client.query(
        `INSERT INTO file_usage (user_id, day, bytes) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, day) DO UPDATE SET bytes = file_usage.bytes + excluded.bytes`,
        [file.owner_id, limits.day, file.size],
      );
      return "stored";
    });
  }

  async abandon(id: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ blob: string | null; thumb_blob: string | null }>(
      "DELETE FROM files WHERE id = $1 AND state <> 'attached' RETURNING blob, thumb_blob",
      [id],
    );
    return blobsOf(rows);
  }

  async claim(id: string, ownerId: UserId, cid: string): Promise<ClaimResult> {
    const file = await this.get(id);
    if (!file || file.ownerId !== ownerId) return "not-ready";
    if (file.state === "attached") return file.cid === cid ? "already" : "in-use";
    if (file.state !== "stored") return "not-ready";
    try {
      const result = await this.pool.query(
        "UPDATE files SET state = 'attached', cid = $3 WHERE id = $1 AND owner_id = $2 AND state = 'stored'",
        [id, ownerId, cid],
      );
      if (result.rowCount === 1) return "claimed";
      // A concurrent claim won: same cid is the same send.
      const now = await this.get(id);
      return now?.state === "attached" && now.cid === cid ? "already" : "not-ready";
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return "cid-taken";
      throw error;
    }
  }

  async unclaim(id: string, cid: string): Promise<void> {
    await this.pool.query(
      "UPDATE files SET state = 'stored', cid = NULL WHERE id = $1 AND cid = $2 AND state = 'attached'",
      [id, cid],
    );
  }

  async ofMessages(keys: ReadonlyArray<{ fromUserId: UserId; cid: string }>): Promise<FileRecord[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.pool.query<FileRow>(
      `SELECT ${FILE_COLUMNS} FROM files f
       JOIN unnest($1::bigint[], $2::text[]) AS k (owner_id, cid) USING (owner_id, cid)`,
      [keys.map((k) => k.fromUserId), keys.map((k) => k.cid)],
    );
    return rows.map(fileFromRow);
  }

  async usage(ownerId: UserId, day: number): Promise<number> {
    const { rows } = await this.pool.query<{ bytes: number }>(
      "SELECT bytes FROM file_usage WHERE user_id = $1 AND day = $2",
      [ownerId, day],
    );
    return rows[0]?.bytes ?? 0;
  }

  async storedBytes(): Promise<number> {
    const { rows } = await this.pool.query<{ bytes: number }>(
      "SELECT coalesce(sum(size), 0)::bigint AS bytes FROM files WHERE state IN ('stored', 'attached')",
    );
    return rows[0]?.bytes ?? 0;
  }

  async deleteOfConversation(convId: ConvId): Promise<string[]> {
    const { rows } = await this.pool.query<{ blob: string | null; thumb_blob: string | null }>(
      "DELETE FROM files WHERE conv_id = $1 RETURNING blob, thumb_blob",
      [convId],
    );
    return blobsOf(rows);
  }

  async deleteOfOwner(ownerId: UserId): Promise<string[]> {
    const { rows } = await this.pool.query<{ blob: string | null; thumb_blob: string | null }>(
      "DELETE FROM files WHERE owner_id = $1 RETURNING blob, thumb_blob",
      [ownerId],
    );
    return blobsOf(rows);
  }

  async expire(limits: {
    now: number;
    staleUpload: number;
    unattachedBefore: number;
    dayBefore: number;
  }): Promise<string[]> {
    const { rows } = await this.pool.query<{ blob: string | null; thumb_blob: string | null }>(
      `DELETE FROM files
       WHERE (state = 'prepared' AND slot_expires_at <= $1)
          OR (state = 'uploading' AND started_at <= $2)
          OR (state = 'stored' AND uploaded_at <= $3)
       RETURNING blob, thumb_blob`,
      [limits.now, limits.staleUpload, limits.unattachedBefore],
    );
    await this.pool.query("DELETE FROM file_usage WHERE day < $1", [limits.dayBefore]);
    return blobsOf(rows);
  }

  async blobInUse(key: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      "SELECT 1 FROM files WHERE blob = $1 UNION ALL SELECT 1 FROM files WHERE thumb_blob = $1 LIMIT 1",
      [key],
    );
    return rows.length > 0;
  }

  async secret(name: string, create: () => Buffer): Promise<Buffer> {
    await this.pool.query(
      "INSERT INTO hub_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
      [name, create()],
    );
    const { rows } = await this.pool.query<{ value: Buffer }>(
      "SELECT value FROM hub_secrets WHERE name = $1",
      [name],
    );
    return rows[0]!.value;
  }
}

/**
 * FileStore in PostgreSQL (cluster mode): every node reads and writes the same blobs. A blob is a row
 * in `file_blobs` and its bytes are rows of `file_chunks` (CHUNK_BYTES each, the last one shorter).
 * An upload writes its chunks under a staging id (`file_staging`) as it streams — one chunk in memory
 * at a time — and `commit` moves them to the blob's key in one transaction, so readers see all of a
 * blob or none of it. Tables come from the store's migrations (postgres/migrations.ts).
 */
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type pg from "pg";
import { openPool, parsePgUrl } from "../postgres/pool.js";
import {
  BlobTooLargeError,
  checkKey,
  type ByteRange,
  type FileStore,
  type StagedBlob,
} from "./file-store.js";

export const CHUNK_BYTES = 256 * 1024;

export class PgFileStore implements FileStore {
  readonly location = "postgresql (file_blobs, file_chunks)";

  private constructor(
    private readonly pool: pg.Pool,
    /** Advisory locks hold a connection while their holder works on `pool`: a pool of their own. */
    private readonly lockPool: pg.Pool,
  ) {}

  /** `url` as for the store (its `schema` parameter too); the store has already migrated the schema. */
  static open(url: string, max = 4): PgFileStore {
    const target = parsePgUrl(url);
    return new PgFileStore(openPool(target, max), openPool(target, 8));
  }

  async stage(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    maxBytes: number,
  ): Promise<StagedBlob> {
    const id = `${randomBytes(12).toString("hex")}`;
    await this.pool.query("INSERT INTO file_staging (id, created_at) VALUES ($1, $2)", [id, Date.now()]);
    const hash = createHash("sha256");
    let size = 0;
    let n = 0;
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (all: boolean) => {
      while (pendingBytes >= CHUNK_BYTES || (all && pendingBytes > 0)) {
        const joined = Buffer.concat(pending);
        const chunk = joined.subarray(0, CHUNK_BYTES);
        const rest = joined.subarray(chunk.length);
        pending.length = 0;
        if (rest.length > 0) pending.push(rest);
        pendingBytes = rest.length;
        await this.pool.query("INSERT INTO file_chunks (blob, n, data) VALUES ($1, $2, $3)", [
          `staging:${id}`,
          n++,
          chunk,
        ]);
      }
    };
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hash.update(chunk);
        pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
        pendingBytes += chunk.length;
        await flush(false);
      }
      await flush(true);
    } catch (error) {
      await this.dropStaging(id).catch(() => {});
      throw error;
    }
    const key = hash.digest("hex");
    let settled = false;
    const once = () => {
      if (settled) throw new Error("a staged blob is committed or discarded once");
      settled = true;
    };
    return {
      key,
      size,
      commit: async () => {
        once();
        await this.tx(async (client) => {
          // Gone when swept as a leftover meanwhile: committing would make an empty blob.
          const mine = await client.query("DELETE FROM file_staging WHERE id = $1", [id]);
          if (mine.rowCount !== 1) throw new Error(`staged blob ${id} no longer exists`);
          const inserted = await client.query(
            "INSERT INTO file_blobs (key, size, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
            [key, size, Date.now()],
          );
          if ((inserted.rowCount ?? 0) > 0) {
            await client.query("UPDATE file_chunks SET blob = $1 WHERE blob = $2", [key, `staging:${id}`]);
          } else {
            // Same key, same bytes: the copy already there is kept.
            await client.query("DELETE FROM file_chunks WHERE blob = $1", [`staging:${id}`]);
          }
        });
      },
      discard: async () => {
        once();
        await this.dropStaging(id);
      },
    };
  }

  private async dropStaging(id: string): Promise<void> {
    await this.tx(async (client) => {
      await client.query("DELETE FROM file_chunks WHERE blob = $1", [`staging:${id}`]);
      await client.query("DELETE FROM file_staging WHERE id = $1", [id]);
    });
  }

  private async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable | undefined> {
    const size = await this.size(key);
    if (size === undefined) return undefined;
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? size - 1, size - 1);
    const pool = this.pool;
    // One chunk per query: memory stays at one chunk per reader, and the stream's backpressure paces it.
    async function* chunks(): AsyncGenerator<Buffer> {
      if (end < start) return;
      for (let n = Math.floor(start / CHUNK_BYTES); n <= Math.floor(end / CHUNK_BYTES); n++) {
        const { rows } = await pool.query<{ data: Buffer }>(
          "SELECT data FROM file_chunks WHERE blob = $1 AND n = $2",
          [key, n],
        );
        const data = rows[0]?.data;
        if (!data) throw new Error(`blob ${key} lost chunk ${n} while being read`);
        const from = n === Math.floor(start / CHUNK_BYTES) ? start - n * CHUNK_BYTES : 0;
        const to = n === Math.floor(end / CHUNK_BYTES) ? end - n * CHUNK_BYTES + 1 : data.length;
        yield data.subarray(from, to);
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async size(key: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ size: number }>("SELECT size FROM file_blobs WHERE key = $1", [
      checkKey(key),
    ]);
    return rows[0]?.size;
  }

  async delete(key: string): Promise<void> {
    await this.tx(async (client) => {
      await client.query("DELETE FROM file_blobs WHERE key = $1", [checkKey(key)]);
      await client.query("DELETE FROM file_chunks WHERE blob = $1", [key]);
    });
  }

  async *keys(): AsyncIterable<string> {
    let after = "";
    for (;;) {
      const { rows } = await this.pool.query<{ key: string }>(
        "SELECT key FROM file_blobs WHERE key > $1 ORDER BY key LIMIT 500",
        [after],
      );
      for (const row of rows) yield row.key;
      if (rows.length < 500) return;
      after = rows.at(-1)!.key;
    }
  }

  async lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const client = await this.lockPool.connect();
    const lockKey = "hashtext('parley.blob.' || $1)";
    let broken = false;
    try {
      await client.query(`SELECT pg_advisory_lock(${lockKey})`, [checkKey(key)]);
      try {
        return await fn();
      } finally {
        await client.query(`SELECT pg_advisory_unlock(${lockKey})`, [key]).catch(() => (broken = true));
      }
    } finally {
      client.release(broken);
    }
  }

  async sweepStaging(olderThanMs: number): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>(
      "SELECT id FROM file_staging WHERE created_at <= $1",
      [Date.now() - olderThanMs],
    );
    for (const { id } of rows) await this.dropStaging(id);
    return rows.length;
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.lockPool.end()]);
  }
}

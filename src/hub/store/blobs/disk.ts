/**
 * FileStore on disk: `<root>/blobs/ab/<sha256>` (two-character fan-out keeps folders small) and
 * `<root>/staging/<random>` for uploads in progress. A blob is written to staging, fsynced, then
 * renamed into place and its folder fsynced, so a crash leaves either the whole blob or none of it
 * under blobs/ — never a half file that could be served.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { KeyedLock } from "./lock.js";
import {
  BlobTooLargeError,
  checkKey,
  type ByteRange,
  type FileStore,
  type StagedBlob,
} from "./file-store.js";

export class DiskFileStore implements FileStore {
  private readonly blobs: string;
  private readonly staging: string;
  private readonly locks = new KeyedLock();

  private constructor(readonly location: string) {
    this.blobs = join(location, "blobs");
    this.staging = join(location, "staging");
  }

  /** Opens (creating) the folder. Staged leftovers are kept: `sweepStaging` removes the old ones. */
  static async open(root: string): Promise<DiskFileStore> {
    const store = new DiskFileStore(root);
    await mkdir(store.blobs, { recursive: true });
    await mkdir(store.staging, { recursive: true });
    return store;
  }

  private pathOf(key: string): string {
    checkKey(key);
    return join(this.blobs, key.slice(0, 2), key);
  }

  async stage(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    maxBytes: number,
  ): Promise<StagedBlob> {
    const temp = join(this.staging, `${Date.now()}-${randomBytes(8).toString("hex")}`);
    const handle = await open(temp, "wx", 0o600);
    const hash = createHash("sha256");
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
        hash.update(chunk);
        // Awaiting each write is the backpressure: the source is not read faster than the disk takes it.
        let offset = 0;
        while (offset < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
          offset += bytesWritten;
        }
      }
      await handle.sync();
      await handle.close();
    } catch (error) {
      await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
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
        const target = this.pathOf(key);
        const folder = join(this.blobs, key.slice(0, 2));
        await mkdir(folder, { recursive: true });
        // Same key, same bytes: an existing blob is replaced by an identical one, atomically.
        await rename(temp, target);
        await syncFolder(folder);
      },
      discard: async () => {
        once();
        await unlink(temp).catch(() => {});
      },
    };
  }

  async read(key: string, range?: ByteRange): Promise<Readable | undefined> {
    const path = this.pathOf(key);
    // Opened before the stream is handed out, so a missing blob is "undefined", not a stream error.
    const handle = await open(path, "r").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (!handle) return undefined;
    return createReadStream("", {
      fd: handle,
      highWaterMark: 256 * 1024,
      ...(range && { start: range.start, end: range.end }),
    });
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async *keys(): AsyncIterable<string> {
    for (const folder of await readdir(this.blobs)) {
      if (!/^[0-9a-f]{2}$/.test(folder)) continue;
      for (const name of await readdir(join(this.blobs, folder)).catch(() => [])) {
        if (/^[0-9a-f]{64}$/.test(name)) yield name;
      }
    }
  }

  lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(checkKey(key), fn);
  }

  async sweepStaging(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of await readdir(this.staging)) {
      const path = join(this.staging, name);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs <= cutoff) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}
}

/** Makes a rename durable: the folder's entry, not only the file's bytes, must reach the disk. */
async function syncFolder(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The bytes of shared files, behind one interface: on disk under the data folder (SQLite hubs), in
 * PostgreSQL (cluster mode, so every node serves every file), and later perhaps an S3-compatible
 * bucket. What a file *is* (owner, conversation, name, type, state) lives in the Store's file records;
 * a FileStore keeps only blobs, named by the SHA-256 of their content.
 *
 * Contract, for every implementation (test/contract/file-store.contract.ts runs it against each):
 * - `stage` streams its source to a place no reader sees, hashing as it goes, and resolves only when
 *   the bytes are durable (fsynced, or committed). It never holds the whole source in memory: memory
 *   stays bounded by a small buffer whatever the size. It rejects with `BlobTooLargeError` as soon as
 *   the source goes past `maxBytes`, and rejects when the source fails; either way nothing is left
 *   that a reader could see (leftovers of a crash are removed by `sweepStaging`).
 * - `StagedBlob.commit` makes the blob readable under its key, atomically: a reader sees all of it or
 *   nothing. Committing a key that exists keeps one copy (content addressing: same key, same bytes).
 *   `discard` drops a staged blob. Each staged blob is committed or discarded once.
 * - `read` returns the bytes of a committed blob (or the inclusive byte range asked), or undefined
 *   when there is no such blob. A blob being deleted may still be read to the end by a reader that
 *   already started.
 * - `delete` removes a committed blob; deleting a missing one is not an error.
 * - Blobs are shared by content, so "is anyone still using this key" is the caller's question: it
 *   asks it and deletes inside `lock(key)`, and commits (and records the key) inside `lock(key)` too.
 *   `lock` gives mutual exclusion per key across everything that shares the storage (the process for
 *   disk; every node for PostgreSQL).
 * - `keys` lists committed blobs, for sweeping blobs that no record uses (after a crash between
 *   deleting a record and its blob).
 */
import type { Readable } from "node:stream";

export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
    this.name = "BlobTooLargeError";
  }
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface StagedBlob {
  /** Lowercase hex SHA-256 of the bytes: the key the blob has once committed. */
  readonly key: string;
  readonly size: number;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export interface FileStore {
  /** Where the bytes are, for logs and docs (a folder, or "postgresql"). */
  readonly location: string;
  stage(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, maxBytes: number): Promise<StagedBlob>;
  read(key: string, range?: ByteRange): Promise<Readable | undefined>;
  size(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  keys(): AsyncIterable<string>;
  lock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Removes staged bytes older than `olderThanMs` (an upload cut by a crash); returns how many. */
  sweepStaging(olderThanMs: number): Promise<number>;
  close(): Promise<void>;
}

/** A blob key: the lowercase hex SHA-256. Anything else is refused before it reaches a path or a query. */
export const BLOB_KEY_RE = /^[0-9a-f]{64}$/;

export function checkKey(key: string): string {
  if (!BLOB_KEY_RE.test(key)) throw new TypeError(`not a blob key: ${JSON.stringify(key.slice(0, 80))}`);
  return key;
}

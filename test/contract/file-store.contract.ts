/** The FileStore contract (src/hub/store/blobs/file-store.ts), run against every implementation. */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BlobTooLargeError, type FileStore } from "../../src/hub/store/blobs/file-store.js";

async function readAll(store: FileStore, key: string, range?: { start: number; end: number }) {
  const stream = await store.read(key, range);
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sha(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function* pieces(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export function describeFileStoreContract(
  name: string,
  open: () => Promise<FileStore>,
  close: (store: FileStore) => Promise<void> = (s) => s.close(),
): void {
  describe(`FileStore contract: ${name}`, () => {
    const withStore = (fn: (store: FileStore) => Promise<void>) => async () => {
      const store = await open();
      try {
        await fn(store);
      } finally {
        await close(store);
      }
    };

    it(
      "stages, commits and reads back the same bytes under their SHA-256",
      withStore(async (store) => {
        const bytes = randomBytes(700_000);
        const staged = await store.stage(pieces(bytes, 10_000), bytes.length);
        expect(staged.key).toBe(sha(bytes));
        expect(staged.size).toBe(bytes.length);
        expect(await store.read(staged.key)).toBeUndefined();
        await staged.commit();
        expect(await store.size(staged.key)).toBe(bytes.length);
        expect((await readAll(store, staged.key))?.equals(bytes)).toBe(true);
        const keys: string[] = [];
        for await (const key of store.keys()) keys.push(key);
        expect(keys).toContain(staged.key);
      }),
    );

    it(
      "reads inclusive byte ranges, across chunk boundaries too",
      withStore(async (store) => {
        const bytes = randomBytes(600_000);
        const staged = await store.stage([bytes], bytes.length);
        await staged.commit();
        for (const [start, end] of [
          [0, 0],
          [262_143, 262_144],
          [100, 599_999],
          [524_200, 524_400],
        ] as const) {
          expect(
            (await readAll(store, staged.key, { start, end }))?.equals(bytes.subarray(start, end + 1)),
          ).toBe(true);
        }
      }),
    );

    it(
      "refuses a source past maxBytes and leaves nothing behind",
      withStore(async (store) => {
        const bytes = randomBytes(50_000);
        await expect(store.stage(pieces(bytes, 1000), 49_999)).rejects.toBeInstanceOf(BlobTooLargeError);
        expect(await store.size(sha(bytes))).toBeUndefined();
        expect(await store.sweepStaging(0)).toBe(0);
      }),
    );

    it(
      "leaves nothing behind when the source fails",
      withStore(async (store) => {
        async function* failing(): AsyncGenerator<Buffer> {
          yield randomBytes(300_000);
          throw new Error("client went away");
        }
        await expect(store.stage(failing(), 1_000_000)).rejects.toThrow("client went away");
        expect(await store.sweepStaging(0)).toBe(0);
      }),
    );

    it(
      "keeps one copy per content; discard drops a staged blob; delete is idempotent",
      withStore(async (store) => {
        const bytes = randomBytes(1000);
        const a = await store.stage([bytes], bytes.length);
        const b = await store.stage([bytes], bytes.length);
        await a.commit();
        await b.commit();
        expect((await readAll(store, a.key))?.equals(bytes)).toBe(true);
        const c = await store.stage([randomBytes(10)], 10);
        await c.discard();
        expect(await store.size(c.key)).toBeUndefined();
        await expect(c.commit()).rejects.toThrow();
        await store.delete(a.key);
        await store.delete(a.key);
        expect(await store.read(a.key)).toBeUndefined();
        const empty = await store.stage([], 0);
        await empty.commit();
        expect((await readAll(store, empty.key))?.length).toBe(0);
      }),
    );

    it(
      "sweeps staged leftovers older than asked",
      withStore(async (store) => {
        const staged = await store.stage([randomBytes(100)], 100);
        expect(await store.sweepStaging(60_000)).toBe(0);
        expect(await store.sweepStaging(0)).toBe(1);
        // A swept blob can no longer be committed.
        await expect(staged.commit()).rejects.toThrow();
      }),
    );

    it(
      "lock runs holders of one key one at a time, and other keys alongside",
      withStore(async (store) => {
        const key = sha(Buffer.from("k"));
        const other = sha(Buffer.from("o"));
        const order: string[] = [];
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const first = store.lock(key, async () => {
          order.push("first in");
          await gate;
          order.push("first out");
        });
        // Mutual exclusion, not FIFO: the second asks only once the first holds the lock.
        while (!order.includes("first in")) await new Promise((r) => setTimeout(r, 5));
        const second = store.lock(key, async () => void order.push("second"));
        await store.lock(other, async () => void order.push("other"));
        release();
        await Promise.all([first, second]);
        expect(order.indexOf("second")).toBeGreaterThan(order.indexOf("first out"));
        expect(order.indexOf("other")).toBeLessThan(order.indexOf("first out"));
      }),
    );

    it(
      "refuses keys that are not SHA-256 hex",
      withStore(async (store) => {
        await expect(store.read("../../etc/passwd")).rejects.toThrow(/not a blob key/);
        await expect(store.delete("ABC")).rejects.toThrow(/not a blob key/);
      }),
    );
  });
}

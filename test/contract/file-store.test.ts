/** The FileStore contract on disk (temp folders) and in PostgreSQL (fresh schemas). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import { DiskFileStore } from "../../src/hub/store/blobs/disk.js";
import type { FileStore } from "../../src/hub/store/blobs/file-store.js";
import { PgFileStore } from "../../src/hub/store/blobs/postgres.js";
import { PgStore } from "../../src/hub/store/postgres/pg-store.js";
import { freshSchema, missingServices } from "../cluster/services.js";
import { describeFileStoreContract } from "./file-store.contract.js";

const folders = new WeakMap<FileStore, string>();
describeFileStoreContract(
  "disk",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "parley-blobs-"));
    const store = await DiskFileStore.open(dir);
    folders.set(store, dir);
    return store;
  },
  async (store) => {
    await store.close();
    await rm(folders.get(store) as string, { recursive: true, force: true });
  },
);

const missing = await missingServices("postgres");
describe.skipIf(missing !== undefined)(
  `FileStore on PostgreSQL${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    const drops = new WeakMap<FileStore, () => Promise<void>>();
    describeFileStoreContract(
      "postgres",
      async () => {
        const { url, drop } = await freshSchema();
        // The store's migrations create the blob tables.
        await (await PgStore.open({ url, max: 1 })).close();
        const store = PgFileStore.open(url);
        drops.set(store, drop);
        return store;
      },
      async (store) => {
        await store.close();
        await drops.get(store)?.();
      },
    );
  },
);

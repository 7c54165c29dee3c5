/**
 * File sharing on a two-node cluster (PostgreSQL + Redis): the same scenarios as on SQLite, with the
 * uploader on one node and the downloader on the other — the bytes are in PostgreSQL, so every node
 * serves every file — and deletions checked in the database.
 */
import { afterAll, beforeAll, describe } from "vitest";
import { PgFileStore } from "../../src/hub/store/blobs/postgres.js";
import { describeFileSharing, LIMITS } from "../integration/files.scenarios.js";
import { startCluster, type Cluster } from "./cluster.js";
import { missingServices } from "./services.js";

const missing = await missingServices("postgres", "redis");

describe.skipIf(missing !== undefined)(`files in a cluster${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let cluster: Cluster;
  let blobs: PgFileStore;
  beforeAll(async () => {
    cluster = await startCluster(2, {
      args: [
        "--max-file-bytes",
        String(LIMITS.maxFileBytes),
        "--file-quota-bytes",
        String(LIMITS.fileQuotaBytes),
      ],
    });
    blobs = PgFileStore.open(cluster.storeUrl, 1);
  }, 120_000);
  afterAll(async () => {
    await blobs?.close();
    await cluster?.stop();
  });

  describeFileSharing("PostgreSQL cluster, two nodes", () => ({
    urls: cluster.urls,
    blobExists: async (key) => (await blobs.size(key)) !== undefined,
  }));
});

/**
 * The Store contract on PostgreSQL: the same suite as SQLite, each test on a fresh schema dropped after.
 * Skips (naming what to start) when PostgreSQL is unreachable, except under CI.
 */
import { describe } from "vitest";
import { PgStore } from "../../src/hub/store/postgres/pg-store.js";
import { freshSchema, missingServices } from "../cluster/services.js";
import { describeStoreContract } from "./store.contract.js";

const missing = await missingServices("postgres");

// Skips with the reason in its name when PostgreSQL is unreachable (missingServices names what to start;
// under CI it throws instead, so CI never skips this).
describe.skipIf(missing !== undefined)(
  `Store contract on PostgreSQL${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    const drops = new WeakMap<PgStore, () => Promise<void>>();
    describeStoreContract(
      "postgres",
      async () => {
        const { url, drop } = await freshSchema();
        const store = await PgStore.open({ url, max: 4 });
        drops.set(store, drop);
        return store;
      },
      async (store) => drops.get(store as PgStore)?.(),
    );
  },
);

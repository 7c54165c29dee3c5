/** The Store contract on SQLite: a temp file (as the hub runs it) and `:memory:`. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { openSqliteStore } from "../../src/hub/store/sqlite/index.js";
import { describeStoreContract } from "./store.contract.js";

const dir = mkdtempSync(join(tmpdir(), "parley-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

describeStoreContract("sqlite file, as the hub opens it by default (appends in this thread)", () =>
  openSqliteStore(join(dir, `t${++n}.db`)),
);
describeStoreContract("sqlite :memory:", () => openSqliteStore(":memory:"));
describeStoreContract("sqlite file, writer thread, synchronous=full", () =>
  openSqliteStore(join(dir, `w${++n}.db`), { synchronous: "full", appendIn: "worker" }),
);
describeStoreContract("sqlite file, appends in this thread, synchronous=full, microtask group commit", () =>
  openSqliteStore(join(dir, `f${++n}.db`), {
    synchronous: "full",
    groupCommit: "microtask",
    appendIn: "thread",
  }),
);
describeStoreContract("sqlite file, appends in this thread, one transaction per append", () =>
  openSqliteStore(join(dir, `o${++n}.db`), { groupCommit: "off", appendIn: "thread" }),
);

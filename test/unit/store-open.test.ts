/** openStore: which backend a `--store` spec selects. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore, StoreSpecError } from "../../src/hub/store/open.js";

const dir = mkdtempSync(join(tmpdir(), "parley-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("openStore", () => {
  it("opens SQLite at <dataDir>/parley.db by default, creating the data folder", async () => {
    for (const [i, spec] of [undefined, "sqlite", " sqlite "].entries()) {
      const dataDir = join(dir, `data-${i}`, "nested");
      const store = await openStore(spec, dataDir);
      await store.createUser({ username: "a1", displayName: "a", passwordHash: "h", createdAt: 1 });
      await store.close();
      expect(existsSync(join(dataDir, "parley.db"))).toBe(true);
    }
  });

  it("opens SQLite at the path of sqlite:PATH", async () => {
    const path = join(dir, "elsewhere", "chat.db");
    const store = await openStore(`sqlite:${path}`, join(dir, "unused"));
    await store.close();
    expect(existsSync(path)).toBe(true);
    expect(existsSync(join(dir, "unused"))).toBe(false);
    const mem = await openStore("sqlite::memory:", dir);
    expect(await mem.listRooms()).toEqual([]);
    await mem.close();
  });

  it("hands postgres:// specs to the PostgreSQL store, whose errors do not echo the password", async () => {
    // Port 1 refuses at once; the PostgreSQL store itself is tested in test/contract/postgres.test.ts.
    for (const spec of [
      "postgres://u:secret@127.0.0.1:1/parley",
      "postgresql://u:secret@127.0.0.1:1/parley",
    ]) {
      const err = await openStore(spec, dir).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/ECONNREFUSED/);
      expect((err as Error).message).not.toContain("secret");
    }
  });

  it("rejects an unknown spec or an empty sqlite path, without echoing secrets", async () => {
    const err = await openStore("mysql://root:hunter2@db/x", dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreSpecError);
    expect((err as Error).message).toMatch(/unknown store "mysql:/);
    expect((err as Error).message).not.toContain("hunter2");
    await expect(openStore("sqlite:", dir)).rejects.toThrow(/needs a path/);
  });
});

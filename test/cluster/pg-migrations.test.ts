/**
 * PgStore migrations on the real PostgreSQL: a frozen version-1 schema with data is brought up to
 * date without loss; nodes starting at once migrate once; a schema newer than the hub is refused.
 */
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS, migrate } from "../../src/hub/store/postgres/migrations.js";
import { PgStore } from "../../src/hub/store/postgres/pg-store.js";
import { PG_URL, freshSchema, missingServices } from "./services.js";

const missing = await missingServices("postgres");

describe.skipIf(missing !== undefined)(`PgStore migrations${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function schemaClient() {
    const schema = await freshSchema();
    const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema.schema}` });
    await client.connect();
    cleanups.push(async () => {
      await client.end();
      await schema.drop();
    });
    return { ...schema, client };
  }

  it("upgrades a frozen version-1 database with data in it, keeping its messages and seqs", async () => {
    const { client, url, schema } = await schemaClient();
    expect(await migrate(client, schema, MIGRATIONS.slice(0, 1))).toEqual([1]);
    // Data as a version-1 hub wrote it.
    await client.query(`
      INSERT INTO users (username, display_name, password_hash, created_at) VALUES ('Ann', 'Ann', 'h', 1);
      INSERT INTO conversations (kind, last_seq) VALUES ('room', 1);
      INSERT INTO rooms (name, conv_id, created_at) VALUES ('hall', 1, 1);
      INSERT INTO members (room_id, user_id, role, joined_at) VALUES (1, 1, 'owner', 1);
      INSERT INTO messages (conv_id, seq, ts, from_user_id, body, cid) VALUES (1, 1, 5, 1, 'old', 'c1');`);

    const store = await PgStore.open({ url });
    cleanups.push(() => store.close());
    const versions = await client.query<{ version: number }>(
      "SELECT version FROM schema_version ORDER BY version",
    );
    expect(versions.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const room = (await store.getRoom("HALL"))!;
    expect(room).toMatchObject({ name: "hall", lastSeq: 1, memberCount: 1 });
    const next = await store.appendMessage({
      convId: room.convId,
      fromUserId: 1,
      body: "new",
      cid: "c2",
      ts: 6,
    });
    expect(next.message.seq).toBe(2);
    const again = await store.appendMessage({
      convId: room.convId,
      fromUserId: 1,
      body: "old",
      cid: "c1",
      ts: 7,
    });
    expect(again).toMatchObject({ duplicate: true, message: { seq: 1, body: "old" } });
    expect((await store.history(room.convId, { limit: 10 }, 1)).map((m) => m.body)).toEqual(["old", "new"]);
  });

  it("migrates once when several nodes start at the same moment", async () => {
    const { client, url } = await schemaClient();
    const stores = await Promise.all([1, 2, 3, 4].map(() => PgStore.open({ url, max: 2 })));
    cleanups.push(async () => void (await Promise.all(stores.map((s) => s.close()))));
    const versions = await client.query<{ version: number }>(
      "SELECT version FROM schema_version ORDER BY version",
    );
    expect(versions.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const user = await stores[2]!.createUser({
      username: "bo",
      displayName: "Bo",
      passwordHash: "h",
      createdAt: 1,
    });
    expect(await stores[0]!.getUserById(user.id)).toEqual(user);
  });

  it("refuses a database migrated by a newer hub, saying so", async () => {
    const { client, url, schema } = await schemaClient();
    await migrate(client, schema);
    await client.query("INSERT INTO schema_version (version, description) VALUES (999, 'from the future')");
    await expect(PgStore.open({ url })).rejects.toThrow(/schema version 999 is newer than this hub knows/);
  });

  it("rejects a schema name that is not a plain identifier before connecting", async () => {
    await expect(PgStore.open({ url: `${PG_URL}?schema=x;drop` })).rejects.toThrow(/invalid schema name/);
  });
});

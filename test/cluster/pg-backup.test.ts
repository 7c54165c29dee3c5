/**
 * The PostgreSQL backup docs/operations.md gives, checked: pg_dump of a hub's schema, pg_restore into a
 * new database, and a hub started on the restore has the accounts, rooms and messages.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { login, registerAndLogin } from "../helpers/client.js";
import { startHub, tempDir } from "../helpers/hub.js";
import { PG_URL, freshSchema, missingServices } from "./services.js";

const run = promisify(execFile);
const missing =
  (await missingServices("postgres")) ??
  (await run("pg_dump", ["--version"]).then(
    () => undefined,
    () => "needs pg_dump and pg_restore (Debian: postgresql-client)",
  ));

describe.skipIf(missing !== undefined)(
  `pg_dump / pg_restore${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    it("restores a dumped hub into a new database that a hub starts on", async () => {
      const schema = await freshSchema();
      const database = `parley_restore_${randomBytes(5).toString("hex")}`;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      const work = await tempDir("parley-pgdump-");
      try {
        const source = await startHub({ config: { store: schema.url } });
        const alice = await registerAndLogin(source.url, "alice");
        await alice.call("room.create", { name: "kept" });
        for (let i = 0; i < 5; i++)
          await alice.call("msg.send", { room: "kept", body: `m${i}`, cid: `c${i}` });
        await alice.close();
        await source.stop();

        // As in docs/operations.md: the hub's schema only, custom format.
        const dump = join(work, "parley.dump");
        await run("pg_dump", ["--format=custom", `--schema=${schema.schema}`, `--file=${dump}`, PG_URL]);
        await admin.query(`CREATE DATABASE ${database}`);
        const target = new URL(PG_URL);
        target.pathname = `/${database}`;
        await run("pg_restore", ["--no-owner", `--dbname=${target.toString()}`, dump]);

        target.searchParams.set("schema", schema.schema);
        const restored = await startHub({ config: { store: target.toString() } });
        try {
          const back = await login(restored.url, "alice");
          const { messages } = await back.call("room.history", { room: "kept" });
          expect(messages.map((m) => [m.seq, m.body])).toEqual([0, 1, 2, 3, 4].map((i) => [i + 1, `m${i}`]));
          // Seqs continue where they were: the next message is 6.
          expect((await back.call("msg.send", { room: "kept", body: "after", cid: "after" })).seq).toBe(6);
          await back.close();
        } finally {
          await restored.stop();
        }
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
        await admin.end();
        await schema.drop();
        await rm(work, { recursive: true, force: true });
      }
    }, 120_000);
  },
);

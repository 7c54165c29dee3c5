/**
 * `parley backup` of a hub under write load, and `parley restore`: the restored hub has every message
 * acknowledged before the backup started and the files shared before it, the same TLS identity, and
 * starts on the restored folder.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAndLogin, login, type TestClient } from "../helpers/client.js";
import { CLI, ROOT, startHub, tempDir } from "../helpers/hub.js";
import { http } from "../helpers/http.js";
import { FILES_PATH } from "../../src/protocol/limits.js";

const run = promisify(execFile);

function parley(args: string[]) {
  return run(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, timeout: 120_000 });
}

describe("backup and restore of a SQLite hub", () => {
  let work: string;
  beforeAll(async () => {
    work = await tempDir("parley-backup-test-");
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it("backs up a hub under write load; the restore has every message acknowledged before the backup began", async () => {
    const source = await startHub({ config: { rateLimits: false } });
    const writers: TestClient[] = [];
    const acked: Array<{ body: string; at: number }> = [];
    let stop = false;
    let backupStarted = Infinity;
    const archive = join(work, "hub.tar.gz");
    const fileBytes = randomBytes(10_000);
    let fileId = "";
    try {
      const owner = await registerAndLogin(source.url, "owner");
      await owner.call("room.create", { name: "load" });
      // A shared file: its bytes are in the data folder's files/, its record in the database.
      const slot = await owner.call("file.prepare", {
        room: "load",
        name: "kept.bin",
        size: fileBytes.length,
      });
      expect(
        (await http(slot.uploadUrl, { method: "PUT", token: owner.token, body: fileBytes })).status,
      ).toBe(201);
      await owner.call("msg.send", { room: "load", body: "", cid: "file", file: slot.fileId });
      fileId = slot.fileId;
      writers.push(owner);
      for (const name of ["writer1", "writer2"]) {
        const w = await registerAndLogin(source.url, name);
        await w.call("room.join", { room: "load" });
        writers.push(w);
      }
      const loops = writers.map(async (w, i) => {
        for (let n = 0; !stop; n++) {
          const body = `writer${i}-${n}`;
          await w.call("msg.send", { room: "load", body, cid: body });
          acked.push({ body, at: Date.now() });
        }
      });
      // Load first, then the backup, while the writers go on.
      while (acked.length < 200) await new Promise((r) => setTimeout(r, 20));
      backupStarted = Date.now();
      const { stdout } = await parley(["backup", archive, "--data-dir", source.dataDir]);
      expect(stdout).toMatch(
        /^backup written to .*hub\.tar\.gz \([\d.]+ MiB, schema v\d+ with files, tls\) in \d+ ms/,
      );
      const afterBackup = acked.length;
      while (acked.length < afterBackup + 50) await new Promise((r) => setTimeout(r, 20));
      stop = true;
      await Promise.all(loops);
    } finally {
      stop = true;
      await Promise.all(writers.map((w) => w.close()));
      await source.stop();
    }
    const before = acked.filter((a) => a.at < backupStarted).map((a) => a.body);
    expect(before.length).toBeGreaterThanOrEqual(200);

    const restoredDir = join(work, "restored");
    const { stdout } = await parley(["restore", archive, "--data-dir", restoredDir]);
    expect(stdout).toContain(`restored the backup of`);
    const restored = await startHub({ dataDir: restoredDir });
    try {
      // The same certificate: clients that pinned the old hub trust the restored one.
      expect(restored.fingerprint).toBe(source.fingerprint);
      const reader = await login(restored.url, "owner");
      const bodies = new Set<string>();
      for (let after = 0; ;) {
        const { messages } = await reader.call("room.history", { room: "load", after, limit: 200 });
        if (messages.length === 0) break;
        for (const m of messages) bodies.add(m.body);
        after = messages.at(-1)!.seq;
      }
      const missing = before.filter((b) => !bodies.has(b));
      expect(missing).toEqual([]);
      const file = await http(new URL(`${FILES_PATH}/${fileId}`, restored.url.replace(/^ws/, "http")).href, {
        token: reader.token,
      });
      expect(file.status).toBe(200);
      expect(file.body.equals(fileBytes)).toBe(true);
      await reader.close();
    } finally {
      await restored.stop();
    }
  }, 240_000);

  it("restores only into an empty folder, and refuses what is not a backup", async () => {
    const full = join(work, "full");
    await mkdir(full, { recursive: true });
    await writeFile(join(full, "x"), "x");
    const intoFull = await parley(["restore", join(work, "hub.tar.gz"), "--data-dir", full]).catch(
      (e: { stderr: string }) => e,
    );
    expect((intoFull as { stderr: string }).stderr).toContain("is not empty");
    const notBackup = join(work, "nope.tar.gz");
    await writeFile(notBackup, "not an archive");
    const bad = await parley(["restore", notBackup, "--data-dir", join(work, "empty")]).catch(
      (e: { stderr: string }) => e,
    );
    expect((bad as { stderr: string }).stderr).toMatch(/parley: cannot restore nope\.tar\.gz/);
  }, 120_000);

  it("names pg_dump for a PostgreSQL hub", async () => {
    const refused = await parley([
      "backup",
      join(work, "pg.tar.gz"),
      "--store",
      "postgres://localhost/x",
    ]).catch((e: { stderr: string }) => e);
    expect((refused as { stderr: string }).stderr).toContain("back it up with pg_dump");
  }, 60_000);
});

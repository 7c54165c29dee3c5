/**
 * Storage refusing writes (issue 9, item 6), for real: the hub's data folder is on a tiny tmpfs that a
 * filler file then fills, so SQLite's writes fail with SQLITE_FULL exactly as on a full disk. (Chosen
 * over SQLite's max_page_count pragma because it is the real condition — the WAL, the database and
 * the checkpoint all meet ENOSPC — and needs no hook into the hub.) Mounting needs root, which the
 * developers' machines and CI have; elsewhere the test says why it is skipped.
 *
 * Every send is answered either with its stored result or UNAVAILABLE with retryAfterMs — never
 * INTERNAL —, the refusals are logged once, not per message, nothing acknowledged is missing, and
 * once space is back the same cid stores the message once.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAndLogin } from "../helpers/client.js";
import { capturedLog, startHub, type TestHub } from "../helpers/hub.js";

async function tinyDisk(): Promise<{ mountPoint: string; mounted: boolean }> {
  const mountPoint = await mkdtemp(join(tmpdir(), "parley-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint], { stdio: "ignore" });
    return { mountPoint, mounted: true };
  } catch {
    return { mountPoint, mounted: false };
  }
}

// Appends on the hub's thread, and in the writer thread (the refusal crosses the thread as data and
// must come back typed).
for (const append of ["thread", "worker"] as const) {
  const { mountPoint, mounted } = await tinyDisk();
  const skipped = mounted ? "" : " (skipped: mounting a tmpfs needs root)";
  describe.skipIf(!mounted)(
    `a full disk, appends in the ${append === "worker" ? "writer thread" : "hub's thread"}${skipped}`,
    () => {
      let hub: TestHub;
      const captured = capturedLog("warn");
      beforeAll(async () => {
        // Limits off: the test sends until the disk refuses, which may take more than the message budget.
        hub = await startHub({
          dataDir: join(mountPoint, "data"),
          config: { rateLimits: false, sqliteAppend: append },
          options: { log: captured.log },
        });
      });
      afterAll(async () => {
        await hub?.stop();
        if (mounted) execFileSync("umount", ["-l", mountPoint]);
        await rm(mountPoint, { recursive: true, force: true });
      });

      /** Writes filler files until the file system is full. */
      async function fill(): Promise<string[]> {
        const files: string[] = [];
        const chunk = Buffer.alloc(64 * 1024, 1);
        for (let i = 0; ; i++) {
          const file = join(mountPoint, `filler-${i}`);
          try {
            await writeFile(file, chunk);
            files.push(file);
          } catch {
            files.push(file);
            return files;
          }
        }
      }

      it("answers UNAVAILABLE with retryAfterMs, logs it once, and stores the retry once space is back", async () => {
        const alice = await registerAndLogin(hub.url, "alice");
        await alice.call("room.create", { name: "full" });
        await alice.call("msg.send", { room: "full", body: "before", cid: "before" });
        const fillers = await fill();

        const acknowledged: string[] = [];
        const refused: string[] = [];
        const other: string[] = [];
        for (let i = 0; i < 400 && refused.length < 5; i++) {
          const cid = `c${i}`;
          // Bodies large enough that the WAL must grow within a few messages.
          const reply = await alice.request("msg.send", {
            room: "full",
            body: `${i} ${"x".repeat(3900)}`,
            cid,
          });
          if (reply.ok) acknowledged.push(cid);
          else if (reply.error.code === "UNAVAILABLE") {
            expect(reply.error.retryAfterMs).toBeGreaterThan(0);
            refused.push(cid);
          } else other.push(reply.error.code);
        }
        expect(other).toEqual([]);
        expect(refused.length).toBe(5);
        // Logged once for five refusals (then once a minute), not once per message; no stack, no INTERNAL.
        const logged = captured.text();
        const lines = logged.split("\n").filter((l) => l.includes("storage refusing writes"));
        expect(lines).toHaveLength(1);
        expect(logged).not.toContain("request failed");

        await Promise.all(fillers.map((f) => rm(f, { force: true })));
        const retried = await alice.call("msg.send", {
          room: "full",
          body: `${refused[0]!.slice(1)} ${"x".repeat(3900)}`,
          cid: refused[0]!,
        });
        expect(retried.seq).toBeGreaterThan(0);
        const { messages } = await alice.call("room.history", { room: "full", limit: 200 });
        const cids = messages.map((m) => m.cid);
        // Everything acknowledged is stored, the retry once, and nothing that was refused besides it.
        for (const cid of acknowledged) expect(cids).toContain(cid);
        expect(cids.filter((c) => c === refused[0])).toHaveLength(1);
        for (const cid of refused.slice(1)) expect(cids).not.toContain(cid);
        await alice.close();
      }, 60_000);
    },
  );
}

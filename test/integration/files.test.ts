/**
 * File sharing through a real SQLite hub: the shared scenarios (files.scenarios.ts), on a hub that
 * appends in its own thread and on one with a writer thread (--sqlite-append worker), then what needs
 * this hub's clock, its data folder or its process — slot expiry, unattached files, a SIGKILL in the
 * middle of an upload, and memory while 100 MB stream through.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../../src/hub/clock.js";
import { UNATTACHED_FILE_TTL_MS, UPLOAD_SLOT_MS } from "../../src/protocol/limits.js";
import { startHub, spawnHub, tempDir, type TestHub } from "../helpers/hub.js";
import { login } from "../helpers/client.js";
import { http } from "../helpers/http.js";
import { describeFileSharing, LIMITS, person, sha256, share, upload } from "./files.scenarios.js";

/** System time plus an offset the test moves forward. */
class ShiftedClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
}

const clock = new ShiftedClock();
let hub: TestHub & { hub: Awaited<ReturnType<typeof startHub>>["hub"] };

beforeAll(async () => {
  hub = await startHub({ config: { ...LIMITS }, options: { clock } });
});
afterAll(() => hub.stop());

function blobPath(dataDir: string, key: string): string {
  return join(dataDir, "files", "blobs", key.slice(0, 2), key);
}

describeFileSharing("SQLite hub", () => ({
  urls: [hub.url],
  blobExists: async (key) => existsSync(blobPath(hub.dataDir, key)),
}));

// File records write through the store's one write path, also when a writer thread owns the appends.
describe("with appends in a writer thread", () => {
  let worker: TestHub;
  beforeAll(async () => {
    worker = await startHub({ config: { ...LIMITS, sqliteAppend: "worker" } });
  });
  afterAll(() => worker.stop());
  describeFileSharing("SQLite hub, --sqlite-append worker", () => ({
    urls: [worker.url],
    blobExists: async (key) => existsSync(blobPath(worker.dataDir, key)),
  }));
});

describe("file sharing on one SQLite hub", () => {
  it("refuses a PUT after the slot expired", async () => {
    const alice = await person(hub.url, "alice");
    await alice.client.call("room.create", { name: `late-${alice.name}` });
    const slot = await alice.client.call("file.prepare", {
      room: `late-${alice.name}`,
      name: "late",
      size: 10,
    });
    clock.offset += UPLOAD_SLOT_MS + 1000;
    const late = await http(slot.uploadUrl, { method: "PUT", token: alice.token, body: randomBytes(10) });
    expect(late.status).toBe(409);
    expect(late.json().error?.code).toBe("UPLOAD_CLOSED");
  });

  it("deletes an uploaded file never attached after an hour", async () => {
    const alice = await person(hub.url, "alice");
    const room = `unused-${alice.name}`;
    await alice.client.call("room.create", { name: room });
    const bytes = randomBytes(5000);
    const { fileId, uploadUrl, put } = await upload(alice, { room }, "forgotten.bin", bytes);
    expect(put.status).toBe(201);
    const kept = await share(alice, { room }, "attached.bin", randomBytes(5000));
    clock.offset += UNATTACHED_FILE_TTL_MS + 1000;
    await hub.hub.domain.files.sweep();
    expect((await http(uploadUrl, { token: alice.token })).status).toBe(404);
    expect(existsSync(blobPath(hub.dataDir, sha256(bytes)))).toBe(false);
    expect(await alice.client.codeOf("msg.send", { room, body: "", cid: "too-late", file: fileId })).toBe(
      "NO_SUCH_FILE",
    );
    // The attached one stays.
    expect((await http(kept.url, { token: alice.token })).status).toBe(200);
  });

  it("a file sent twice with the same cid is one message; another file cannot reuse the cid", async () => {
    const alice = await person(hub.url, "alice");
    const room = `retry-${alice.name}`;
    await alice.client.call("room.create", { name: room });
    const one = await upload(alice, { room }, "one", randomBytes(100));
    const first = await alice.client.call("msg.send", { room, body: "x", cid: "same", file: one.fileId });
    const again = await alice.client.call("msg.send", { room, body: "x", cid: "same", file: one.fileId });
    expect(again).toEqual(first);
    const two = await upload(alice, { room }, "two", randomBytes(100));
    const reused = await alice.client.call("msg.send", { room, body: "x", cid: "same", file: two.fileId });
    expect(reused).toEqual(first);
    // The second file was not attached by that retry: it can still go in a message of its own.
    await alice.client.call("msg.send", { room, body: "", cid: "own", file: two.fileId });
    const { messages } = await alice.client.call("room.history", { room });
    expect(messages.map((m) => m.file?.name)).toEqual(["one", "two"]);
    // One file, one message.
    expect(await alice.client.codeOf("msg.send", { room, body: "", cid: "third", file: one.fileId })).toBe(
      "INVALID_PARAMS",
    );
  });

  it("file sharing off (--max-file-bytes 0) refuses prepare with a clear message", async () => {
    const off = await startHub({ config: { maxFileBytes: 0 } });
    try {
      const alice = await person(off.url, "alice");
      await alice.client.call("room.create", { name: "r" });
      const reply = await alice.client.request("file.prepare", { room: "r", name: "x", size: 1 });
      expect(!reply.ok && reply.error).toMatchObject({
        code: "FILE_TOO_LARGE",
        message: "file sharing is off on this hub",
      });
    } finally {
      await off.stop();
    }
  });
});

describe("file sharing through a hub process", () => {
  it("a SIGKILL during an upload leaves no file served and no quota charged", async () => {
    const dataDir = await tempDir();
    const size = 6 * 1024 * 1024;
    const args = ["--max-file-bytes", String(size), "--file-quota-bytes", String(size + size / 2)];
    let proc = await spawnHub({ dataDir, args });
    try {
      const alice = await person(proc.url, "alice");
      await alice.client.call("room.create", { name: "r" });
      const slot = await alice.client.call("file.prepare", { room: "r", name: "cut.bin", size });
      // Half the bytes, then nothing: the upload is in the middle when the hub dies.
      const body = new Readable({ read() {} });
      body.push(randomBytes(size / 2));
      const cut = http(slot.uploadUrl, {
        method: "PUT",
        token: alice.token,
        body,
        headers: { "content-length": size },
      });
      cut.catch(() => undefined);
      const staging = join(dataDir, "files", "staging");
      await until(async () => {
        for (const name of await readdir(staging))
          if ((await stat(join(staging, name))).size > 0) return true;
        return false;
      });
      await proc.kill("SIGKILL");
      await expect(cut).rejects.toThrow();

      proc = await spawnHub({ dataDir, args });
      const client = await login(proc.url, alice.name);
      const url = `${new URL(proc.url.replace(/^wss:/, "https:")).origin}/v1/files/${slot.fileId}`;
      expect((await http(url, { token: client.token })).status).toBe(404);
      expect(await readdir(join(dataDir, "files", "blobs"))).toEqual([]);
      // Nothing was charged: a whole file of the same size still fits in the quota (1.5 files a day).
      const retry = await client.call("file.prepare", { room: "r", name: "whole.bin", size });
      const put = await http(retry.uploadUrl, {
        method: "PUT",
        token: client.token,
        body: randomBytes(size),
      });
      expect(put.status).toBe(201);
      await client.close();
    } finally {
      await proc.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("streams: 100 MB up and down raise the hub's RSS by little", async () => {
    const dataDir = await tempDir();
    const size = 100 * 1024 * 1024;
    const args = ["--max-file-bytes", String(size), "--file-quota-bytes", String(4 * size)];
    const proc = await spawnHub({ dataDir, args });
    const pid = proc.proc.pid as number;
    const rss = async () =>
      Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;
    try {
      const alice = await person(proc.url, "alice");
      await alice.client.call("room.create", { name: "big" });
      // Warm up the upload path (code loaded, the heap at its working size) before the baseline: the
      // growth measured is then what 100 MB add, which streaming keeps to a few buffers' worth.
      await share(alice, { room: "big" }, "warm.bin", randomBytes(16 * 1024 * 1024));
      const baseline = await rss();
      let peak = baseline;
      const sampler = setInterval(
        () =>
          void rss().then(
            (v) => (peak = Math.max(peak, v)),
            () => undefined,
          ),
        50,
      );
      const block = randomBytes(1024 * 1024);
      const slot = await alice.client.call("file.prepare", { room: "big", name: "huge.bin", size });
      const put = await http(slot.uploadUrl, {
        method: "PUT",
        token: alice.token,
        headers: { "content-length": size },
        body: Readable.from(
          (function* () {
            for (let i = 0; i < 100; i++) yield block;
          })(),
        ),
      });
      expect(put.status).toBe(201);
      const uploadPeak = peak - baseline;
      await alice.client.call("msg.send", { room: "big", body: "", cid: "huge", file: slot.fileId });
      const got = await http(slot.uploadUrl, { token: alice.token });
      clearInterval(sampler);
      expect(got.body.length).toBe(size);
      console.log(
        `hub RSS growth: upload ${(uploadPeak / 2 ** 20).toFixed(1)} MiB, up and down ${((peak - baseline) / 2 ** 20).toFixed(1)} MiB`,
      );
      // "~20 MB" (the bound), with a little room for a loaded machine; buffering would be 100+.
      expect(uploadPeak).toBeLessThan(24 * 1024 * 1024);
      expect(peak - baseline).toBeLessThan(24 * 1024 * 1024);
    } finally {
      await proc.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

async function until(probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * File sharing through real hubs, as outside clients see it (WebSocket ops + HTTPS), written once and
 * run against a SQLite hub (files.test.ts) and a PostgreSQL cluster (test/cluster/files.test.ts).
 * With several URLs, uploaders and downloaders sit on different nodes.
 */
import { createHash, randomBytes } from "node:crypto";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { TestClient } from "../helpers/client.js";
import { http } from "../helpers/http.js";
import { opaqueBytes } from "../helpers/bytes.js";

export const PASSWORD = "correct horse battery staple";
/** The limits the hubs under test run with (flags or config). */
export const LIMITS = { maxFileBytes: 4 * 1024 * 1024, fileQuotaBytes: 6 * 1024 * 1024 };

export interface FileHubs {
  urls: string[];
  /** Whether the storage holds a blob with this key (SHA-256 hex). */
  blobExists(key: string): Promise<boolean>;
}

export interface Person {
  name: string;
  client: TestClient;
  token: string;
}

let counter = 0;

export async function person(url: string, prefix: string): Promise<Person> {
  const name = `${prefix}${++counter}${randomBytes(2).toString("hex")}`;
  const client = await TestClient.connect(url);
  await client.call("register", { username: name, password: PASSWORD });
  const { session } = await client.call("login", { username: name, password: PASSWORD });
  return { name, client, token: session.token };
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

type Target = { room: string } | { user: string };

/** prepare + PUT; returns the fileId and the PUT's answer. */
export async function upload(who: Person, to: Target, name: string, bytes: Buffer, type?: string) {
  const slot = await who.client.call("file.prepare", {
    ...to,
    name,
    size: bytes.length,
    ...(type && { type }),
  });
  const put = await http(slot.uploadUrl, { method: "PUT", token: who.token, body: bytes });
  return { ...slot, put };
}

/** prepare + PUT + msg.send; returns the fileId. */
export async function share(who: Person, to: Target, name: string, bytes: Buffer, type?: string) {
  const { fileId, uploadUrl, put } = await upload(who, to, name, bytes, type);
  expect(put.status, put.body.toString()).toBe(201);
  await who.client.call("msg.send", { ...to, body: `here is ${name}`, cid: `c-${fileId}`, file: fileId });
  return { fileId, url: uploadUrl };
}

export async function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } })
    .png()
    .toBuffer();
}

export function describeFileSharing(name: string, hubs: () => FileHubs): void {
  describe(`file sharing (${name})`, () => {
    const at = (i: number) => hubs().urls[i % hubs().urls.length] as string;

    async function roomWith(owner: Person, ...others: Person[]): Promise<string> {
      const room = `files-${randomBytes(4).toString("hex")}`;
      await owner.client.call("room.create", { name: room });
      for (const o of others) await o.client.call("room.join", { room });
      return room;
    }

    it("a room file round trip gives the same bytes, in the event and in history", async () => {
      const alice = await person(at(0), "alice");
      const bob = await person(at(1), "bob");
      const room = await roomWith(alice, bob);
      const bytes = opaqueBytes(1_500_000);
      const { fileId, url } = await share(alice, { room }, "data.bin", bytes);
      const event = await bob.client.nextEvent("message", (m) => m.file?.id === fileId, 10_000);
      expect(event.file).toEqual({
        id: fileId,
        name: "data.bin",
        size: bytes.length,
        type: "application/octet-stream",
      });
      const got = await http(url, { token: bob.token });
      expect(got.status).toBe(200);
      expect(sha256(got.body)).toBe(sha256(bytes));
      expect(got.headers["etag"]).toBe(`"${sha256(bytes)}"`);
      const { messages } = await bob.client.call("room.history", { room });
      expect(messages.at(-1)?.file?.id).toBe(fileId);
      // A file without words is a message too.
      const quiet = await upload(alice, { room }, "quiet.txt", Buffer.from("just a file\n"));
      await alice.client.call("msg.send", { room, body: "", cid: "quiet", file: quiet.fileId });
      const heard = await bob.client.nextEvent("message", (m) => m.file?.id === quiet.fileId, 10_000);
      expect(heard.body).toBe("");
      expect(heard.file?.type).toBe("text/plain");
    });

    it("a DM file reaches the other person and no one else", async () => {
      const alice = await person(at(0), "alice");
      const bob = await person(at(1), "bob");
      const carol = await person(at(0), "carol");
      const bytes = randomBytes(200_000);
      const { fileId, url } = await share(alice, { user: bob.name }, "for-bob.bin", bytes);
      await bob.client.nextEvent("message", (m) => m.file?.id === fileId, 10_000);
      expect(sha256((await http(url, { token: bob.token })).body)).toBe(sha256(bytes));
      const denied = await http(url, { token: carol.token });
      expect(denied.status).toBe(404);
      expect(denied.json().error?.code).toBe("NO_SUCH_FILE");
    });

    it("a non-member cannot prepare, upload or download", async () => {
      const alice = await person(at(0), "alice");
      const mallory = await person(at(1), "mallory");
      const room = await roomWith(alice);
      expect(await mallory.client.codeOf("file.prepare", { room, name: "x", size: 10 })).toBe("NOT_MEMBER");
      // Alice's open slot: Mallory's token cannot fill it.
      const slot = await alice.client.call("file.prepare", { room, name: "a.bin", size: 10 });
      const stolen = await http(slot.uploadUrl, {
        method: "PUT",
        token: mallory.token,
        body: randomBytes(10),
      });
      expect(stolen.status).toBe(404);
      const noToken = await http(slot.uploadUrl, { method: "PUT", body: randomBytes(10) });
      expect(noToken.status).toBe(401);
      expect(noToken.headers["www-authenticate"]).toMatch(/^Bearer/);
      const { url } = await share(alice, { room }, "secret.bin", randomBytes(1000));
      expect((await http(url, { token: mallory.token })).status).toBe(404);
      expect((await http(url)).status).toBe(401);
      expect((await http(url, { token: "not-a-token" })).status).toBe(401);
      const fileId = url.split("/").pop() as string;
      expect(await mallory.client.codeOf("file.url", { fileId })).toBe("NO_SUCH_FILE");
    });

    it("refuses oversize files, a wrong size, a second PUT, and uploads past the quota", async () => {
      const alice = await person(at(0), "alice");
      const room = await roomWith(alice);
      const big = await alice.client.request("file.prepare", {
        room,
        name: "big",
        size: LIMITS.maxFileBytes + 1,
      });
      expect(!big.ok && big.error.code).toBe("FILE_TOO_LARGE");
      expect(!big.ok && big.error.message).toMatch(/4\.0 MiB/);

      const short = await alice.client.call("file.prepare", { room, name: "short", size: 1000 });
      const sent = await http(short.uploadUrl, { method: "PUT", token: alice.token, body: randomBytes(999) });
      expect(sent.status).toBe(400);
      expect(sent.json().error?.code).toBe("SIZE_MISMATCH");
      // The slot is spent (a failed upload deletes it): a second PUT is refused, with the right size too.
      const again = await http(short.uploadUrl, {
        method: "PUT",
        token: alice.token,
        body: randomBytes(1000),
      });
      expect(again.status).toBe(404);
      expect(again.json().error?.code).toBe("NO_SUCH_FILE");

      // No Content-Length (chunked): the hub stops at the first byte past the size announced.
      const long = await alice.client.call("file.prepare", { room, name: "long", size: 1000 });
      const { Readable } = await import("node:stream");
      const chunked = await http(long.uploadUrl, {
        method: "PUT",
        token: alice.token,
        body: Readable.from([randomBytes(600), randomBytes(600)]),
      });
      expect(chunked.status).toBe(400);
      expect(chunked.json().error?.code).toBe("SIZE_MISMATCH");

      const done = await upload(alice, { room }, "ok", randomBytes(1000));
      expect(done.put.status).toBe(201);
      const second = await http(done.uploadUrl, {
        method: "PUT",
        token: alice.token,
        body: randomBytes(1000),
      });
      expect(second.status).toBe(409);

      // Quota: 6 MiB a day. 3.5 MiB fits, another 3.5 MiB does not, neither at prepare nor at the PUT.
      const bob = await person(at(1), "bob");
      const bobRoom = await roomWith(bob);
      const size = 3.5 * 1024 * 1024;
      const first = await upload(bob, { room: bobRoom }, "one", randomBytes(size));
      expect(first.put.status).toBe(201);
      const over = await bob.client.request("file.prepare", { room: bobRoom, name: "two", size });
      expect(!over.ok && over.error.code).toBe("QUOTA_EXCEEDED");
      // Two slots prepared while under quota: only as many as fit may finish.
      const carol = await person(at(0), "carol");
      const carolRoom = await roomWith(carol);
      const a = await carol.client.call("file.prepare", { room: carolRoom, name: "a", size });
      const b = await carol.client.call("file.prepare", { room: carolRoom, name: "b", size });
      const results = await Promise.all(
        [a, b].map((s) => http(s.uploadUrl, { method: "PUT", token: carol.token, body: randomBytes(size) })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 413]);
      expect(results.find((r) => r.status === 413)?.json().error?.code).toBe("QUOTA_EXCEEDED");
    });

    it("sniffs the type: an HTML file named .png is an attachment of type text/html", async () => {
      const alice = await person(at(0), "alice");
      const bob = await person(at(1), "bob");
      const room = await roomWith(alice, bob);
      const html = Buffer.from(
        "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
      );
      const { fileId, url } = await share(alice, { room }, "cute-cat.png", html, "image/png");
      const event = await bob.client.nextEvent("message", (m) => m.file?.id === fileId, 10_000);
      expect(event.file?.type).toBe("text/html");
      expect(event.file?.thumbnail).toBeUndefined();
      const got = await http(url, { token: bob.token });
      expect(got.status).toBe(200);
      expect(got.headers["content-type"]).toBe("text/html");
      expect(got.headers["content-disposition"]).toMatch(/^attachment; filename="cute-cat.png"/);
      expect(got.headers["x-content-type-options"]).toBe("nosniff");
      expect(got.headers["content-security-policy"]).toContain("sandbox");

      const image = await png(800, 600);
      const pic = await share(alice, { room }, "real.dat", image, "application/octet-stream");
      const shown = await bob.client.nextEvent("message", (m) => m.file?.id === pic.fileId, 10_000);
      expect(shown.file).toMatchObject({ type: "image/png", width: 800, height: 600 });
      expect(shown.file?.thumbnail).toEqual({ width: 320, height: 240, type: "image/webp" });
      const inline = await http(pic.url, { token: bob.token });
      expect(inline.headers["content-disposition"]).toMatch(/^inline/);
      expect(sha256(inline.body)).toBe(sha256(image));
      const thumb = await http(`${pic.url}/thumbnail`, { token: bob.token });
      expect(thumb.status).toBe(200);
      expect(thumb.headers["content-type"]).toBe("image/webp");
      const meta = await sharp(thumb.body).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["webp", 320, 240]);
    });

    it("serves byte ranges", async () => {
      const alice = await person(at(0), "alice");
      const room = await roomWith(alice);
      const bytes = randomBytes(700_000);
      const { url } = await share(alice, { room }, "ranged.bin", bytes);
      const mid = await http(url, { token: alice.token, headers: { range: "bytes=300000-300099" } });
      expect(mid.status).toBe(206);
      expect(mid.headers["content-range"]).toBe(`bytes 300000-300099/${bytes.length}`);
      expect(mid.body.equals(bytes.subarray(300000, 300100))).toBe(true);
      // Across the PostgreSQL store's chunk boundary (256 KiB), and a suffix range.
      const across = await http(url, { token: alice.token, headers: { range: "bytes=262100-262200" } });
      expect(across.body.equals(bytes.subarray(262100, 262201))).toBe(true);
      const tail = await http(url, { token: alice.token, headers: { range: "bytes=-10" } });
      expect(tail.body.equals(bytes.subarray(bytes.length - 10))).toBe(true);
      const beyond = await http(url, { token: alice.token, headers: { range: `bytes=${bytes.length}-` } });
      expect(beyond.status).toBe(416);
      expect(beyond.headers["content-range"]).toBe(`bytes */${bytes.length}`);
      const head = await http(url, { method: "HEAD", token: alice.token });
      expect([head.status, head.headers["content-length"], head.body.length]).toEqual([
        200,
        String(bytes.length),
        0,
      ]);
    });

    it("signed URLs work without a token, for the member who asked, while they may read the room", async () => {
      const alice = await person(at(0), "alice");
      const bob = await person(at(1), "bob");
      const room = await roomWith(alice, bob);
      const image = await png(64, 64);
      const { fileId } = await share(alice, { room }, "icon.png", image);
      const signed = await bob.client.call("file.url", { fileId });
      expect(signed.thumbnailUrl).toBeDefined();
      const got = await http(signed.url);
      expect(got.status).toBe(200);
      expect(sha256(got.body)).toBe(sha256(image));
      expect((await http(signed.thumbnailUrl as string)).status).toBe(200);
      const forged = signed.url.replace(/sig=([^&]{4})/, "sig=AAAA");
      expect((await http(forged)).status).toBe(401);
      await bob.client.call("room.leave", { room });
      expect((await http(signed.url)).status).toBe(404);
    });

    it("deleting the room deletes the files' bytes", async () => {
      const alice = await person(at(0), "alice");
      const room = await roomWith(alice);
      const bytes = randomBytes(400_000);
      const image = await png(400, 400);
      const { url } = await share(alice, { room }, "doomed.bin", bytes);
      const pic = await share(alice, { room }, "doomed.png", image);
      const thumbKey = (
        (await http(`${pic.url}/thumbnail`, { token: alice.token })).headers["etag"] ?? ""
      ).replace(/"/g, "");
      expect(await hubs().blobExists(sha256(bytes))).toBe(true);
      expect(await hubs().blobExists(thumbKey)).toBe(true);
      await alice.client.call("room.delete", { room });
      expect((await http(url, { token: alice.token })).status).toBe(404);
      expect(await hubs().blobExists(sha256(bytes))).toBe(false);
      expect(await hubs().blobExists(sha256(image))).toBe(false);
      expect(await hubs().blobExists(thumbKey)).toBe(false);
    });

    it("keeps shared bytes while another file still uses them", async () => {
      const alice = await person(at(0), "alice");
      const bob = await person(at(1), "bob");
      const roomA = await roomWith(alice);
      const roomB = await roomWith(bob);
      const bytes = randomBytes(100_000);
      await share(alice, { room: roomA }, "same.bin", bytes);
      const kept = await share(bob, { room: roomB }, "same-too.bin", bytes);
      await alice.client.call("room.delete", { room: roomA });
      expect(await hubs().blobExists(sha256(bytes))).toBe(true);
      expect(sha256((await http(kept.url, { token: bob.token })).body)).toBe(sha256(bytes));
    });
  });
}

/** The hub's HTTP side on the WebSocket port: the web client's files, their caching and security headers. */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, tempDir, type TestHub } from "../helpers/hub.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method, headers, rejectUnauthorized: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const PAGE =
  '<!doctype html><title>Parley</title><script type="module" src="/assets/index-AbC123.js"></script>';
const SCRIPT = `console.log(${JSON.stringify("x".repeat(2000))});`;

describe("hub HTTP", () => {
  let root: string;
  let hub: TestHub;
  let bare: TestHub;
  let off: TestHub;

  beforeAll(async () => {
    root = await tempDir("parley-web-");
    await mkdir(join(root, "assets"));
    await writeFile(join(root, "index.html"), PAGE);
    await writeFile(join(root, "assets", "index-AbC123.js"), SCRIPT);
    await writeFile(join(root, "manifest.webmanifest"), '{"name":"Parley"}');
    hub = await startHub({ options: { webRoot: root } });
    bare = await startHub({ options: { webRoot: join(root, "nothing-built-here") } });
    off = await startHub({ config: { web: false }, options: { webRoot: root } });
  });

  afterAll(async () => {
    await Promise.all([hub?.stop(), bare?.stop(), off?.stop()]);
    await rm(root, { recursive: true, force: true });
  });

  it("serves the page at / with a strict CSP and revalidation", async () => {
    const a = await get(hub.port, "/");
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe(PAGE);
    expect(a.headers["content-type"]).toMatch(/^text\/html/);
    expect(a.headers["cache-control"]).toBe("no-cache");
    const csp = String(a.headers["content-security-policy"]);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(a.headers["x-content-type-options"]).toBe("nosniff");
    expect(a.headers["referrer-policy"]).toBe("no-referrer");
  });

  it("serves hashed assets for a year, gzipped when asked, and answers 304 to a known etag", async () => {
    const plain = await get(hub.port, "/assets/index-AbC123.js");
    expect(plain.status).toBe(200);
    expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(plain.body.toString()).toBe(SCRIPT);
    const zipped = await get(hub.port, "/assets/index-AbC123.js", { "accept-encoding": "gzip, br" });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.body.length).toBeLessThan(SCRIPT.length);
    expect(gunzipSync(zipped.body).toString()).toBe(SCRIPT);
    const again = await get(hub.port, "/assets/index-AbC123.js", {
      "if-none-match": String(plain.headers.etag),
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const manifest = await get(hub.port, "/manifest.webmanifest");
    expect(manifest.headers["content-type"]).toBe("application/manifest+json");
  });

  it("refuses what it does not serve, with the security headers still on", async () => {
    expect((await get(hub.port, "/assets/missing.js")).status).toBe(404);
    // Files come from a map of what was built, never from a path joined to the disk.
    expect((await get(hub.port, "/assets/../../package.json")).status).not.toBe(200);
    const post = await get(hub.port, "/", {}, "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    const other = await get(hub.port, "/elsewhere");
    expect(other.status).toBe(426);
    expect(other.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("says how to build the client when it is missing, and serves nothing with --no-web", async () => {
    const missing = await get(bare.port, "/");
    expect(missing.status).toBe(503);
    expect(missing.body.toString()).toContain("npm run build");
    expect((await get(off.port, "/")).status).toBe(426);
  });
});

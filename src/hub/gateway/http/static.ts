/**
 * The browser client's files (the Vite build in dist/web), read into memory once at start: they are
 * small, and serving from memory keeps a request from buying disk work. Hashed files under /assets/
 * are cached for a year (their name changes with their content); the page, the service worker and
 * the manifest are revalidated every time, so a new hub version reaches browsers at the next load.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { HttpRouter } from "./router.js";
import { sendText } from "./router.js";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
};

const COMPRESSIBLE = new Set([".html", ".js", ".css", ".json", ".webmanifest", ".svg", ".txt", ".map"]);
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

interface Asset {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
  etag: string;
  cacheControl: string;
}

export interface WebAssets {
  root: string;
  files: ReadonlyMap<string, Asset>;
}

/** dist/web of this package, found from this file whether it runs from src/ (tests) or dist/. */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "web");
    const parent = dirname(dir);
    if (parent === dir) return join(process.cwd(), "dist", "web");
    dir = parent;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? listFiles(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]),
    ),
  );
  return nested.flat();
}

/** Reads the built client; undefined when it has not been built (no index.html). */
export async function loadWebAssets(root: string): Promise<WebAssets | undefined> {
  if (!existsSync(join(root, "index.html"))) return undefined;
  const files = new Map<string, Asset>();
  for (const file of await listFiles(root)) {
    const ext = extname(file);
    const type = TYPES[ext];
    if (type === undefined) continue;
    const body = await readFile(file);
    const path = `/${relative(root, file).split(sep).join("/")}`;
    files.set(path, {
      body,
      gzip: COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body, { level: 9 }) : undefined,
      type,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
      cacheControl: path.startsWith("/assets/") ? IMMUTABLE : REVALIDATE,
    });
  }
  return { root, files };
}

function serve(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const headers: Record<string, string> = {
    "content-type": asset.type,
    "cache-control": asset.cacheControl,
    etag: asset.etag,
    vary: "accept-encoding",
  };
  if (req.headers["if-none-match"] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = asset.gzip !== undefined && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
  const body = gzip ? asset.gzip! : asset.body;
  if (gzip) headers["content-encoding"] = "gzip";
  headers["content-length"] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

/** The page at `/`, its files, or — when the client was not built — a page that says how to build it. */
export function addWebRoutes(router: HttpRouter, assets: WebAssets | undefined): void {
  if (!assets) {
    router.get("/", (_req, res) =>
      sendText(res, 503, "The web client is not built. Run `npm run build`, then restart the hub.\n"),
    );
    return;
  }
  const handler = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const asset = assets.files.get(url.pathname === "/" ? "/index.html" : url.pathname);
    if (!asset) {
      sendText(res, 404, "not found\n");
      return;
    }
    serve(req, res, asset);
  };
  router.get("/", handler);
  for (const path of assets.files.keys()) {
    if (path === "/index.html" || path.startsWith("/assets/")) continue;
    router.get(path, handler);
  }
  router.get("/assets/*", handler);
}

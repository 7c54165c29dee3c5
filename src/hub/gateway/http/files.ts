/**
 * Files over HTTP(S), on the hub's own port beside the WebSocket:
 *
 *   PUT  /v1/files/<id>             the bytes of a prepared file (bearer token of its uploader)
 *   GET  /v1/files/<id>             the file (bearer token, or the signed query of `file.url`)
 *   GET  /v1/files/<id>/thumbnail   an image's thumbnail (the same)
 *   HEAD the same as GET, without the body
 *
 * Who may do what is the domain's (domain/files.ts); this module parses requests, streams bytes and
 * maps refusals to statuses. Downloads are served so a browser cannot be made to run them: an
 * attachment unless the type is on the inline list, `nosniff`, and a sandboxing CSP.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import contentDisposition from "content-disposition";
import parseRange from "range-parser";
import type { Logger } from "pino";
import type { ErrorCode } from "../../../protocol/errors.js";
import { FILES_PATH } from "../../../protocol/limits.js";
import type { Domain } from "../../domain/hub.js";
import type { HttpHandler, HttpRouter } from "./router.js";
import { DomainError } from "../../domain/errors.js";
import { failureReply } from "../errors.js";
import { INLINE_TYPES } from "../../media/sniff.js";
import type { UserId } from "../../store/store.js";

/** Transfers one user may have running at once on one node; more get 429. */
export const MAX_UPLOADS_PER_USER = 4;
export const MAX_DOWNLOADS_PER_USER = 16;

const STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  SESSION_EXPIRED: 401,
  NO_SUCH_FILE: 404,
  FILE_TOO_LARGE: 413,
  QUOTA_EXCEEDED: 413,
  STORAGE_FULL: 507,
  UPLOAD_CLOSED: 409,
  SIZE_MISMATCH: 400,
  INVALID_PARAMS: 400,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

const ROUTE = new RegExp(`^${FILES_PATH}/([A-Za-z0-9_-]{1,64})(/thumbnail)?$`);

class Counter {
  private readonly counts = new Map<UserId, number>();
  constructor(private readonly max: number) {}
  /** A release function, or undefined when the user is at the limit. */
  take(user: UserId): (() => void) | undefined {
    const n = this.counts.get(user) ?? 0;
    if (n >= this.max) return undefined;
    this.counts.set(user, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(user) ?? 1) - 1;
      if (left <= 0) this.counts.delete(user);
      else this.counts.set(user, left);
    };
  }
}

/** Adds GET, HEAD and PUT under /v1/files/ to the hub's router. */
export function addFileRoutes(router: HttpRouter, domain: Domain, log: Logger): void {
  router.add({
    methods: ["GET", "HEAD", "PUT"],
    path: `${FILES_PATH}/*`,
    handler: filesHandler(domain, log),
  });
}

/** The handler for /v1/files/…. */
export function filesHandler(domain: Domain, log: Logger): HttpHandler {
  const uploads = new Counter(MAX_UPLOADS_PER_USER);
  const downloads = new Counter(MAX_DOWNLOADS_PER_USER);

  const send = (res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(text),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
    });
    res.end(text);
  };

  const refuse = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    // A request whose body we will not read: close the connection after the answer instead of
    // reading (possibly megabytes of) bytes nobody wants.
    const headers: Record<string, string> = req.complete ? {} : { connection: "close" };
    // The same mapping as the WebSocket's: a refusal keeps its code, storage refusing to work is
    // UNAVAILABLE with a retry delay, anything else INTERNAL with a correlation id in the log.
    const { error: wire } = failureReply(null, error, log, { url: req.url, method: req.method });
    if (wire.code === "SESSION_EXPIRED" || wire.code === "UNAUTHENTICATED") {
      headers["www-authenticate"] = 'Bearer realm="parley"';
    }
    if (wire.retryAfterMs !== undefined) headers["retry-after"] = String(Math.ceil(wire.retryAfterMs / 1000));
    const body =
      wire.code === "INTERNAL"
        ? { code: wire.code, message: wire.message, correlationId: wire.correlationId }
        : { code: wire.code, message: wire.message };
    send(res, wire.code === "INTERNAL" ? 500 : (STATUS[wire.code] ?? 400), { error: body }, headers);
    if (!req.complete) res.once("finish", () => req.destroy());
  };

  const bearer = async (req: IncomingMessage): Promise<UserId> => {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(\S{1,256})$/i.exec(header);
    if (!match?.[1]) {
      throw new DomainError("UNAUTHENTICATED", "send the session token: Authorization: Bearer <token>");
    }
    return domain.accounts.sessionUser(match[1]);
  };

  const upload = async (req: IncomingMessage, res: ServerResponse, fileId: string) => {
    const user = await bearer(req);
    const release = uploads.take(user);
    if (!release)
      throw new DomainError("RATE_LIMITED", `at most ${MAX_UPLOADS_PER_USER} uploads at once`, {
        retryAfterMs: 1000,
      });
    try {
      const length = req.headers["content-length"];
      const declared = length === undefined ? undefined : Number(length);
      if (declared !== undefined && !Number.isSafeInteger(declared)) {
        throw new DomainError("INVALID_PARAMS", "Content-Length is not a number");
      }
      const file = await domain.files.upload(user, fileId, req, declared);
      send(res, 201, { file });
    } finally {
      release();
    }
  };

  const download = async (
    req: IncomingMessage,
    res: ServerResponse,
    fileId: string,
    thumbnail: boolean,
    url: URL,
  ) => {
    const user = url.searchParams.has("sig")
      ? await domain.files.verifySigned(fileId, url.searchParams)
      : await bearer(req);
    const release = downloads.take(user);
    if (!release) {
      throw new DomainError("RATE_LIMITED", `at most ${MAX_DOWNLOADS_PER_USER} downloads at once`, {
        retryAfterMs: 1000,
      });
    }
    try {
      const found = await domain.files.download(user, fileId, thumbnail);
      const etag = `"${thumbnail ? found.file.thumbnail?.blob : found.file.blob}"`;
      const inline = INLINE_TYPES.has(found.type);
      const headers: Record<string, string | number> = {
        "content-type": found.type,
        "content-disposition": contentDisposition(
          thumbnail ? `thumbnail-${found.file.name}.webp` : found.file.name,
          {
            type: inline ? "inline" : "attachment",
          },
        ),
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "cross-origin-resource-policy": "same-origin",
        "cache-control": "private, max-age=3600",
        "accept-ranges": "bytes",
        etag,
      };
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      let range: { start: number; end: number } | undefined;
      const asked = req.headers.range;
      if (asked !== undefined && found.size > 0) {
        const parsed = parseRange(found.size, asked, { combine: true });
        if (parsed === -1) {
          res.writeHead(416, { ...headers, "content-range": `bytes */${found.size}`, "content-length": 0 });
          res.end();
          return;
        }
        // One range is served; several (or a malformed header) get the whole file, which HTTP allows.
        if (parsed !== -2 && parsed.type === "bytes" && parsed.length === 1) range = parsed[0];
      }
      const length = range ? range.end - range.start + 1 : found.size;
      const status = range ? 206 : 200;
      if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${found.size}`;
      headers["content-length"] = length;
      if (req.method === "HEAD" || length === 0) {
        res.writeHead(status, headers);
        res.end();
        return;
      }
      const body = await found.open(range);
      if (!body) throw new DomainError("NO_SUCH_FILE", "the file's bytes are gone");
      res.writeHead(status, headers);
      // pipeline ends the source when the client goes away, so an abandoned download costs nothing more.
      await pipeline(body, res).catch(() => res.destroy());
    } finally {
      release();
    }
  };

  return async (req, res, url) => {
    const match = ROUTE.exec(url.pathname);
    const work = (async () => {
      if (!match?.[1]) throw new DomainError("NO_SUCH_FILE", "no such file path");
      const fileId = match[1];
      const thumbnail = match[2] !== undefined;
      if (req.method === "PUT" && !thumbnail) return upload(req, res, fileId);
      if (req.method === "GET" || req.method === "HEAD") return download(req, res, fileId, thumbnail, url);
      send(
        res,
        405,
        { error: { code: "INVALID_PARAMS", message: `${req.method} is not allowed here` } },
        {
          allow: thumbnail ? "GET, HEAD" : "GET, HEAD, PUT",
          ...(!req.complete && { connection: "close" }),
        },
      );
    })();
    await work.catch((error: unknown) => refuse(req, res, error));
  };
}

/**
 * Plain HTTP(S) requests to a test hub: files, health, metrics (its self-signed certificate is accepted,
 * as tests pin nothing here).
 */
import { request as httpsRequest } from "node:https";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json<T = { error?: { code: string; message: string } }>(): T;
}

export interface HttpOptions {
  method?: string;
  token?: string;
  headers?: Record<string, string | number>;
  body?: Buffer | Readable;
  /** Gives up when the socket is idle this long (default: never). */
  timeoutMs?: number;
}

/** One request; resolves with the whole answer (also for error statuses). */
export function http(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  const target = new URL(url);
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: opts.method ?? "GET",
        rejectUnauthorized: false,
        ...(opts.timeoutMs !== undefined && { timeout: opts.timeoutMs }),
        headers: {
          ...(opts.token !== undefined && { authorization: `Bearer ${opts.token}` }),
          ...(Buffer.isBuffer(opts.body) && { "content-length": opts.body.length }),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body.toString("utf8")) as T,
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${target.href}`)));
    req.on("error", reject);
    if (opts.body === undefined) req.end();
    else if (Buffer.isBuffer(opts.body)) req.end(opts.body);
    else opts.body.pipe(req);
  });
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** `base` may be the hub's ws(s):// URL: the scheme is mapped to http(s) and the path replaced. */
export async function httpGet(base: string, path: string, method = "GET"): Promise<HttpAnswer> {
  const url = new URL(path, base.replace(/^ws/, "http"));
  const answer = await http(url.href, { method, timeoutMs: 10_000 });
  return { status: answer.status, headers: answer.headers, body: answer.body.toString("utf8") };
}

/** Plain HTTPS requests to a test hub (its self-signed certificate is accepted, as tests pin nothing here). */
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
    req.on("error", reject);
    if (opts.body === undefined) req.end();
    else if (Buffer.isBuffer(opts.body)) req.end(opts.body);
    else opts.body.pipe(req);
  });
}

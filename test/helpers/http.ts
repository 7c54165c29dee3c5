/** Plain HTTP(S) requests to a hub's own endpoints (health, metrics), trusting its self-signed certificate. */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** `base` may be the hub's ws(s):// URL: the scheme is mapped to http(s) and the path replaced. */
export function httpGet(base: string, path: string, method = "GET"): Promise<HttpAnswer> {
  const url = new URL(path, base.replace(/^ws/, "http"));
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url.href}`)));
    req.on("error", reject);
    req.end();
  });
}

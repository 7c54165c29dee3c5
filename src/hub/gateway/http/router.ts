/**
 * The hub's plain-HTTP side, beside the WebSocket endpoint on the same port: a small router that
 * other parts plug routes into (the web client's assets now; health checks and file transfer later),
 * with the security headers every response carries. A route is an exact path or a prefix ending in
 * `/*`; the first match wins. Anything else gets the hub's short "connect with a WebSocket" answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE";

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface HttpRoute {
  methods: readonly HttpMethod[];
  /** "/x" matches exactly; "/x/*" matches everything under /x/. */
  path: string;
  handler: HttpHandler;
}

/**
 * Headers on every answer. The page loads only its own scripts, styles and images, talks only to its
 * own origin (the WebSocket included), and may not be framed; nothing inline may run.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

function matches(route: HttpRoute, path: string): boolean {
  if (route.path.endsWith("/*")) return path.startsWith(route.path.slice(0, -1));
  return path === route.path;
}

export class HttpRouter {
  private readonly routes: HttpRoute[] = [];

  constructor(private readonly log: Logger) {}

  /** Adds a route; later routes are tried after earlier ones. */
  add(route: HttpRoute): this {
    this.routes.push(route);
    return this;
  }

  get(path: string, handler: HttpHandler): this {
    return this.add({ methods: ["GET", "HEAD"], path, handler });
  }

  /** The `request` listener of the hub's HTTP(S) server. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://hub");
    } catch {
      sendText(res, 400, "bad request\n");
      return;
    }
    const candidates = this.routes.filter((r) => matches(r, url.pathname));
    const route = candidates.find((r) => r.methods.includes(req.method as HttpMethod));
    if (!route) {
      if (candidates.length > 0) {
        res.setHeader("allow", [...new Set(candidates.flatMap((r) => r.methods))].join(", "));
        sendText(res, 405, "method not allowed\n");
      } else {
        sendText(
          res,
          426,
          "This is a Parley hub: connect with a WebSocket client to /v1 (subprotocol parley.v1).\n",
        );
      }
      return;
    }
    Promise.resolve()
      .then(() => route.handler(req, res, url))
      .catch((error: unknown) => {
        this.log.error({ err: error, path: url.pathname }, "http handler failed");
        if (!res.headersSent) sendText(res, 500, "internal error\n");
        else res.destroy();
      });
  };
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

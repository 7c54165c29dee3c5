/** Hub URLs, parsed the same way by every transport (Node's pinned TLS and the browser's WebSocket). */
import { DEFAULT_PORT, WS_PATH } from "../../protocol/limits.js";

/** A hub URL parsed: wss/ws, host, port (default 7447) and the path (default /v1). */
export interface HubAddress {
  secure: boolean;
  host: string;
  port: number;
  /** "host:port" (IPv6 in brackets) — the key of the known-hubs file. */
  hostPort: string;
  /** The URL normalised, with the path. */
  url: string;
}

export function parseHubUrl(url: string): HubAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`not a hub URL: ${url} (expected wss://host:port)`);
  }
  if (parsed.protocol !== "wss:" && parsed.protocol !== "ws:") {
    throw new TypeError(`not a hub URL: ${url} (expected wss://host:port, or ws:// for an --insecure hub)`);
  }
  const secure = parsed.protocol === "wss:";
  const port = parsed.port === "" ? DEFAULT_PORT : Number(parsed.port);
  // URL keeps IPv6 hosts in brackets; net/tls want them bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const hostPort = `${parsed.hostname.toLowerCase()}:${port}`;
  const path = parsed.pathname === "/" || parsed.pathname === "" ? WS_PATH : parsed.pathname;
  return { secure, host, port, hostPort, url: `${parsed.protocol}//${parsed.hostname}:${port}${path}` };
}

/** Options of a ParleyClient, with their defaults in one place. */
import { PING_INTERVAL_MS } from "../../protocol/limits.js";
import type { FrameCheck } from "./frame-check.js";
import type { Transport } from "./transport.js";

export interface CoreClientOptions {
  /** Opens sockets: Node's pinned TLS (`ParleyClient` of src/client) or the browser's WebSocket. */
  transport: Transport;
  /** How replies and events are checked: `schemaCheck` (Node's default) or `shapeCheck` (browser). */
  check: FrameCheck;
  /** One hub URL (`wss://host:port` or `ws://…` for an --insecure hub), or several for a cluster: tried in order, the next when one is unreachable. A missing path means `/v1`. */
  urls: string | readonly string[];
  /** Sent in `hello` (`client`). */
  clientName?: string;
  /** Sent in `login` (`device`). */
  device?: string;
  /** Per-request reply timeout. Default 10 s. */
  requestTimeoutMs?: number;
  /** Reconnect backoff: delay before attempt n is random in [0, min(maxMs, baseMs·2ⁿ)] (full jitter). */
  backoff?: { baseMs?: number; maxMs?: number };
  /** The link is dead when nothing (frame, ping, pong) arrives for 2 × this. Default: the hub's ping interval. */
  keepAliveMs?: number;
  /** Messages kept in memory per conversation (older ones are dropped, `hasOlder` set). Default 2000. */
  maxMessagesPerConversation?: number;
  /** For tests: the random source of the backoff jitter and of cids. */
  random?: () => number;
  /** For tests: the clock. */
  now?: () => number;
}

export interface ResolvedOptions {
  urls: readonly string[];
  clientName: string;
  device: string | undefined;
  transport: Transport;
  check: FrameCheck;
  requestTimeoutMs: number;
  backoff: { baseMs: number; maxMs: number };
  keepAliveMs: number;
  maxMessagesPerConversation: number;
  random: () => number;
  now: () => number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 30_000 } as const;
export const DEFAULT_MAX_MESSAGES = 2000;

export function resolveOptions(options: CoreClientOptions): ResolvedOptions {
  const urls = typeof options.urls === "string" ? [options.urls] : [...options.urls];
  if (urls.length === 0) throw new TypeError("ParleyClient needs at least one hub URL");
  return {
    urls,
    clientName: options.clientName ?? "parley-sdk",
    device: options.device,
    transport: options.transport,
    check: options.check,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    backoff: {
      baseMs: options.backoff?.baseMs ?? DEFAULT_BACKOFF.baseMs,
      maxMs: options.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs,
    },
    keepAliveMs: options.keepAliveMs ?? PING_INTERVAL_MS,
    maxMessagesPerConversation: options.maxMessagesPerConversation ?? DEFAULT_MAX_MESSAGES,
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
  };
}

/**
 * The hub's settings: one schema for every source (flags, PARLEY_* environment, config file), with the
 * defaults. The CLI layers the sources; the composition root only reads a validated HubConfig.
 */
import { z } from "zod";
import {
  DEFAULT_MAX_REACTIONS_PER_USER,
  DEFAULT_FILE_QUOTA_BYTES,
  DEFAULT_FILE_STORAGE_BYTES,
  DEFAULT_HOST,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_PORT,
  MAX_BODY_CHARS,
  MAX_FRAME_BYTES,
} from "../protocol/limits.js";
import { E2E_MAX_DEVICES, E2E_MAX_DEVICES_CEILING } from "../protocol/e2e.js";

export const hubConfigSchema = z.object({
  host: z.string().min(1).default(DEFAULT_HOST).describe("address to listen on"),
  port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_PORT).describe("port; 0 picks a free one"),
  dataDir: z.string().min(1).default("./data").describe("data folder (SQLite database, TLS certificate)"),
  insecure: z.coerce.boolean().default(false).describe("plain ws:// without TLS (testing only)"),
  tlsCert: z.string().optional().describe("PEM certificate file (instead of the self-signed one)"),
  tlsKey: z.string().optional().describe("PEM private key file for --tls-cert"),
  store: z.string().optional().describe("sqlite (default), sqlite:PATH, or postgres://… (cluster)"),
  sqliteSynchronous: z
    .enum(["normal", "full"])
    .default("normal")
    .describe("normal survives a hub crash; full also a power loss (one fsync per group commit)"),
  sqliteAppend: z
    .enum(["thread", "worker"])
    .default("thread")
    .describe("where SQLite appends run: on the hub's thread, or a writer thread (docs/performance.md)"),
  bus: z.string().optional().describe("in-process (default) or redis://… (cluster)"),
  nodeId: z.string().optional().describe("this node's name in a cluster (default: random)"),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  logFile: z.string().optional().describe("write logs to this file instead of stderr"),
  logFormat: z
    .enum(["auto", "pretty", "json"])
    .default("auto")
    .describe("auto: readable lines when stderr is a terminal, JSON lines otherwise"),
  maxFrameBytes: z.coerce.number().int().min(1024).max(MAX_FRAME_BYTES).default(MAX_FRAME_BYTES),
  maxBodyChars: z.coerce.number().int().min(1).max(MAX_BODY_CHARS).default(MAX_BODY_CHARS),
  maxFileBytes: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_MAX_FILE_BYTES)
    .describe("largest file a user may upload; 0 turns file sharing off"),
  fileQuotaBytes: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_FILE_QUOTA_BYTES)
    .describe("bytes each user may upload per day (UTC)"),
  fileStorageBytes: z.coerce
    .number()
    .int()
    .min(0)
    .default(DEFAULT_FILE_STORAGE_BYTES)
    .describe("total bytes of files the hub keeps"),
  trustProxy: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe("addresses of reverse proxies whose X-Forwarded-For names the client (comma-separated)"),
  web: z.coerce.boolean().default(true).describe("serve the browser client at / (false: --no-web)"),
  metricsHost: z
    .string()
    .min(1)
    .default("127.0.0.1")
    .describe("address of the Prometheus endpoint (loopback by default)"),
  metricsPort: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe("port of the Prometheus endpoint GET /metrics; off when unset"),
  adminFirstUser: z.coerce
    .boolean()
    .default(false)
    .describe("the first account registered on an empty hub becomes a server admin"),
  maxConnections: z.coerce
    .number()
    .int()
    .min(1)
    .default(10_000)
    .describe("WebSocket connections at once; beyond it HTTP 503 + Retry-After"),
  maxConnectionsPerAddress: z.coerce
    .number()
    .int()
    .min(1)
    .default(16)
    .describe("connections at once from one address (loopback exempt unless limitLoopback)"),
  connectionRatePerAddress: z.coerce
    .number()
    .positive()
    .default(4)
    .describe("new connections per second from one address, in bursts of maxConnectionsPerAddress"),
  limitLoopback: z.coerce
    .boolean()
    .default(false)
    .describe("apply the per-address connection limits to loopback addresses too"),
  handshakeTimeoutMs: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe("deadline for the TLS handshake and for the HTTP upgrade request's headers"),
  shutdownTimeoutMs: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe("SIGTERM/SIGINT: the process exits by then, whatever is still open"),
  maxRoomsPerUser: z.coerce
    .number()
    .int()
    .min(1)
    .default(100)
    .describe("rooms one user may own (create); past it room.create answers FORBIDDEN"),
  e2eMaxDevices: z.coerce
    .number()
    .int()
    .min(2)
    .max(E2E_MAX_DEVICES_CEILING)
    .default(E2E_MAX_DEVICES)
    .describe("member devices one message of an end-to-end encrypted room may be sealed to"),
  editWindow: z
    .union([z.number(), z.string()])
    .default("24h")
    .transform((value, ctx) => {
      const ms = durationMs(value);
      if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: "a duration like 24h, 30m, 90s or 0 (no limit)" });
        return z.NEVER;
      }
      return ms;
    })
    .describe(
      "how long after sending its author may edit a message (24h, 30m, 90s; 0: no limit); in ms once parsed",
    ),
  maxReactions: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(DEFAULT_MAX_REACTIONS_PER_USER)
    .describe("different emoji one user may have on one message"),
  ircPort: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe("plain IRC port (docs/irc.md); off when unset; for loopback or behind a TLS proxy"),
  ircTlsPort: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe("IRC over TLS with the hub's certificate; off when unset"),
  ircGuests: z.coerce
    .boolean()
    .default(false)
    .describe(
      "IRC clients without SASL/PASS get a new account named by their NICK (conformance tests, open hubs)",
    ),
  ircHistoryReplay: z.coerce
    .number()
    .int()
    .min(0)
    .max(200)
    .default(50)
    .describe("messages of each channel replayed to an IRC client on connect and on JOIN (0: none)"),
  ircPrefixes: z
    .enum(["qo", "o"])
    .default("qo")
    .describe(
      "IRC channel prefixes: qo shows the room owner ~, admins @ and voiced members +; o shows owner and admins @",
    ),
  ircServerName: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,63}$/)
    .default("parley")
    .describe("the server name IRC clients see as the source of replies"),
  ircNetwork: z.string().min(1).max(64).default("Parley").describe("network name IRC clients are shown"),
  rateLimits: z.coerce
    .boolean()
    .default(true)
    .describe("false lifts login/message/request limits (benchmarks only)"),
});

export type HubConfig = z.infer<typeof hubConfigSchema>;
export type HubConfigInput = z.input<typeof hubConfigSchema>;

export function hubConfig(input: HubConfigInput = {}): HubConfig {
  return hubConfigSchema.parse(input);
}

/** "24h", "30m", "90s", "1500ms", "2d" or a bare number of seconds → milliseconds. */
export function durationMs(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$/.exec(value);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? "s"]!;
  return Math.round(Number(m[1]) * unit);
}

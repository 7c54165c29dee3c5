/** Composition root: config → TLS, store, bus, domain, gateway, listening server. */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import pino, { type Logger } from "pino";
import { HISTORY_PAGE, RATE_BURST, RATE_PER_SECOND, WS_PATH } from "../protocol/limits.js";
import type { Bus } from "./bus/bus.js";
import type { Limiter, LimiterRule } from "./bus/limiter.js";
import type { P2pRequests } from "./bus/p2p-requests.js";
import type { Presence } from "./bus/presence.js";
import { openBus, openLimiter, openP2pRequests, openPresence } from "./bus/open.js";
import { systemClock, type Clock } from "./clock.js";
import { hubConfig, type HubConfig, type HubConfigInput } from "./config.js";
import type { DomainLimiters } from "./domain/context.js";
import { Domain } from "./domain/hub.js";
import { Devices } from "./domain/devices.js";
import { P2p } from "./domain/p2p.js";
import { trustedProxies } from "./gateway/client-address.js";
import { createHttpRouter, type HttpRouter } from "./gateway/http/index.js";
import { installRelay, p2pHandlers } from "./gateway/p2p.js";
import { Gateway } from "./gateway/websocket.js";
import { openStore } from "./store/open.js";
import type { Store } from "./store/store.js";
import { identityFromFiles, selfSignedIdentity } from "./tls.js";

export const SERVER_NAME = "parley-hub/0.1.0";

export interface RunningHub {
  url: string;
  /** The browser client's address (absent with --no-web). */
  webUrl: string | undefined;
  host: string;
  port: number;
  /** Absent with --insecure. */
  fingerprint: string | undefined;
  certificateCreated: boolean;
  dataDir: string;
  config: HubConfig;
  domain: Domain;
  gateway: Gateway;
  /** Plain HTTP on the same port: add routes here. */
  http: HttpRouter;
  log: Logger;
  close(): Promise<void>;
}

/** Limiters' names in Redis keys (they keep apart limiters that count different things under one key). */
const LIMITER_NAMES: Record<keyof DomainLimiters, string> = {
  loginAccount: "login-account",
  loginAddress: "login-address",
  register: "register",
  messages: "messages",
};

const UNLIMITED: LimiterRule = { ratePerSecond: 1e9, burst: 1e9 };

/** The default limits (OWASP-style for logins); `rateLimits: false` lifts them for benchmarks. */
function limiterRules(on: boolean) {
  if (!on) {
    return {
      loginAccount: UNLIMITED,
      loginAddress: UNLIMITED,
      register: UNLIMITED,
      messages: UNLIMITED,
      requests: UNLIMITED,
    };
  }
  return {
    // 5 failures in a row, then one more try a minute.
    loginAccount: { ratePerSecond: 1 / 60, burst: 5 },
    // An address may fail 30 times, then once every 2 s.
    loginAddress: { ratePerSecond: 0.5, burst: 30 },
    register: { ratePerSecond: 1, burst: 30 },
    messages: { ratePerSecond: 10, burst: 50 },
    requests: { ratePerSecond: RATE_PER_SECOND, burst: RATE_BURST },
  };
}

/** Limiters the domain uses, by name (see limiterRules). */
export type HubLimiters = Record<keyof DomainLimiters, Limiter>;

export interface HubOptions {
  /**
   * Parts made by the caller instead of from `config.store` / `config.bus`; the caller closes them.
   * Several hubs in one process share one store, one bus network, one presence and one set of
   * limiters this way (test/cluster/in-process.test.ts). An injected bus counts as distributed: its
   * messages may arrive out of order or be lost, and the gateway orders and repairs them.
   */
  store?: Store;
  bus?: Bus;
  presence?: Presence;
  /** The direct-chat request table (bus/p2p-requests.ts), shared like the bus. */
  p2pRequests?: P2pRequests;
  limiters?: HubLimiters;
  clock?: Clock;
  maxBufferedBytes?: number;
  log?: Logger;
  pingIntervalMs?: number;
  helloTimeoutMs?: number;
  authTimeoutMs?: number;
  /** Where the built web client is (default: dist/web of this package). */
  webRoot?: string;
}

export function createLogger(config: HubConfig): Logger {
  const destination = config.logFile
    ? pino.destination({ dest: config.logFile, mkdir: true, sync: false })
    : pino.destination({ dest: 2, sync: false });
  return pino({ level: config.logLevel, base: { node: config.nodeId } }, destination);
}

export async function createHub(
  input: HubConfigInput | HubConfig,
  options: HubOptions = {},
): Promise<RunningHub> {
  const config = hubConfig(input);
  const clock = options.clock ?? systemClock;
  const nodeId = config.nodeId ?? randomBytes(4).toString("hex");
  const log = options.log ?? createLogger({ ...config, nodeId });
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });

  const tls = config.insecure
    ? undefined
    : config.tlsCert && config.tlsKey
      ? { ...(await identityFromFiles(config.tlsCert, config.tlsKey)), created: false }
      : await selfSignedIdentity(dataDir, config.host);

  // What the hub opened itself it closes on the way out; injected parts are the caller's.
  const owned: Array<{ close(): Promise<void> }> = [];
  const own = <T extends { close(): Promise<void> }>(part: T): T => (owned.push(part), part);
  const store =
    options.store ??
    own(await openStore(config.store, dataDir, { sqlite: { synchronous: config.sqliteSynchronous } }));
  // Redis trouble (reconnects, gaps, fallbacks) goes to the hub's log; nothing to log in-process.
  const busLog = { log };
  const bus = options.bus ?? own(await openBus(config.bus, nodeId, busLog));
  const presence = options.presence ?? own(await openPresence(config.bus, nodeId, busLog));
  const p2pRequests = options.p2pRequests ?? own(await openP2pRequests(config.bus, nodeId));
  const rules = limiterRules(config.rateLimits);
  const limiters: HubLimiters =
    options.limiters ??
    Object.fromEntries(
      await Promise.all(
        (["loginAccount", "loginAddress", "register", "messages"] as const).map(async (name) => [
          name,
          own(await openLimiter(config.bus, rules[name], clock, LIMITER_NAMES[name], busLog)),
        ]),
      ),
    );
  const domain = new Domain({
    store,
    bus,
    presence,
    clock,
    log,
    limiters,
    maxBodyChars: config.maxBodyChars,
  });
  const devices = new Devices(domain.deps, domain.accounts);
  const p2p = new P2p(domain.deps, domain.accounts, devices, p2pRequests);
  const gateway = new Gateway(domain, bus, clock, log, {
    serverName: SERVER_NAME,
    nodeId,
    maxFrameBytes: config.maxFrameBytes,
    maxBodyChars: config.maxBodyChars,
    historyPage: HISTORY_PAGE,
    requestRate: rules.requests,
    extraHandlers: p2pHandlers(p2p, devices),
    trustedProxies: trustedProxies(config.trustProxy),
    ...(options.pingIntervalMs !== undefined && { pingIntervalMs: options.pingIntervalMs }),
    ...(options.maxBufferedBytes !== undefined && { maxBufferedBytes: options.maxBufferedBytes }),
    ...(options.helloTimeoutMs !== undefined && { helloTimeoutMs: options.helloTimeoutMs }),
    ...(options.authTimeoutMs !== undefined && { authTimeoutMs: options.authTimeoutMs }),
  });

  const http = await createHttpRouter(
    { web: config.web, ...(options.webRoot !== undefined ? { webRoot: options.webRoot } : {}) },
    log,
  );
  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, http.handle)
    : createHttpServer(http.handle);
  server.on("clientError", (_error, socket) => socket.destroy());
  installRelay(gateway, p2p, clock);
  gateway.attach(server);
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(config.port, config.host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `${tls ? "wss" : "ws"}://${shownHost}:${port}${WS_PATH}`;
  const webUrl = config.web ? `${tls ? "https" : "http"}://${shownHost}:${port}/` : undefined;
  log.info(
    { url, dataDir, fingerprint: tls?.fingerprint, store: config.store ?? "sqlite", nodeId },
    "hub started",
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      log.info("hub shutting down");
      await gateway.close();
      server.closeAllConnections?.();
      await new Promise<void>((ok) => server.close(() => ok()));
      await Promise.all(owned.map((part) => part.close()));
      log.info("hub stopped");
      log.flush();
    })());

  return {
    url,
    webUrl,
    host: config.host,
    port,
    fingerprint: tls?.fingerprint,
    certificateCreated: tls?.created ?? false,
    dataDir,
    config,
    domain,
    gateway,
    http,
    log,
    close,
  };
}

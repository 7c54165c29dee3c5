/** Composition root: config → TLS, store, bus, domain, gateway, listening server. */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import pino, { type Logger } from "pino";
import { HISTORY_PAGE, RATE_BURST, RATE_PER_SECOND, WS_PATH } from "../protocol/limits.js";
import type { LimiterRule } from "./bus/limiter.js";
import { openBus, openLimiter, openPresence } from "./bus/open.js";
import { systemClock, type Clock } from "./clock.js";
import { hubConfig, type HubConfig, type HubConfigInput } from "./config.js";
import { Domain } from "./domain/hub.js";
import { P2p } from "./domain/p2p.js";
import { trustedProxies } from "./gateway/client-address.js";
import { createHttpRouter, type HttpRouter } from "./gateway/http/index.js";
import { installRelay, p2pHandlers } from "./gateway/p2p.js";
import { Gateway } from "./gateway/websocket.js";
import { openStore } from "./store/open.js";
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

export interface HubOptions {
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

  const store = await openStore(config.store, dataDir, { sqlite: { synchronous: config.sqliteSynchronous } });
  // Redis trouble (reconnects, gaps, fallbacks) goes to the hub's log; nothing to log in-process.
  const busLog = { log };
  const bus = await openBus(config.bus, nodeId, busLog);
  const presence = await openPresence(config.bus, nodeId, busLog);
  const rules = limiterRules(config.rateLimits);
  const [loginAccount, loginAddress, register, messages] = await Promise.all([
    openLimiter(config.bus, rules.loginAccount, clock, "login-account", busLog),
    openLimiter(config.bus, rules.loginAddress, clock, "login-address", busLog),
    openLimiter(config.bus, rules.register, clock, "register", busLog),
    openLimiter(config.bus, rules.messages, clock, "messages", busLog),
  ]);
  const domain = new Domain({
    store,
    bus,
    presence,
    clock,
    log,
    limiters: { loginAccount, loginAddress, register, messages },
    maxBodyChars: config.maxBodyChars,
  });
  const p2p = new P2p(domain.deps, domain.accounts);
  const gateway = new Gateway(domain, bus, clock, log, {
    serverName: SERVER_NAME,
    nodeId,
    maxFrameBytes: config.maxFrameBytes,
    maxBodyChars: config.maxBodyChars,
    historyPage: HISTORY_PAGE,
    requestRate: rules.requests,
    orderMessages: config.bus !== undefined && config.bus !== "" && config.bus !== "local",
    extraHandlers: p2pHandlers(p2p),
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
      await Promise.all([
        store.close(),
        bus.close(),
        presence.close(),
        ...[loginAccount, loginAddress, register, messages].map((limiter) => limiter.close()),
      ]);
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

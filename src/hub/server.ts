/** Composition root: config → TLS, store, bus, domain, gateway, listening server. */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import pino, { type Logger } from "pino";
import { HISTORY_PAGE, WS_PATH } from "../protocol/limits.js";
import type { Bus } from "./bus/bus.js";
import type { Limiter } from "./bus/limiter.js";
import type { Presence } from "./bus/presence.js";
import { openBus, openLimiter, openPresence } from "./bus/open.js";
import { systemClock, type Clock } from "./clock.js";
import { hubConfig, type HubConfig, type HubConfigInput } from "./config.js";
import type { DomainLimiters } from "./domain/context.js";
import { Domain } from "./domain/hub.js";
import { P2p } from "./domain/p2p.js";
import { LIMITER_KEYS, limiterRules, type LimiterName } from "./limits.js";
import { Admission } from "./gateway/admission.js";
import { trustedProxies } from "./gateway/client-address.js";
import { createHttpRouter, type HttpRouter } from "./gateway/http/index.js";
import { installRelay, p2pHandlers } from "./gateway/p2p.js";
import { Gateway } from "./gateway/websocket.js";
import { openStore } from "./store/open.js";
import type { Store } from "./store/store.js";
import { logDestination } from "./log-destination.js";
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
  admission: Admission;
  log: Logger;
  close(): Promise<void>;
}

/** Limiters the domain uses, by name (rules in limits.ts). */
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
  return pino({ level: config.logLevel, base: { node: config.nodeId } }, logDestination(config.logFile ?? 2));
}

/** Waits for `work`, but no longer than `ms`; failures are logged, never thrown (shutdown must go on). */
async function within(work: Promise<unknown>, ms: number, log: Logger, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), Math.max(0, ms))));
  const outcome = await Promise.race([
    work.then(
      () => "done" as const,
      (error: unknown) => {
        log.warn({ err: error }, `${what} failed during shutdown`);
        return "failed" as const;
      },
    ),
    late,
  ]);
  clearTimeout(timer);
  if (outcome === "late") log.warn({ ms }, `${what}: shutdown stopped waiting`);
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
  const rules = limiterRules(config.rateLimits);
  const limiters: HubLimiters =
    options.limiters ??
    (Object.fromEntries(
      await Promise.all(
        Object.entries(LIMITER_KEYS).map(async ([name, key]) => [
          name,
          own(await openLimiter(config.bus, rules[name as LimiterName], clock, key, busLog)),
        ]),
      ),
    ) as HubLimiters);
  const domain = new Domain({
    store,
    bus,
    presence,
    clock,
    log,
    limiters,
    maxBodyChars: config.maxBodyChars,
    maxRoomsPerUser: config.maxRoomsPerUser,
  });
  const p2p = new P2p(domain.deps, domain.accounts);
  const gateway = new Gateway(domain, bus, clock, log, {
    serverName: SERVER_NAME,
    nodeId,
    maxFrameBytes: config.maxFrameBytes,
    maxBodyChars: config.maxBodyChars,
    historyPage: HISTORY_PAGE,
    requestRate: rules.requests,
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
  const admission = new Admission(
    {
      maxConnections: config.maxConnections,
      maxPerAddress: config.maxConnectionsPerAddress,
      connectRatePerAddress: config.connectionRatePerAddress,
      limitLoopback: config.limitLoopback,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      trustedProxies: trustedProxies(config.trustProxy),
    },
    log,
    clock,
  );
  const server: Server = tls
    ? createHttpsServer(
        { cert: tls.cert, key: tls.key, minVersion: "TLSv1.2", ...admission.serverOptions() },
        http.handle,
      )
    : createHttpServer(admission.serverOptions(), http.handle);
  server.on("clientError", (_error, socket) => socket.destroy());
  admission.attach(server);
  installRelay(gateway, p2p, clock);
  gateway.attach(server, (req, socket) => admission.admitUpgrade(req, socket));
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

  /**
   * Stop accepting, drain, force-close, flush: each step bounded, so the whole fits in the shutdown
   * deadline however clients behave (one reconnecting during the drain is refused, not kept).
   */
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const started = performance.now();
      const left = () => config.shutdownTimeoutMs - (performance.now() - started);
      log.info("hub shutting down");
      admission.close();
      const listenerClosed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeIdleConnections();
      await within(gateway.close(), Math.min(3000, left() / 2), log, "closing connections");
      admission.destroyAll();
      server.closeAllConnections();
      await within(listenerClosed, Math.min(1000, left() / 4), log, "closing the listener");
      await within(Promise.all(owned.map((part) => part.close())), left() - 500, log, "closing the store");
      log.info("hub stopped");
      await within(new Promise<void>((ok) => log.flush(() => ok())), Math.min(500, left()), log, "log");
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
    admission,
    log,
    close,
  };
}

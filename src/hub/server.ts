/** Composition root: config → TLS, store, bus, domain, gateway, listening server. */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import pino, { type Logger } from "pino";
import { isColorSupported, prettyFactory } from "pino-pretty";
import { HISTORY_PAGE, WS_PATH } from "../protocol/limits.js";
import type { Bus } from "./bus/bus.js";
import type { Limiter } from "./bus/limiter.js";
import type { P2pRequests } from "./bus/p2p-requests.js";
import type { Presence } from "./bus/presence.js";
import { openBus, openLimiter, openP2pRequests, openPresence } from "./bus/open.js";
import { systemClock, type Clock } from "./clock.js";
import { hubConfig, type HubConfig, type HubConfigInput } from "./config.js";
import type { DomainLimiters } from "./domain/context.js";
import { Domain } from "./domain/hub.js";
import { Devices } from "./domain/devices.js";
import { P2p } from "./domain/p2p.js";
import { adminHandlers } from "./gateway/admin.js";
import { Admission } from "./gateway/admission.js";
import { trustedProxies } from "./gateway/client-address.js";
import { ClusterConnections } from "./gateway/connection-directory.js";
import { Health } from "./gateway/http/health.js";
import { createHttpRouter, type HttpRouter } from "./gateway/http/index.js";
import { fileHandlers } from "./gateway/files.js";
import { addFileRoutes } from "./gateway/http/files.js";
import { installRelay, p2pHandlers } from "./gateway/p2p.js";
import { Gateway } from "./gateway/websocket.js";
import { IrcGateway } from "./gateway/irc/gateway.js";
import { LIMITER_KEYS, limiterRules, type LimiterName } from "./limits.js";
import { logDestination } from "./log-destination.js";
import { countRefusals, instrumentStore } from "./metrics/instrument.js";
import { NO_METRICS, type Metrics } from "./metrics/metrics.js";
import { PrometheusMetrics } from "./metrics/prometheus.js";
import { serveMetrics } from "./metrics/server.js";
import { removePidFile, writePidFile } from "./pidfile.js";
import type { FileStore } from "./store/blobs/file-store.js";
import { openFileStore, openStore } from "./store/open.js";
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
  health: Health;
  /** Where Prometheus scrapes this hub (absent without --metrics-port). */
  metricsUrl: string | undefined;
  admission: Admission;
  /** The IRC gateway and its ports, when --irc-port or --irc-tls-port is given. */
  irc: { gateway: IrcGateway; port: number | undefined; tlsPort: number | undefined } | undefined;
  log: Logger;
  close(): Promise<void>;
}

/** Files housekeeping every 10 minutes; blobs no record uses are looked for once a day. */
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
const FULL_SWEEP_EVERY = 144;

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
  /** The bytes of shared files (default: from `config.store`, see openFileStore). */
  fileStore?: FileStore;
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

/**
 * How each limiter refuses a request, for the metrics (countRefusals): on an empty `take`, or — the
 * wrong-password buckets (domain/password-guard.ts) — only when the guard says so.
 */
const REFUSES_ON: Record<keyof DomainLimiters, "take" | "guard"> = {
  loginAccount: "guard",
  loginAddress: "guard",
  loginClean: "guard",
  loginKnown: "guard",
  roomPasswordUser: "guard",
  roomPasswordRoom: "guard",
  roomPasswordClean: "guard",
  roomCreate: "take",
  register: "take",
  messages: "take",
  tagmsgs: "take",
};

/** Limiters that tell the metrics each request they refuse, under their names in limits.ts. */
function countedLimiters(limiters: HubLimiters, metrics: Metrics): HubLimiters {
  const counted = Object.entries(limiters).map(([name, limiter]) => {
    const key = name as keyof DomainLimiters;
    return [key, countRefusals(limiter, LIMITER_KEYS[key], REFUSES_ON[key], metrics)];
  });
  return Object.fromEntries(counted) as HubLimiters;
}

export function createLogger(config: HubConfig): Logger {
  const destination = logDestination(config.logFile ?? 2);
  const options = { level: config.logLevel, base: { node: config.nodeId } };
  if (!readableLogs(config)) return pino(options, destination);
  // Formatted synchronously in-process (no worker thread, no stream in between), into the same
  // destination the JSON would go to — so flushing that destination at shutdown loses no line.
  const format = prettyFactory({
    colorize: !config.logFile && isColorSupported,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,node",
  });
  const stream: pino.DestinationStream & { flush(cb?: (err?: Error) => void): void } = {
    write: (line) => void destination.write(format(line)),
    // Shutdown waits for this callback (bounded): pass it on, or the wait always runs out.
    flush: (cb) => destination.flush(cb),
  };
  return pino(options, stream);
}

/** Readable lines for a person at a terminal; JSON for files, pipes and log collectors. */
export function readableLogs(config: Pick<HubConfig, "logFormat" | "logFile">): boolean {
  if (config.logFormat !== "auto") return config.logFormat === "pretty";
  return !config.logFile && process.stderr.isTTY === true;
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
  // Only with --metrics-port: otherwise nothing is measured and the hooks are no-ops.
  // The gauges read the gateway when scraped; it exists by then (scrapes start after listen).
  const live: { gateway?: Gateway } = {};
  const prometheus =
    config.metricsPort === undefined
      ? undefined
      : new PrometheusMetrics(
          {
            connections: () => {
              const states = live.gateway?.stats().states ?? { new: 0, ready: 0, authed: 0 };
              return Object.entries(states).map(([state, count]) => ({
                transport: "websocket",
                state,
                count,
              }));
            },
            authenticatedUsers: () => live.gateway?.stats().users ?? 0,
          },
          { node: nodeId },
        );
  const metrics: Metrics = prometheus ?? NO_METRICS;
  const openedStore =
    options.store ??
    own(
      await openStore(config.store, dataDir, {
        sqlite: { synchronous: config.sqliteSynchronous, appendIn: config.sqliteAppend },
      }),
    );
  const store = prometheus ? instrumentStore(openedStore, metrics) : openedStore;
  const fileStore = options.fileStore ?? own(await openFileStore(config.store, dataDir));
  // Redis trouble (reconnects, gaps, fallbacks) goes to the hub's log; nothing to log in-process.
  const busLog = { log, ...(prometheus && { onLag: (seconds: number) => metrics.busLag(seconds) }) };
  const bus = options.bus ?? own(await openBus(config.bus, nodeId, busLog));
  if (prometheus) bus.onGap(() => metrics.busGap());
  const presence = options.presence ?? own(await openPresence(config.bus, nodeId, busLog));
  const p2pRequests = options.p2pRequests ?? own(await openP2pRequests(config.bus, nodeId));
  const clustered =
    options.bus !== undefined || (config.bus !== undefined && config.bus !== "" && config.bus !== "local");
  const rules = limiterRules(config.rateLimits);
  const openedLimiters: HubLimiters =
    options.limiters ??
    (Object.fromEntries(
      await Promise.all(
        Object.entries(LIMITER_KEYS).map(async ([name, key]) => [
          name,
          own(await openLimiter(config.bus, rules[name as LimiterName], clock, key, busLog)),
        ]),
      ),
    ) as HubLimiters);
  const limiters = prometheus ? countedLimiters(openedLimiters, metrics) : openedLimiters;
  const domain = new Domain({
    store,
    bus,
    presence,
    clock,
    log,
    limiters,
    maxBodyChars: config.maxBodyChars,
    files: {
      store: fileStore,
      maxFileBytes: config.maxFileBytes,
      quotaBytes: config.fileQuotaBytes,
      storageBytes: config.fileStorageBytes,
    },
    firstUserAdmin: config.adminFirstUser,
    maxRoomsPerUser: config.maxRoomsPerUser,
    e2eMaxDevices: config.e2eMaxDevices,
    editWindowMs: config.editWindow,
    maxReactions: config.maxReactions,
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
    extraHandlers: {
      ...p2pHandlers(p2p, devices),
      ...adminHandlers,
      ...fileHandlers(domain.files, tls !== undefined, () => `${config.host}:${port}`),
    },
    trustedProxies: trustedProxies(config.trustProxy),
    metrics,
    ...(options.pingIntervalMs !== undefined && { pingIntervalMs: options.pingIntervalMs }),
    ...(options.maxBufferedBytes !== undefined && { maxBufferedBytes: options.maxBufferedBytes }),
    ...(options.helloTimeoutMs !== undefined && { helloTimeoutMs: options.helloTimeoutMs }),
    ...(options.authTimeoutMs !== undefined && { authTimeoutMs: options.authTimeoutMs }),
  });

  live.gateway = gateway;
  // In a cluster the other nodes answer over Redis: a second is plenty, and admin listings are rare.
  const directory = new ClusterConnections(gateway, bus, nodeId, clustered ? 1_000 : 0);
  domain.admin.directory = directory;
  const http = await createHttpRouter(
    { web: config.web, ...(options.webRoot !== undefined ? { webRoot: options.webRoot } : {}) },
    log,
  );
  addFileRoutes(http, domain, log);
  const health = new Health({
    checks: {
      store: () => store.checkWritable().then(() => undefined),
      bus: async () => bus.unreachable(),
    },
  });
  health.install(http);
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
  let irc: RunningHub["irc"];
  if (config.ircPort !== undefined || config.ircTlsPort !== undefined) {
    // Beside the WebSocket gateway: the same domain, the same Delivery, the same admission.
    const ircGateway = new IrcGateway(domain, gateway.delivery, clock, log, admission, {
      serverName: config.ircServerName,
      networkName: config.ircNetwork,
      version: SERVER_NAME,
      nodeId,
      requestRate: rules.requests,
      guests: config.ircGuests,
      historyReplay: config.ircHistoryReplay,
      prefixes: config.ircPrefixes,
      monitorMax: 100,
      ...(options.maxBufferedBytes !== undefined && { maxBufferedBytes: options.maxBufferedBytes }),
      ...(options.authTimeoutMs !== undefined && { registrationTimeoutMs: options.authTimeoutMs }),
    });
    irc = { gateway: ircGateway, port: undefined, tlsPort: undefined };
    if (config.ircPort !== undefined) irc.port = await ircGateway.listen(config.host, config.ircPort);
    if (config.ircTlsPort !== undefined) {
      if (!tls) throw new Error("--irc-tls-port needs the hub's TLS certificate (not --insecure)");
      irc.tlsPort = await ircGateway.listen(config.host, config.ircTlsPort, tls);
    }
  }
  const shownHost = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `${tls ? "wss" : "ws"}://${shownHost}:${port}${WS_PATH}`;
  const webUrl = config.web ? `${tls ? "https" : "http"}://${shownHost}:${port}/` : undefined;
  const metricsServer = prometheus
    ? await serveMetrics(prometheus.registry, config.metricsHost, config.metricsPort!).catch(
        async (err: unknown) => {
          await gateway.close();
          server.close();
          await Promise.all(owned.map((part) => part.close()));
          throw new Error(
            `cannot serve metrics on ${config.metricsHost}:${config.metricsPort}: ${(err as Error).message}`,
          );
        },
      )
    : undefined;
  // Files housekeeping: expired slots and unattached files often; blobs no record uses at start and daily.
  const sweep = (orphans: boolean) =>
    domain.files.sweep(orphans).catch((error: unknown) => log.warn({ err: error }, "file sweep failed"));
  void sweep(true);
  let sweeps = 0;
  const sweeper = setInterval(() => void sweep(++sweeps % FULL_SWEEP_EVERY === 0), SWEEP_INTERVAL_MS);
  sweeper.unref();
  writePidFile(dataDir, url);
  log.info(
    {
      url,
      dataDir,
      fingerprint: tls?.fingerprint,
      store: config.store ?? "sqlite",
      files: fileStore.location,
      nodeId,
    },
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
      clearInterval(sweeper);
      health.close();
      directory.close();
      admission.close();
      const listenerClosed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeIdleConnections();
      await within(
        Promise.all([gateway.close(), irc?.gateway.close()]),
        Math.min(3000, left() / 2),
        log,
        "closing connections",
      );
      admission.destroyAll();
      server.closeAllConnections();
      await within(listenerClosed, Math.min(1000, left() / 4), log, "closing the listener");
      await within(Promise.all(owned.map((part) => part.close())), left() - 500, log, "closing the store");
      if (metricsServer) {
        await within(metricsServer.close(), Math.min(500, left()), log, "closing the metrics endpoint");
      }
      removePidFile(dataDir);
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
    health,
    metricsUrl: metricsServer?.url,
    admission,
    irc,
    log,
    close,
  };
}

/**
 * `parley admin` without a running hub: the domain composed straight on the data folder's store (or a
 * cluster's PostgreSQL), acting as the operator. With `--bus redis://…` the cluster's nodes hear what
 * it does (sessions ended by a suspension close at once); with the in-process bus there is nobody to tell.
 */
import { resolve } from "node:path";
import pino, { type Logger } from "pino";
import { openBus } from "./bus/open.js";
import { LocalLimiter } from "./bus/limiter.js";
import { LocalPresence } from "./bus/presence.js";
import { systemClock } from "./clock.js";
import type { HubConfig } from "./config.js";
import { Domain } from "./domain/hub.js";
import { LIMITER_KEYS } from "./limits.js";
import { runningHub, type RunningHubInfo } from "./pidfile.js";
import { openStore } from "./store/open.js";

export class HubRunningError extends Error {
  constructor(
    readonly hub: RunningHubInfo,
    dataDir: string,
  ) {
    super(
      `a hub is running on ${dataDir} (pid ${hub.pid}, ${hub.url}): stop it, or run this against it with --hub ${hub.url.replace(/\/v1$/, "")} --user ADMIN`,
    );
    this.name = "HubRunningError";
  }
}

export interface LocalAdmin {
  domain: Domain;
  close(): Promise<void>;
}

/**
 * `allowRunning`: the command only reads, or changes nothing the hub caches (grant/revoke), so it is
 * safe beside a running hub on the same SQLite file; anything else needs the hub stopped.
 */
export async function openLocalAdmin(
  config: HubConfig,
  options: { allowRunning: boolean; log?: Logger },
): Promise<LocalAdmin> {
  const dataDir = resolve(config.dataDir);
  const sqlite = config.store === undefined || config.store.startsWith("sqlite");
  const running = sqlite ? runningHub(dataDir) : undefined;
  if (running && !options.allowRunning) throw new HubRunningError(running, dataDir);
  const log = options.log ?? pino({ level: "silent" });
  const store = await openStore(config.store, dataDir, { sqlite: { synchronous: config.sqliteSynchronous } });
  const bus = await openBus(config.bus, `admin-${process.pid}`, { log }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const presence = new LocalPresence();
  // The operator is not rate limited; these buckets are never asked.
  const unlimited = new LocalLimiter({ ratePerSecond: 1e9, burst: 1e9 }, systemClock);
  const domain = new Domain({
    store,
    bus,
    presence,
    clock: systemClock,
    log,
    limiters: Object.fromEntries(Object.keys(LIMITER_KEYS).map((name) => [name, unlimited])) as Record<
      keyof typeof LIMITER_KEYS,
      LocalLimiter
    >,
    maxBodyChars: config.maxBodyChars,
    maxRoomsPerUser: config.maxRoomsPerUser,
    e2eMaxDevices: config.e2eMaxDevices,
  });
  return {
    domain,
    close: async () => {
      await bus.close();
      await store.close();
    },
  };
}

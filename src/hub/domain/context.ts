/** What the domain needs from the outside world, injected by the composition root. */
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import type { Limiter } from "../bus/limiter.js";
import type { Presence } from "../bus/presence.js";
import type { Clock } from "../clock.js";
import type { Store, UserId } from "../store/store.js";
import type { FilesSettings } from "./files.js";

export interface DomainLimiters {
  /** Failed logins per account. */
  loginAccount: Limiter;
  /** Failed logins per address. */
  loginAddress: Limiter;
  /** Addresses without a failed login in the last hour (see password-guard.ts). */
  loginClean: Limiter;
  /** Account and address pairs with a successful login in the last 30 days. */
  loginKnown: Limiter;
  /** Wrong room passwords per user, per room, and users without one in the last hour. */
  roomPasswordUser: Limiter;
  roomPasswordRoom: Limiter;
  roomPasswordClean: Limiter;
  /** Rooms created per user. */
  roomCreate: Limiter;
  /** Registrations per address. */
  register: Limiter;
  /** Messages per user, across devices and nodes. */
  messages: Limiter;
  /** Client tags sent alone (`msg.tagmsg`) per user, across devices and nodes. */
  tagmsgs: Limiter;
}

export interface DomainDeps {
  store: Store;
  bus: Bus;
  presence: Presence;
  clock: Clock;
  limiters: DomainLimiters;
  log: Logger;
  maxBodyChars: number;
  /** Shared files' storage and limits; absent → file sharing is off. */
  files?: FilesSettings;
  /** The first account registered on an empty hub becomes a server admin (`--admin-first-user`). */
  firstUserAdmin?: boolean;
  /** Rooms one user may own. */
  maxRoomsPerUser: number;
  /** Member devices one message of an end-to-end encrypted room may be sealed to (`--e2e-max-devices`). */
  e2eMaxDevices: number;
  /** How long after sending its author may edit a message (`--edit-window`); 0: no limit. Default 24 h. */
  editWindowMs?: number;
  /** Different emoji one user may have on one message (`--max-reactions`). Default 20. */
  maxReactions?: number;
}

/** The authenticated user behind a request, and where it came from. */
export interface Actor {
  userId: UserId;
  connId: string;
  tokenHash: string;
}

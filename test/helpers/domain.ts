/**
 * The hub's domain without a socket: real in-memory SQLite store, in-process bus and presence, token
 * buckets on a manual clock. Events the domain publishes are recorded per user, as a gateway would
 * deliver them.
 */
import { tmpdir } from "node:os";
import pino from "pino";
import type { AnyEvent, EventName } from "../../src/protocol/events.js";
import { eventFor, type BusMessage } from "../../src/hub/bus/bus.js";
import { LocalLimiter, type LimiterRule } from "../../src/hub/bus/limiter.js";
import { LocalBus } from "../../src/hub/bus/local.js";
import { LocalPresence } from "../../src/hub/bus/presence.js";
import { ManualClock } from "../../src/hub/clock.js";
import { DEFAULT_RULES, type LimiterName } from "../../src/hub/limits.js";
import type { Actor } from "../../src/hub/domain/context.js";
import { DomainError } from "../../src/hub/domain/errors.js";
import { Domain } from "../../src/hub/domain/hub.js";
import { openStore } from "../../src/hub/store/open.js";
import type { Store, UserId } from "../../src/hub/store/store.js";

/** The hub's default rules (src/hub/limits.ts), so the tests see the limits users meet. */
export const RULES: Record<LimiterName, LimiterRule> = DEFAULT_RULES;

export const PASSWORD = "correct horse battery staple";
export const ADDRESS = "127.0.0.1";

export interface TestDomain {
  domain: Domain;
  store: Store;
  clock: ManualClock;
  bus: LocalBus;
  /** Everything published on the bus, in order. */
  published: BusMessage[];
  /** Registers and logs in a user (one session, online); returns its actor. */
  user(username: string, password?: string): Promise<Actor>;
  /** Another session (device) of an existing user, online. */
  device(username: string, password?: string): Promise<Actor>;
  /** The events of this name delivered to a user so far, oldest first. */
  eventsOf<E extends EventName>(actor: Actor | UserId, name: E): Array<Extract<AnyEvent, { ev: E }>>;
  /** Forgets the recorded events. */
  clearEvents(): void;
  close(): Promise<void>;
}

export async function testDomain(rules: Partial<typeof RULES> = {}): Promise<TestDomain> {
  const clock = new ManualClock();
  const store = await openStore("sqlite::memory:", tmpdir());
  const bus = new LocalBus();
  const presence = new LocalPresence();
  const r = { ...RULES, ...rules };
  const domain = new Domain({
    store,
    bus,
    presence,
    clock,
    log: pino({ level: "silent" }),
    limiters: {
      loginAccount: new LocalLimiter(r.loginAccount, clock),
      loginAddress: new LocalLimiter(r.loginAddress, clock),
      loginClean: new LocalLimiter(r.loginClean, clock),
      loginKnown: new LocalLimiter(r.loginKnown, clock),
      roomPasswordUser: new LocalLimiter(r.roomPasswordUser, clock),
      roomPasswordRoom: new LocalLimiter(r.roomPasswordRoom, clock),
      roomPasswordClean: new LocalLimiter(r.roomPasswordClean, clock),
      roomCreate: new LocalLimiter(r.roomCreate, clock),
      register: new LocalLimiter(r.register, clock),
      messages: new LocalLimiter(r.messages, clock),
      tagmsgs: new LocalLimiter(r.tagmsgs, clock),
    },
    maxBodyChars: 4000,
    maxRoomsPerUser: 100,
    e2eMaxDevices: 100,
  });
  const published: BusMessage[] = [];
  bus.subscribe((m) => published.push(m));
  let conns = 0;

  const device = async (username: string, password = PASSWORD) => {
    const auth = await domain.accounts.login({ username, password }, ADDRESS, `conn-${++conns}`);
    await domain.presence.connected(auth.actor);
    return auth.actor;
  };
  return {
    domain,
    store,
    clock,
    bus,
    published,
    user: async (username, password = PASSWORD) => {
      await domain.accounts.register({ username, password }, ADDRESS);
      return device(username, password);
    },
    device,
    eventsOf: <E extends EventName>(who: Actor | UserId, name: E) => {
      const id = typeof who === "number" ? who : who.userId;
      return published.flatMap((m) =>
        m.kind === "deliver" && m.to.includes(id) && m.event.ev === name
          ? [eventFor(m, id) as Extract<AnyEvent, { ev: E }>]
          : [],
      );
    },
    clearEvents: () => void published.splice(0),
    close: async () => {
      await presence.close();
      await bus.close();
      await store.close();
    },
  };
}

/** The domain error code a call fails with (the call must fail with a DomainError). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  throw new Error("expected the call to fail with a DomainError, but it succeeded");
}

export type { Actor };

/**
 * The hub's token-bucket rules, in one place: the composition root opens a limiter for each, the domain
 * tests use the same numbers, and docs/protocol.md ("Limits") states them. `rateLimits: false` lifts
 * them for benchmarks.
 */
import { RATE_BURST, RATE_PER_SECOND } from "../protocol/limits.js";
import type { LimiterRule } from "./bus/limiter.js";

const HOUR = 3600;

/** What a wrong password costs, for logins and room passwords alike (see domain/password-guard.ts). */
export const GUESS_RULES = {
  /**
   * The main brake, per source (an address for logins, a user for room passwords): 20 wrong passwords,
   * then the tokens regrow over an hour — like ejabberd's mod_fail2ban (c2s_max_auth_failures 20,
   * ban lifetime 1 h).
   */
  source: { ratePerSecond: 20 / HOUR, burst: 20 },
  /** Per target (an account, a room): 5 wrong passwords, then one more a minute, from suspect sources. */
  target: { ratePerSecond: 1 / 60, burst: 5 },
  /**
   * One token per source, gone for an hour after a wrong password: a source without one is "suspect"
   * and held by the target's brake; a clean source is not, so nobody can lock an owner out.
   */
  clean: { ratePerSecond: 1 / HOUR, burst: 1 },
  /** Taken by a success: empty (the source is "known" to the target) for 30 days. */
  known: { ratePerSecond: 1 / (30 * 24 * HOUR), burst: 1 },
} as const satisfies Record<string, LimiterRule>;

export const DEFAULT_RULES = {
  loginAccount: GUESS_RULES.target,
  loginAddress: GUESS_RULES.source,
  loginClean: GUESS_RULES.clean,
  loginKnown: GUESS_RULES.known,
  roomPasswordUser: GUESS_RULES.source,
  roomPasswordRoom: GUESS_RULES.target,
  roomPasswordClean: GUESS_RULES.clean,
  /** Rooms created per user: 10, then one every 10 s. */
  roomCreate: { ratePerSecond: 0.1, burst: 10 },
  register: { ratePerSecond: 1, burst: 30 },
  messages: { ratePerSecond: 10, burst: 50 },
  /** Client tags sent alone (`msg.tagmsg`, IRC TAGMSG: typing notices), per user: 5 a second, bursts of 20. */
  tagmsgs: { ratePerSecond: 5, burst: 20 },
  requests: { ratePerSecond: RATE_PER_SECOND, burst: RATE_BURST },
} as const satisfies Record<string, LimiterRule>;

export type LimiterName = keyof typeof DEFAULT_RULES;

const UNLIMITED: LimiterRule = { ratePerSecond: 1e9, burst: 1e9 };

export function limiterRules(on: boolean): Record<LimiterName, LimiterRule> {
  if (on) return DEFAULT_RULES;
  return Object.fromEntries(Object.keys(DEFAULT_RULES).map((name) => [name, UNLIMITED])) as Record<
    LimiterName,
    LimiterRule
  >;
}

/** Limiter names in Redis: they keep apart buckets that count different things under the same key. */
export const LIMITER_KEYS: Record<Exclude<LimiterName, "requests">, string> = {
  loginAccount: "login-account",
  loginAddress: "login-address",
  loginClean: "login-clean",
  loginKnown: "login-known",
  roomPasswordUser: "room-password-user",
  roomPasswordRoom: "room-password-room",
  roomPasswordClean: "room-password-clean",
  roomCreate: "room-create",
  register: "register",
  messages: "messages",
  tagmsgs: "tagmsgs",
};

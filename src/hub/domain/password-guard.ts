/**
 * Wrong-password limits that hold under concurrency, for logins and room passwords alike.
 *
 * Tokens are taken *before* the hash is checked and given back on success: every check in flight holds
 * its tokens, so however many guesses arrive at once, no more than the buckets hold reach Argon2.
 *
 * Three buckets, after ejabberd's mod_fail2ban and the lock-out problem it avoids:
 * - `source` (an address; a user for room passwords) is the main brake: it must have a token.
 * - `target` (an account; a room) slows guesses spread over many sources, but only holds *suspect*
 *   sources — those with a wrong password in the last hour. A source with none takes its one `clean`
 *   token instead and goes ahead even when the target's bucket is empty, so a stranger guessing at an
 *   account cannot lock its owner out.
 * - `known` (optional: a source that got the password right for this target within 30 days and has
 *   not got it wrong since) is not held by the target's brake either, so several devices at one
 *   address may log in at once. It is an empty bucket: a success takes its one token (which regrows
 *   in 30 days), a failure gives it back.
 */
import type { Limiter } from "../bus/limiter.js";
import { fail } from "./errors.js";

export type Bucket = readonly [Limiter, string];

export interface PasswordGuard {
  source?: Bucket;
  target: Bucket;
  clean?: Bucket;
  known?: Bucket;
  /** The refusal's text, when a bucket is empty. */
  refusal: string;
}

/** Runs `check` (the hash) unless a bucket refuses; resolves its result. Fails RATE_LIMITED when refused. */
export async function guardedCheck(guard: PasswordGuard, check: () => Promise<boolean>): Promise<boolean> {
  const taken: Bucket[] = [];
  const giveBack = () => Promise.all(taken.map(([limiter, key]) => limiter.give(key)));
  const refuse = async ([limiter, key]: Bucket, wait: number): Promise<never> => {
    limiter.refused?.(key);
    await giveBack();
    fail("RATE_LIMITED", guard.refusal, { retryAfterMs: wait });
  };
  if (guard.source) {
    const wait = await guard.source[0].take(guard.source[1]);
    if (wait > 0) return refuse(guard.source, wait);
    taken.push(guard.source);
  }
  const known = guard.known !== undefined && (await guard.known[0].peek(guard.known[1])) > 0;
  const clean = guard.clean !== undefined && (await guard.clean[0].take(guard.clean[1])) === 0;
  if (clean && guard.clean) taken.push(guard.clean);
  // Charged whenever it has a token, so every failure slows the next guesses; refusing only suspects.
  const wait = await guard.target[0].take(guard.target[1]);
  if (wait === 0) taken.push(guard.target);
  else if (!known && !clean) return refuse(guard.target, wait);
  const ok = await check();
  if (ok) {
    await giveBack();
    if (guard.known) await guard.known[0].take(guard.known[1]);
  } else if (known && guard.known) {
    // A wrong password from a known source: it is a suspect like any other from now on.
    await guard.known[0].give(guard.known[1]);
  }
  return ok;
}

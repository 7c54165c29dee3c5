/**
 * Guest accounts (IRC `--irc-guests`, docs/irc.md): a client that connects without credentials gets an
 * account named by its nick, which lasts as long as it is connected. Its last connection closing deletes
 * it (Admin.removeAccount: rooms lose it with succession, DMs others had with it stay on their side), so
 * the name is free again and a later account of that name is another user, with none of the guest's
 * conversations.
 *
 * A guest has no password: its hash field holds GUEST_HASH, which no password matches (as `!` locks an
 * account in /etc/shadow), so it is also how a guest is told from an account in the store. A guest left
 * over by a hub that stopped before deleting it is deleted when the name is next asked for by a guest.
 */
import type { UserRecord, UserId } from "../store/store.js";
import { StoreConflictError } from "../store/store.js";
import type { Accounts, Authenticated } from "./accounts.js";
import type { Admin, AdminActor } from "./admin.js";
import type { DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import { checkUsername } from "./validation.js";

/** The password hash of a guest: not an Argon2 hash, so no password verifies against it. */
export const GUEST_HASH = "!guest";

/** Who the audit log names for a guest's deletion. */
export const GUEST_REAPER: AdminActor = { name: "guests" };

export function isGuest(record: UserRecord): boolean {
  return record.passwordHash === GUEST_HASH;
}

export class Guests {
  /**
   * Guests made by this node whose connection has not ended: in use even before their connection
   * counts as online (between the account's creation and presence), so a second login of the same
   * nick cannot take one for a leftover.
   */
  private readonly live = new Set<UserId>();

  constructor(
    private readonly deps: DomainDeps,
    private readonly accounts: Accounts,
    private readonly admin: Admin,
  ) {}

  /**
   * A new guest account named `username`, logged in. USERNAME_TAKEN when an account (or a connected
   * guest) has the name; registrations per address are limited as for `register`.
   */
  async login(username: string, address: string, connId: string): Promise<Authenticated> {
    const { store, limiters, clock, presence, log } = this.deps;
    const name = checkUsername(username);
    const existing = await store.getUserByName(name);
    if (existing) {
      if (!isGuest(existing) || this.live.has(existing.id) || (await presence.isOnline(existing.id))) {
        fail("USERNAME_TAKEN", `the username ${name} is taken`);
      }
      await this.admin.removeAccount(GUEST_REAPER, existing, false);
    }
    const wait = await limiters.register.take(address);
    if (wait > 0) fail("RATE_LIMITED", "too many registrations from this address", { retryAfterMs: wait });
    let record: UserRecord;
    try {
      record = await store.createUser({
        username: name,
        displayName: name,
        passwordHash: GUEST_HASH,
        createdAt: clock.now(),
      });
    } catch (error) {
      if (error instanceof StoreConflictError) fail("USERNAME_TAKEN", `the username ${name} is taken`);
      throw error;
    }
    this.live.add(record.id);
    log.info({ username: name, address, connId }, "guest account made");
    return this.accounts.startSession(record, connId, "irc-guest");
  }

  /** A guest's connection closed: once none is left on any node, the guest account is deleted. */
  async left(userId: UserId): Promise<void> {
    this.live.delete(userId);
    const record = await this.deps.store.getUserById(userId);
    if (!record || !isGuest(record)) return;
    if (await this.deps.presence.isOnline(userId)) return;
    await this.admin.removeAccount(GUEST_REAPER, record, false);
  }
}

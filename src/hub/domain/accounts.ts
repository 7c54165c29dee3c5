/** Accounts and sessions: register, login, resume, logout, profile, rename, password. */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { SESSION_TTL_MS } from "../../protocol/limits.js";
import type { OpParams, OpResult } from "../../protocol/ops.js";
import type { SessionInfo, User } from "../../protocol/model.js";
import { fold } from "../ids.js";
import { StoreConflictError, type UserId, type UserRecord } from "../store/store.js";
import type { Audience } from "./audience.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import { notify } from "./notify.js";
import { guardedCheck } from "./password-guard.js";
import { dummyHash, hashPassword, verifyPassword } from "./passwords.js";
import { checkPassword, checkPersonName, checkUsername } from "./validation.js";
import { toUser } from "./views.js";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export interface Authenticated {
  user: User;
  session: SessionInfo;
  actor: Actor;
}

export class Accounts {
  constructor(
    private readonly deps: DomainDeps,
    private readonly audience: Audience,
  ) {}

  async userView(record: UserRecord): Promise<User> {
    return toUser(record, await this.deps.presence.isOnline(record.id));
  }

  async register(params: OpParams<"register">, address: string): Promise<OpResult<"register">> {
    const { store, limiters, clock } = this.deps;
    const username = checkUsername(params.username);
    checkPassword(params.password, username);
    const displayName = checkPersonName(params.displayName ?? username, "displayName");
    const firstName =
      params.firstName === undefined ? undefined : checkPersonName(params.firstName, "firstName");
    const lastName = params.lastName === undefined ? undefined : checkPersonName(params.lastName, "lastName");
    if (await store.getUserByName(username)) fail("USERNAME_TAKEN", `the username ${username} is taken`);
    const wait = await limiters.register.take(address);
    if (wait > 0) fail("RATE_LIMITED", "too many registrations from this address", { retryAfterMs: wait });
    const passwordHash = await hashPassword(params.password);
    try {
      const record = await store.createUser({
        username,
        displayName,
        passwordHash,
        createdAt: clock.now(),
        ...(firstName !== undefined && { firstName }),
        ...(lastName !== undefined && { lastName }),
      });
      this.deps.log.info({ username }, "account registered");
      await this.maybeFirstAdmin(record);
      return { user: toUser(record, false) };
    } catch (error) {
      if (error instanceof StoreConflictError) fail("USERNAME_TAKEN", `the username ${username} is taken`);
      throw error;
    }
  }

  async login(params: OpParams<"login">, address: string, connId: string): Promise<Authenticated> {
    const record = await this.checkCredentials(params.username, params.password, address);
    const auth = await this.startSession(record, connId, params.device);
    this.deps.log.info({ username: record.username, address, connId }, "login");
    return auth;
  }

  /** A new session of an account whose login was checked (a password, or a guest made now). */
  async startSession(record: UserRecord, connId: string, device?: string): Promise<Authenticated> {
    const session = await this.openSession(record.id, device);
    return {
      user: toUser(record, true),
      session: session.info,
      actor: { userId: record.id, connId, tokenHash: session.tokenHash },
    };
  }

  /**
   * A username and password, checked as a login checks them (the same guard: failures per address and
   * per account, before any hashing): the account, or BAD_CREDENTIALS / RATE_LIMITED / SUSPENDED. Also
   * what IRC's `OPER` is checked with (Admin.oper).
   */
  async checkCredentials(username: string, password: string, address: string): Promise<UserRecord> {
    const { store, limiters } = this.deps;
    const params = { username, password };
    const record = await store.getUserByName(params.username);
    const accountKey = failureKey(record, params.username);
    const ok = await guardedCheck(
      {
        source: [limiters.loginAddress, address],
        target: [limiters.loginAccount, accountKey],
        clean: [limiters.loginClean, address],
        known: [limiters.loginKnown, `${accountKey}|${address}`],
        refusal: "too many failed logins; try again later",
      },
      async () =>
        record
          ? verifyPassword(record.passwordHash, params.password)
          : (await verifyPassword(await dummyHash(), params.password)) && false,
    );
    if (!record || !ok) {
      this.deps.log.info({ username: params.username, address }, "login failed");
      fail("BAD_CREDENTIALS", "wrong username or password");
    }
    await limiters.loginAccount.reset(accountKey);
    // Only after the password: a suspension is not revealed to someone guessing.
    refuseSuspended(record);
    return record;
  }

  private async openSession(userId: number, device?: string) {
    const token = randomBytes(32).toString("base64url");
    const tokenHash = hashToken(token);
    const now = this.deps.clock.now();
    const expiresAt = now + SESSION_TTL_MS;
    await this.deps.store.createSession({
      tokenHash,
      userId,
      createdAt: now,
      expiresAt,
      ...(device !== undefined && { device }),
    });
    return { info: { token, expiresAt }, tokenHash };
  }

  async resume(token: string, connId: string): Promise<Authenticated> {
    const { store, clock } = this.deps;
    const tokenHash = hashToken(token);
    const session = await store.getSession(tokenHash);
    if (!session || session.expiresAt <= clock.now()) {
      if (session) await store.deleteSession(tokenHash);
      fail("SESSION_EXPIRED", "the session has expired or was ended; log in again");
    }
    const record = await store.getUserById(session.userId);
    if (!record) fail("SESSION_EXPIRED", "the session's account no longer exists; log in again");
    refuseSuspended(record);
    return {
      user: toUser(record, true),
      session: { token, expiresAt: session.expiresAt },
      actor: { userId: record.id, connId, tokenHash },
    };
  }

  /** The user of a live session token (HTTP requests carry it as a bearer token); SESSION_EXPIRED otherwise. */
  async sessionUser(token: string): Promise<UserId> {
    const session = await this.deps.store.getSession(hashToken(token));
    if (!session || session.expiresAt <= this.deps.clock.now()) {
      fail("SESSION_EXPIRED", "the session has expired or was ended; log in again");
    }
    return session.userId;
  }

  /**
   * With `--admin-first-user`, the account that makes a hub's user count 1 becomes its first server
   * admin. Two registrations racing on an empty hub both see 2 and neither is made admin — then use
   * `parley admin grant`.
   */
  private async maybeFirstAdmin(record: UserRecord): Promise<void> {
    const { store, log, clock } = this.deps;
    if (!this.deps.firstUserAdmin || (await store.countUsers()) !== 1) return;
    await store.setServerAdmin(record.id, true);
    const entry = { at: clock.now(), actor: "operator", action: "grant", target: record.username };
    log.info({ audit: { ...entry, detail: "first user" } }, "admin grant");
    await store.appendAudit({ ...entry, detail: "first registered user (--admin-first-user)" });
  }

  /**
   * `password.reset`: a new password with the one-time token from `admin.password`. Wrong tokens count
   * like failed logins, through the same guard (per address, and per account for suspect addresses), so
   * tokens cannot be guessed at speed, however many attempts arrive at once.
   */
  async resetPassword(params: OpParams<"password.reset">, address: string): Promise<void> {
    const { store, limiters, clock, bus } = this.deps;
    const record = await store.getUserByName(params.username);
    const accountKey = failureKey(record, params.username);
    const valid = await guardedCheck(
      {
        source: [limiters.loginAddress, address],
        target: [limiters.loginAccount, accountKey],
        clean: [limiters.loginClean, address],
        refusal: "too many failed attempts; try again later",
      },
      async () => {
        const reset = record?.reset;
        const given = Buffer.from(hashToken(params.token), "hex");
        return (
          reset !== undefined &&
          reset.expiresAt > clock.now() &&
          timingSafeEqual(Buffer.from(reset.tokenHash, "hex"), given)
        );
      },
    );
    if (!record || !valid) fail("BAD_CREDENTIALS", "the reset token is wrong, used or expired");
    checkPassword(params.password, record.username);
    await store.setPasswordHash(record.id, await hashPassword(params.password));
    await store.setPasswordReset(record.id, null);
    await store.deleteUserSessions(record.id);
    await bus.publish({ kind: "end-sessions", userId: record.id, reason: "password" });
    await limiters.loginAccount.reset(accountKey);
    this.deps.log.info({ username: record.username, address }, "password reset with a token");
  }

  async logout(actor: Actor): Promise<void> {
    await this.deps.store.deleteSession(actor.tokenHash);
    await this.deps.bus.publish({
      kind: "end-sessions",
      userId: actor.userId,
      tokenHash: actor.tokenHash,
      exceptConn: actor.connId,
      reason: "logout",
    });
  }

  async updateProfile(actor: Actor, params: OpParams<"me.update">): Promise<OpResult<"me.update">> {
    const patch: { displayName?: string; firstName?: string | null; lastName?: string | null } = {};
    if (params.displayName !== undefined)
      patch.displayName = checkPersonName(params.displayName, "displayName");
    if (params.firstName !== undefined) {
      patch.firstName = params.firstName === null ? null : checkPersonName(params.firstName, "firstName");
    }
    if (params.lastName !== undefined) {
      patch.lastName = params.lastName === null ? null : checkPersonName(params.lastName, "lastName");
    }
    const record = await this.deps.store.updateProfile(actor.userId, patch);
    const user = toUser(record, true);
    await notify(this.deps.bus, [actor.userId, ...(await this.audience.related(actor.userId))], {
      ev: "user.updated",
      user,
    });
    return { user };
  }

  async rename(actor: Actor, params: OpParams<"me.rename">): Promise<OpResult<"me.rename">> {
    const { store } = this.deps;
    const record = await this.requireUser(actor.userId);
    await this.checkOwnPassword(record, params.password);
    const username = checkUsername(params.username);
    const existing = await store.getUserByName(username);
    if (existing && existing.id !== actor.userId) fail("USERNAME_TAKEN", `the username ${username} is taken`);
    let renamed: UserRecord;
    try {
      renamed = await store.renameUser(actor.userId, username);
    } catch (error) {
      if (error instanceof StoreConflictError) fail("USERNAME_TAKEN", `the username ${username} is taken`);
      throw error;
    }
    // A display name never chosen is the username the account was registered with: it follows the
    // rename (else the old name lingers beside the new one); a chosen one stays.
    const followed = record.displayName === record.username && renamed.displayName !== renamed.username;
    if (followed) renamed = await store.updateProfile(actor.userId, { displayName: renamed.username });
    await this.audience.changedAll();
    this.deps.log.info({ from: record.username, to: renamed.username }, "account renamed");
    const audience = [actor.userId, ...(await this.audience.related(actor.userId))];
    await notify(this.deps.bus, audience, {
      ev: "user.renamed",
      from: record.username,
      to: renamed.username,
    });
    if (followed) await notify(this.deps.bus, audience, { ev: "user.updated", user: toUser(renamed, true) });
    return { user: toUser(renamed, true) };
  }

  async changePassword(actor: Actor, params: OpParams<"me.password">): Promise<void> {
    const { store, bus } = this.deps;
    const record = await this.requireUser(actor.userId);
    await this.checkOwnPassword(record, params.old);
    checkPassword(params.new, record.username);
    await store.setPasswordHash(actor.userId, await hashPassword(params.new));
    // Another device that knew the old password should not keep access through its session.
    await store.deleteUserSessions(actor.userId, actor.tokenHash);
    await bus.publish({
      kind: "end-sessions",
      userId: actor.userId,
      exceptConn: actor.connId,
      reason: "password",
    });
  }

  /**
   * Rename and password change ask for the password again. Wrong guesses count against the account like
   * failed logins, so a session left open (or stolen) cannot be used to guess the password at hash speed.
   */
  private async checkOwnPassword(record: UserRecord, password: string): Promise<void> {
    const ok = await guardedCheck(
      {
        target: [this.deps.limiters.loginAccount, failureKey(record, record.username)],
        refusal: "too many wrong passwords; try again later",
      },
      () => verifyPassword(record.passwordHash, password),
    );
    if (!ok) fail("BAD_CREDENTIALS", "wrong password");
  }

  async requireUser(id: number): Promise<UserRecord> {
    const record = await this.deps.store.getUserById(id);
    if (!record) fail("SESSION_EXPIRED", "your account no longer exists");
    return record;
  }

  async findUser(username: string): Promise<UserRecord> {
    const record = await this.deps.store.getUserByName(username);
    if (!record) fail("NO_SUCH_USER", `there is no user named ${username}`);
    return record;
  }
}

/** A suspended account may not log in or resume; the admins' reason is in the message. */
function refuseSuspended(record: UserRecord): void {
  if (record.suspension) {
    fail("SUSPENDED", `this account is suspended by the hub's administrators: ${record.suspension.reason}`);
  }
}

/**
 * What failed passwords are counted under: the account itself, so a rename does not start the count
 * again; a name nobody has, by that name.
 */
function failureKey(record: UserRecord | undefined, username: string): string {
  return record ? `user:${record.id}` : `name:${fold(username)}`;
}

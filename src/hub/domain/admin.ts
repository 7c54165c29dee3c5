/**
 * Server administration: the rules of the admin ops (src/protocol/ops.ts `admin.*`) and of `parley admin`
 * on a data folder. Who may: a server admin (a flag on the account), or the operator of the data folder
 * (whoever can open the store; `OPERATOR`). Every change is written to the audit log — a pino line and a
 * row in the store — before it is answered.
 */
import { randomBytes } from "node:crypto";
import { ADMIN_PAGE_MAX, RESET_TOKEN_TTL_MS } from "../../protocol/limits.js";
import type { AdminConnection, AdminUser } from "../../protocol/model.js";
import type { OpName, OpParams, OpResult } from "../../protocol/ops.js";
import { fold, type UserId } from "../ids.js";
import type { UserRecord } from "../store/store.js";
import { hashToken, type Accounts } from "./accounts.js";
import type { Audience } from "./audience.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import type { Files } from "./files.js";
import { hashPassword } from "./passwords.js";
import type { Rooms } from "./rooms.js";
import { checkPassword, cleanLine } from "./validation.js";

/** Who performs an admin action: a server admin's account, or the operator of the data folder. */
export interface AdminActor {
  userId?: UserId;
  /** As the audit log names them. */
  name: string;
}

/** `parley admin` run directly on a stopped hub's data folder or store. */
export const OPERATOR: AdminActor = { name: "operator" };

/** A user's open connections on every node; the composition root provides it (none offline). */
export interface ConnectionDirectory {
  connectionsOf(userId: UserId): Promise<AdminConnection[]>;
}

const DEFAULT_PAGE = 100;

/** The longest reason an admin kick (IRC KILL) carries. */
export const KICK_REASON_MAX = 200;

export class Admin {
  directory: ConnectionDirectory = { connectionsOf: async () => [] };

  constructor(
    private readonly deps: DomainDeps,
    private readonly audience: Audience,
    private readonly accounts: Accounts,
    private readonly rooms: Rooms,
    private readonly files: Files,
  ) {}

  /** The actor as an admin, or FORBIDDEN. Read from the store each time, so a revoke is immediate. */
  async authorize(actor: Actor): Promise<AdminActor> {
    return this.authorizeUser(actor.userId);
  }

  /** A server admin's account as an admin actor, or FORBIDDEN (read from the store each time). */
  async authorizeUser(userId: UserId): Promise<AdminActor> {
    const record = await this.accounts.requireUser(userId);
    if (!record.serverAdmin) fail("FORBIDDEN", "only server admins of this hub may do this");
    return { userId: record.id, name: record.username };
  }

  /**
   * IRC's `OPER name password`: the credentials of a server admin's account, checked as a login is
   * (the same failure limits), make the connection act with that admin's authority. BAD_CREDENTIALS
   * (or RATE_LIMITED, SUSPENDED) as for a login; FORBIDDEN for an account that is not a server admin.
   * Written to the audit log. The authority is checked again at each use (`authorizeUser`).
   */
  async oper(p: { username: string; password: string }, address: string): Promise<AdminActor> {
    const record = await this.accounts.checkCredentials(p.username, p.password, address);
    if (!record.serverAdmin) fail("FORBIDDEN", `${record.username} is not a server admin of this hub`);
    const by = { userId: record.id, name: record.username };
    await this.audit(by, "oper", undefined, "IRC OPER");
    return by;
  }

  /** Writes the audit entry (log line and store row). */
  private async audit(by: AdminActor, action: string, target?: string, detail?: string): Promise<void> {
    const entry = {
      at: this.deps.clock.now(),
      actor: by.name,
      action,
      ...(target !== undefined && { target }),
      ...(detail !== undefined && { detail }),
    };
    this.deps.log.info({ audit: entry }, `admin ${action}`);
    await this.deps.store.appendAudit(entry);
  }

  private async view(record: UserRecord, online: boolean): Promise<AdminUser> {
    const user: AdminUser = {
      username: record.username,
      displayName: record.displayName,
      createdAt: record.createdAt,
      online,
      admin: record.serverAdmin === true,
    };
    if (record.lastSeen !== undefined) user.lastSeen = record.lastSeen;
    if (record.suspension) user.suspended = { ...record.suspension };
    return user;
  }

  async users(_by: AdminActor, p: OpParams<"admin.users">): Promise<OpResult<"admin.users">> {
    const records = await this.deps.store.listUsers({
      limit: Math.min(p.limit ?? DEFAULT_PAGE, ADMIN_PAGE_MAX),
      ...(p.query !== undefined && { prefix: p.query.trim() }),
      ...(p.after !== undefined && { after: p.after }),
    });
    const online = await this.deps.presence.onlineAmong(records.map((r) => r.id));
    return { users: await Promise.all(records.map((r) => this.view(r, online.has(r.id)))) };
  }

  async grant(by: AdminActor, p: OpParams<"admin.grant">): Promise<void> {
    const user = await this.accounts.findUser(p.username);
    if (!p.on && user.id === by.userId) fail("FORBIDDEN", "you cannot revoke your own admin role");
    await this.deps.store.setServerAdmin(user.id, p.on);
    await this.audit(by, p.on ? "grant" : "revoke", user.username);
  }

  async password(by: AdminActor, p: OpParams<"admin.password">): Promise<OpResult<"admin.password">> {
    const { store } = this.deps;
    const user = await this.accounts.findUser(p.username);
    let result: OpResult<"admin.password"> = {};
    if (p.password !== undefined) {
      checkPassword(p.password, user.username);
      await store.setPasswordHash(user.id, await hashPassword(p.password));
      await store.setPasswordReset(user.id, null);
      await this.audit(by, "password.set", user.username);
    } else {
      const token = randomBytes(24).toString("base64url");
      const expiresAt = this.deps.clock.now() + RESET_TOKEN_TTL_MS;
      await store.setPasswordReset(user.id, { tokenHash: hashToken(token), expiresAt });
      await this.audit(by, "password.reset-token", user.username);
      result = { resetToken: token, expiresAt };
    }
    await this.endSessions(user.id, "password");
    return result;
  }

  async suspend(by: AdminActor, p: OpParams<"admin.suspend">): Promise<void> {
    const user = await this.accounts.findUser(p.username);
    if (user.id === by.userId) fail("FORBIDDEN", "you cannot suspend yourself");
    const reason = p.reason.trim();
    if (reason === "") fail("INVALID_PARAMS", "give a reason: the user is told it", { field: "reason" });
    await this.deps.store.setSuspension(user.id, { at: this.deps.clock.now(), reason });
    await this.audit(by, "suspend", user.username, reason);
    await this.endSessions(user.id, "suspended", reason);
  }

  async unsuspend(by: AdminActor, p: OpParams<"admin.unsuspend">): Promise<void> {
    const user = await this.accounts.findUser(p.username);
    await this.deps.store.setSuspension(user.id, null);
    await this.audit(by, "unsuspend", user.username);
  }

  async deleteUser(by: AdminActor, p: OpParams<"admin.delete">): Promise<void> {
    const user = await this.accounts.findUser(p.username);
    if (user.id === by.userId) fail("FORBIDDEN", "you cannot delete your own account this way");
    await this.removeAccount(by, user, p.erase === true);
  }

  /**
   * Deletes an account (an admin's `admin.delete`, or a guest's end: guests.ts). The rooms it was in
   * lose it with succession; DMs others had with it stay on their side (its name becomes "deleted
   * user"); the name is free again, and a new account of that name is another user.
   */
  async removeAccount(by: AdminActor, user: UserRecord, erase: boolean): Promise<void> {
    // Connections first, so nothing the user does lands between the steps; then rooms with succession.
    await this.endSessions(user.id, "deleted");
    await this.rooms.removeEverywhere(user.id);
    // Erased messages take their files along: no one who saw a message may fetch its file after.
    if (erase) await this.files.forgetUser(user.id);
    await this.deps.store.deleteUser(user.id, { erase, at: this.deps.clock.now() });
    await this.audience.changedAll();
    await this.audit(by, "delete", user.username, erase ? "messages erased" : "messages kept");
  }

  async listRooms(_by: AdminActor, p: OpParams<"admin.rooms">): Promise<OpResult<"admin.rooms">> {
    const rooms = await this.deps.store.listRooms(p.query?.trim() || undefined, {
      limit: Math.min(p.limit ?? DEFAULT_PAGE, ADMIN_PAGE_MAX),
      ...(p.after !== undefined && { after: fold(p.after) }),
    });
    return {
      rooms: await Promise.all(
        rooms.map(async (room) => {
          const owner = (await this.audience.members(room.id)).find((m) => m.role === "owner");
          return {
            name: room.name,
            ...(owner && { owner: owner.username }),
            members: room.memberCount,
            locked: room.passwordHash !== undefined,
            createdAt: room.createdAt,
            lastSeq: room.lastSeq,
          };
        }),
      ),
    };
  }

  async takeDown(by: AdminActor, p: OpParams<"admin.room.delete">): Promise<void> {
    const room = await this.rooms.takeDown(p.room);
    await this.audit(by, "room.delete", room.name, p.reason);
  }

  async transfer(by: AdminActor, p: OpParams<"admin.room.owner">): Promise<void> {
    const { room, from, to } = await this.rooms.transferOwnership(p.room, p.username, by.name);
    await this.audit(by, "room.owner", room, from === undefined ? `to ${to}` : `from ${from} to ${to}`);
  }

  async connections(
    by: AdminActor,
    p: OpParams<"admin.connections">,
  ): Promise<OpResult<"admin.connections">> {
    const user = await this.accounts.findUser(p.username);
    const connections = await this.directory.connectionsOf(user.id);
    // Reading someone's addresses is worth a line in the audit log too.
    await this.audit(by, "connections", user.username);
    return { connections };
  }

  /** `reason` (IRC's KILL) is told to the user and kept in the audit log, cut to KICK_REASON_MAX. */
  async kick(by: AdminActor, p: OpParams<"admin.kick">, reason?: string): Promise<void> {
    const user = await this.accounts.findUser(p.username);
    const why = reason === undefined ? "" : cleanLine(reason, KICK_REASON_MAX);
    await this.audit(by, "kick", user.username, why === "" ? undefined : why);
    await this.endSessions(user.id, "kicked", why === "" ? undefined : why);
  }

  async auditLog(_by: AdminActor, p: OpParams<"admin.audit">): Promise<OpResult<"admin.audit">> {
    const entries = await this.deps.store.listAudit({
      limit: Math.min(p.limit ?? DEFAULT_PAGE, ADMIN_PAGE_MAX),
      ...(p.before !== undefined && { before: p.before }),
    });
    return { entries };
  }

  /** Ends every session of the user in the store and closes their connections on every node. */
  private async endSessions(
    userId: UserId,
    reason: "password" | "suspended" | "kicked" | "deleted",
    message?: string,
  ): Promise<void> {
    await this.deps.store.deleteUserSessions(userId);
    await this.deps.bus.publish({
      kind: "end-sessions",
      userId,
      reason,
      ...(message !== undefined && { message }),
    });
  }
}

/** The admin ops and the method each runs; the gateway and `parley admin` both dispatch through it. */
export type AdminOpName = Extract<OpName, `admin.${string}`>;

export const ADMIN_OPS: {
  [O in AdminOpName]: (
    admin: Admin,
    by: AdminActor,
    params: OpParams<O>,
  ) => Promise<OpResult<O> | Record<string, never> | void>;
} = {
  "admin.users": (a, by, p) => a.users(by, p),
  "admin.grant": (a, by, p) => a.grant(by, p),
  "admin.password": (a, by, p) => a.password(by, p),
  "admin.suspend": (a, by, p) => a.suspend(by, p),
  "admin.unsuspend": (a, by, p) => a.unsuspend(by, p),
  "admin.delete": (a, by, p) => a.deleteUser(by, p),
  "admin.rooms": (a, by, p) => a.listRooms(by, p),
  "admin.room.delete": (a, by, p) => a.takeDown(by, p),
  "admin.room.owner": (a, by, p) => a.transfer(by, p),
  "admin.connections": (a, by, p) => a.connections(by, p),
  "admin.kick": (a, by, p) => a.kick(by, p),
  "admin.audit": (a, by, p) => a.auditLog(by, p),
};

export function isAdminOp(op: string): op is AdminOpName {
  return Object.prototype.hasOwnProperty.call(ADMIN_OPS, op);
}

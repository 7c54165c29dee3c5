/**
 * The dispatch table: op → handler. Each handler gets validated params and the request context and
 * returns the reply's result. Authorization is the domain's; the table only says which ops need a session
 * (from src/protocol/ops.ts) and wires each op to its domain method.
 */
import type { OpName, OpParams, OpResult } from "../../protocol/ops.js";
import { PROTOCOL_VERSION } from "../../protocol/limits.js";
import { PASSWORD_RULE } from "../../protocol/passwords.js";
import type { Actor } from "../domain/context.js";
import type { Domain } from "../domain/hub.js";
import type { Authenticated } from "../domain/accounts.js";
import { fail } from "../domain/errors.js";
import type { Connection } from "./connection.js";
import type { StartedConversation } from "../domain/rooms.js";

export interface RequestContext {
  domain: Domain;
  conn: Connection;
  /** The session's actor; handlers of ops with `auth: true` may rely on it. */
  actor: Actor;
  serverName: string;
  limits: { maxFrameBytes: number; maxBodyChars: number; historyPage: number };
  /**
   * Binds an authenticated session to this connection (login, resume); after the reply, the
   * connection catches up (with `resume`: the replay of what it missed after its cursors).
   */
  authenticate(auth: Authenticated, resume?: { cursors?: Record<string, number> }): Promise<void>;
  /** Unbinds the session (logout). */
  unauthenticate(): Promise<void>;
  /** This connection's view of a conversation it was just given starts after `seq`. */
  started: StartedConversation;
}

export type Handler<O extends OpName> = (
  ctx: RequestContext,
  params: OpParams<O>,
) => Promise<OpResult<O> | Record<string, never> | void>;

export type HandlerTable = { [O in OpName]?: Handler<O> };

/**
 * Runs a change (edit, delete, react) after this connection's earlier sends and changes, so a
 * client's "edit, then delete" is stored in that order whatever the store does in parallel.
 */
function inOrder<T>(ctx: RequestContext, run: () => Promise<T>): Promise<T> {
  const result = ctx.conn.sendChain.then(run);
  ctx.conn.sendChain = result.then(
    () => undefined,
    () => undefined,
  );
  return result;
}

export const coreHandlers: HandlerTable = {
  hello: async (ctx, params) => {
    if (params.protocol !== PROTOCOL_VERSION) {
      fail("UNSUPPORTED_PROTOCOL", `this hub speaks protocol ${PROTOCOL_VERSION}, not ${params.protocol}`);
    }
    if (ctx.conn.state === "new") ctx.conn.state = "ready";
    return {
      server: ctx.serverName,
      protocol: PROTOCOL_VERSION,
      limits: ctx.limits,
      passwordRule: PASSWORD_RULE,
    };
  },
  register: (ctx, p) => ctx.domain.accounts.register(p, ctx.conn.address),
  login: async (ctx, p) => {
    const auth = await ctx.domain.accounts.login(p, ctx.conn.address, ctx.conn.id);
    await ctx.authenticate(auth);
    return { user: auth.user, session: auth.session };
  },
  resume: async (ctx, p) => {
    const auth = await ctx.domain.accounts.resume(p.token, ctx.conn.id);
    await ctx.authenticate(auth, p.cursors ? { cursors: p.cursors } : {});
    return { user: auth.user, session: auth.session };
  },
  logout: async (ctx) => {
    await ctx.domain.accounts.logout(ctx.actor);
    await ctx.unauthenticate();
  },
  "users.online": (ctx) => ctx.domain.presence.online(),
  "users.search": (ctx, p) => ctx.domain.presence.search(ctx.actor, p),
  "me.update": (ctx, p) => ctx.domain.accounts.updateProfile(ctx.actor, p),
  "me.rename": (ctx, p) => ctx.domain.accounts.rename(ctx.actor, p),
  "me.password": (ctx, p) => ctx.domain.accounts.changePassword(ctx.actor, p),
  "rooms.list": (ctx, p) => ctx.domain.rooms.list(ctx.actor, p),
  "room.create": (ctx, p) => ctx.domain.rooms.create(ctx.actor, p, ctx.started),
  "room.join": (ctx, p) => ctx.domain.rooms.join(ctx.actor, p, ctx.started),
  "room.leave": (ctx, p) => ctx.domain.rooms.leave(ctx.actor, p),
  "room.invite": (ctx, p) => ctx.domain.rooms.invite(ctx.actor, p),
  "room.members": (ctx, p) => ctx.domain.rooms.members(ctx.actor, p),
  "room.devices": (ctx, p) => ctx.domain.e2e.devices(ctx.actor, p),
  "room.history": (ctx, p) => ctx.domain.messages.roomHistory(ctx.actor, p),
  "room.kick": (ctx, p) => ctx.domain.rooms.kick(ctx.actor, p),
  "room.ban": (ctx, p) => ctx.domain.rooms.ban(ctx.actor, p),
  "room.unban": (ctx, p) => ctx.domain.rooms.unban(ctx.actor, p),
  "room.bans": (ctx, p) => ctx.domain.rooms.bans(ctx.actor, p),
  "room.promote": (ctx, p) => ctx.domain.rooms.promote(ctx.actor, p),
  "room.demote": (ctx, p) => ctx.domain.rooms.demote(ctx.actor, p),
  "room.voice": (ctx, p) => ctx.domain.rooms.voice(ctx.actor, p),
  "room.update": (ctx, p) => ctx.domain.rooms.update(ctx.actor, p),
  "room.delete": (ctx, p) => ctx.domain.rooms.delete(ctx.actor, p),
  "msg.send": (ctx, p) => {
    // A client's messages are stored in the order it sent them: each send starts once the previous
    // one has its place in the store's order (or failed) — not after its commit, so a burst from one
    // client is pipelined into the same group commit.
    let queued!: () => void;
    const placed = new Promise<void>((resolve) => (queued = resolve));
    const run = ctx.conn.sendChain.then(() => ctx.domain.messages.send(ctx.actor, p, queued));
    // A send that fails before it is placed releases the next one too (resolving twice is harmless).
    run.then(queued, queued);
    ctx.conn.sendChain = placed;
    return run;
  },
  "msg.tagmsg": (ctx, p) => ctx.domain.messages.tagmsg(ctx.actor, p),
  "msg.edit": (ctx, p) => inOrder(ctx, () => ctx.domain.changes.edit(ctx.actor, p)),
  "msg.delete": (ctx, p) => inOrder(ctx, () => ctx.domain.changes.delete(ctx.actor, p)),
  "msg.react": (ctx, p) => inOrder(ctx, () => ctx.domain.changes.react(ctx.actor, p)),
  search: (ctx, p) => ctx.domain.search.search(ctx.actor, p),
  "dm.history": (ctx, p) => ctx.domain.messages.dmHistory(ctx.actor, p),
  "dm.list": (ctx) => ctx.domain.messages.dmList(ctx.actor),
  read: (ctx, p) => ctx.domain.messages.read(ctx.actor, p),
  mute: (ctx, p) => ctx.domain.settings.mute(ctx.actor, p),
  block: (ctx, p) => ctx.domain.settings.block(ctx.actor, p),
  settings: (ctx) => ctx.domain.settings.get(ctx.actor.userId),
};

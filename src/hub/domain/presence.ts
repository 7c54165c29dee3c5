/** Presence: who is online, and telling the people who share a room or DM when that changes. */
import { SEARCH_MAX, ONLINE_MAX, QUIT_MESSAGE_MAX } from "../../protocol/limits.js";
import type { PresenceReason } from "../../protocol/model.js";
import type { OpParams, OpResult } from "../../protocol/ops.js";
import type { UserId } from "../store/store.js";
import type { Audience } from "./audience.js";
import type { Actor, DomainDeps } from "./context.js";
import { notify } from "./notify.js";
import { cleanLine } from "./validation.js";
import { toUser } from "./views.js";

export class Presences {
  constructor(
    private readonly deps: DomainDeps,
    private readonly audience: Audience,
  ) {
    deps.presence.onExpired((userIds) => {
      for (const userId of userIds)
        void this.wentOffline(userId, "timeout").catch((error) => this.logError(error));
    });
  }

  private logError(error: unknown): void {
    this.deps.log.error({ err: error }, "presence update failed");
  }

  /** A connection authenticated. */
  async connected(actor: Actor): Promise<void> {
    const { first } = await this.deps.presence.connect(actor.userId, actor.connId);
    if (!first) return;
    const user = await this.deps.store.getUserById(actor.userId);
    if (!user) return;
    await notify(this.deps.bus, await this.audience.related(actor.userId), {
      ev: "presence",
      username: user.username,
      online: true,
      reason: "login",
    });
  }

  /**
   * An authenticated connection ended. `message`: what the client said as it quit (IRC `QUIT :text`),
   * passed on with reason `quit` when this was the user's last connection — made one clean line of at
   * most QUIT_MESSAGE_MAX characters.
   */
  async disconnected(actor: Actor, reason: PresenceReason, message?: string): Promise<void> {
    const { last } = await this.deps.presence.disconnect(actor.userId, actor.connId);
    if (last) await this.wentOffline(actor.userId, reason, message);
  }

  private async wentOffline(userId: UserId, reason: PresenceReason, message?: string): Promise<void> {
    const { store, clock, bus } = this.deps;
    await store.setLastSeen(userId, clock.now());
    const user = await store.getUserById(userId);
    if (!user) return;
    const words = reason === "quit" && message !== undefined ? cleanLine(message, QUIT_MESSAGE_MAX) : "";
    await notify(bus, await this.audience.related(userId), {
      ev: "presence",
      username: user.username,
      online: false,
      reason,
      ...(words !== "" && { message: words }),
    });
  }

  async online(): Promise<OpResult<"users.online">> {
    // Capped before the store is asked, so one request costs at most ONLINE_MAX look-ups however many
    // are online (users.search finds anyone).
    const ids = (await this.deps.presence.onlineUsers()).slice(0, ONLINE_MAX);
    const users = await this.deps.store.getUsersByIds(ids);
    return { users: users.map((u) => toUser(u, true)).sort((a, b) => a.username.localeCompare(b.username)) };
  }

  async search(_actor: Actor, params: OpParams<"users.search">): Promise<OpResult<"users.search">> {
    const records = await this.deps.store.searchUsers(params.query.trim(), SEARCH_MAX);
    const online = await this.deps.presence.onlineAmong(records.map((r) => r.id));
    return { users: records.map((r) => toUser(r, online.has(r.id))) };
  }
}

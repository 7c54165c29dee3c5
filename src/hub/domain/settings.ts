/** Mutes and blocks: stored on the hub so they follow the user to every device. */
import type { OpParams, OpResult } from "../../protocol/ops.js";
import type { UserId } from "../store/store.js";
import type { Accounts } from "./accounts.js";
import type { Audience } from "./audience.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import { target } from "./messages.js";
import { notify } from "./notify.js";
import type { Rooms } from "./rooms.js";

export class Settings {
  constructor(
    private readonly deps: DomainDeps,
    private readonly audience: Audience,
    private readonly accounts: Accounts,
    private readonly rooms: Rooms,
  ) {}

  async get(userId: UserId): Promise<OpResult<"settings">> {
    const s = await this.deps.store.getSettings(userId);
    return { muted: { rooms: s.mutedRooms, users: s.mutedUsers }, blocked: s.blocked };
  }

  async mute(actor: Actor, params: OpParams<"mute">): Promise<void> {
    const to = target(params);
    const what =
      to.room !== undefined
        ? { roomId: (await this.rooms.find(to.room)).id }
        : { userId: (await this.accounts.findUser(to.user)).id };
    await this.deps.store.setMute(actor.userId, what, params.on);
    await this.changed(actor.userId);
  }

  async block(actor: Actor, params: OpParams<"block">): Promise<void> {
    const other = await this.accounts.findUser(params.user);
    if (other.id === actor.userId) fail("INVALID_PARAMS", "you cannot block yourself", { field: "user" });
    await this.deps.store.setBlock(actor.userId, other.id, params.on);
    await this.changed(actor.userId);
  }

  private async changed(userId: UserId): Promise<void> {
    await this.audience.changedUser(userId);
    await notify(this.deps.bus, [userId], { ev: "settings.changed", ...(await this.get(userId)) });
  }
}

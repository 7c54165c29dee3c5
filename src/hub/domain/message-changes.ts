/**
 * Edits, deletions and reactions: who may change which message, and who is told. Each change is stored
 * as an entry with the conversation's next seq (store.ts `appendEntry`), so it is delivered, replayed
 * after `resume` and repaired like a message.
 */
import type { OpParams, OpResult } from "../../protocol/ops.js";
import { isReactionEmoji } from "../../protocol/reactions.js";
import type { DeliverMessage } from "../bus/bus.js";
import { fold } from "../ids.js";
import type { ConvId, EntryKind, EntryRecord, MessageRecord, UserId } from "../store/store.js";
import type { Audience } from "./audience.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import { parseMessageId } from "./messages.js";
import { rank } from "./roles.js";
import { checkBody } from "./validation.js";
import { entryEvent } from "./views.js";

/** Where a message lives, as its reader sees it. */
type Place =
  | {
      kind: "room";
      convId: ConvId;
      roomId: number;
      room: string;
      actorRole: "owner" | "admin" | "member";
      e2e: boolean;
    }
  | { kind: "dm"; convId: ConvId; otherId: UserId; other: string };

export interface ChangeSettings {
  /** How long after sending the author may edit; 0: no limit. */
  editWindowMs: number;
  /** Different emoji one user may have on one message. */
  maxReactions: number;
}

/**
 * Edits and reactions travel as plain text, which the hub of an end-to-end encrypted room must never
 * see; until they are sealed like messages they are refused there. Deletion reveals nothing, so it stays.
 */
function refuseSealed(place: Place, what: string): void {
  if (place.kind === "room" && place.e2e) {
    fail("INVALID_PARAMS", `${place.room} is end-to-end encrypted: ${what} are not supported there yet`);
  }
}

export class MessageChanges {
  constructor(
    private readonly deps: DomainDeps,
    private readonly audience: Audience,
    private readonly settings: ChangeSettings,
  ) {}

  async edit(actor: Actor, params: OpParams<"msg.edit">): Promise<OpResult<"msg.edit">> {
    const body = checkBody(params.body, this.deps.maxBodyChars);
    await this.throttle(actor);
    const { message, place } = await this.readable(actor, params.messageId);
    if (message.fromUserId !== actor.userId) fail("FORBIDDEN", "only its author may edit a message");
    refuseSealed(place, "edits");
    const window = this.settings.editWindowMs;
    if (window > 0 && this.deps.clock.now() - message.ts > window) {
      fail("FORBIDDEN", `messages may be edited for ${formatWindow(window)} after sending`);
    }
    return this.change(actor, place, message, "edit", body, params.cid);
  }

  async delete(actor: Actor, params: OpParams<"msg.delete">): Promise<OpResult<"msg.delete">> {
    await this.throttle(actor);
    const { message, place } = await this.readable(actor, params.messageId);
    const own = message.fromUserId === actor.userId;
    if (!own) {
      // Moderation: in a room, an admin or the owner removes a message of someone of lower rank (or
      // of someone no longer a member); in a DM only the author deletes.
      if (place.kind === "dm") fail("FORBIDDEN", "only its author may delete a direct message");
      const author = await this.deps.store.getMember(place.roomId, message.fromUserId);
      if (rank(place.actorRole) < 2 || rank(author?.role) >= rank(place.actorRole)) {
        fail("FORBIDDEN", "only the author, or a room admin above the author's rank, may delete a message");
      }
    }
    const result = await this.change(actor, place, message, "delete", "", params.cid);
    if (!own && place.kind === "room" && result.seq !== undefined)
      await this.logModeration(actor, place, message);
    return result;
  }

  async react(actor: Actor, params: OpParams<"msg.react">): Promise<OpResult<"msg.react">> {
    if (!isReactionEmoji(params.emoji)) {
      fail("INVALID_PARAMS", "emoji: give one emoji, or a short name like :tada:", { field: "emoji" });
    }
    await this.throttle(actor);
    const { message, place } = await this.readable(actor, params.messageId);
    refuseSealed(place, "reactions");
    return this.change(actor, place, message, params.on ? "react" : "unreact", params.emoji, params.cid);
  }

  /** Edits and reactions count against the sender's message rate, like sends. */
  private async throttle(actor: Actor): Promise<void> {
    const wait = await this.deps.limiters.messages.take(String(actor.userId));
    if (wait > 0) fail("RATE_LIMITED", "you are changing messages too fast", { retryAfterMs: wait });
  }

  /** The message, if it exists in a room the actor is a member of now or in one of their DMs. */
  private async readable(actor: Actor, messageId: string): Promise<{ message: MessageRecord; place: Place }> {
    const id = parseMessageId(messageId);
    const message = id === undefined ? undefined : await this.deps.store.getMessage(id);
    const place = message && (await this.placeOf(actor.userId, message.convId));
    if (!message || !place || message.deleted) fail("NO_SUCH_MESSAGE", "there is no such message");
    return { message, place };
  }

  private async placeOf(userId: UserId, convId: ConvId): Promise<Place | undefined> {
    const { store } = this.deps;
    const rooms = await store.roomsOfUser(userId);
    const inRoom = rooms.find(({ room }) => room.convId === convId);
    if (inRoom) {
      return {
        kind: "room",
        convId,
        roomId: inRoom.room.id,
        room: inRoom.room.name,
        actorRole: inRoom.role,
        e2e: inRoom.room.e2e === true,
      };
    }
    const dm = (await store.dmConversations(userId)).find((c) => c.convId === convId);
    return dm && { kind: "dm", convId, otherId: dm.otherUserId, other: dm.otherUsername };
  }

  private async change(
    actor: Actor,
    place: Place,
    message: MessageRecord,
    kind: EntryKind,
    body: string,
    cid: string | undefined,
  ): Promise<{ seq?: number }> {
    const { store, clock } = this.deps;
    // A DM party who blocks the actor never sees their changes (as with their messages).
    const hidden = place.kind === "dm" && (await store.isBlocked(actor.userId, place.otherId));
    const result = await store.appendEntry({
      convId: place.convId,
      messageId: message.id,
      userId: actor.userId,
      kind,
      body,
      ts: clock.now(),
      ...(cid !== undefined && { cid }),
      ...(hidden && place.kind === "dm" && { hiddenFor: place.otherId }),
      ...(kind === "react" && { maxReactions: this.settings.maxReactions }),
    });
    switch (result.result) {
      case "gone":
        return fail("NO_SUCH_MESSAGE", "there is no such message");
      case "limit":
        return fail(
          "FORBIDDEN",
          `at most ${this.settings.maxReactions} different reactions per message each`,
        );
      case "unchanged":
        return {};
      case "duplicate":
        // A retry: told the first time; whoever missed it gets it on resume.
        return { seq: result.entry.seq };
      case "stored":
        await this.publish(actor, place, result.entry, hidden);
        return { seq: result.entry.seq };
    }
  }

  private async publish(actor: Actor, place: Place, entry: EntryRecord, hidden: boolean): Promise<void> {
    const { bus } = this.deps;
    const { convId: conv, seq } = entry;
    const echo = entry.cid !== undefined ? { echo: { userId: actor.userId, cid: entry.cid } } : {};
    const isReaction = entry.kind === "react" || entry.kind === "unreact";
    const actorKey = fold(entry.user);
    if (place.kind === "dm") {
      const mine: DeliverMessage = {
        kind: "deliver",
        to: [actor.userId],
        event: entryEvent(entry, { conv: `dm:${place.other}` }),
        conv,
        seq,
        ...echo,
      };
      const sends = [bus.publish(mine)];
      if (hidden) {
        sends.push(bus.publish({ kind: "advance", to: [place.otherId], conv, seq }));
      } else {
        const theirs: DeliverMessage = {
          kind: "deliver",
          to: [place.otherId],
          event: entryEvent(entry, { conv: `dm:${entry.user}` }),
          conv,
          seq,
        };
        const settings = await this.audience.settings(place.otherId);
        if (entry.kind === "edit" && settings.users.has(actorKey)) theirs.mutedFor = [place.otherId];
        sends.push(bus.publish(theirs));
      }
      await Promise.all(sends);
      return;
    }
    const audience = await this.audience.roomAudience(place.roomId, place.room);
    const to: UserId[] = [];
    const blockers: UserId[] = [];
    const mutedFor: UserId[] = [];
    for (const id of audience.ids) {
      if (id !== actor.userId && isReaction && (await this.audience.settings(id)).blocked.has(actorKey)) {
        // A blocked user's reactions are not shown: the seq is skipped, not waited for.
        blockers.push(id);
        continue;
      }
      to.push(id);
      if (entry.kind === "edit" && id !== actor.userId) {
        if (audience.mutesRoom.has(id) || audience.mutesUsers.get(id)?.has(actorKey)) mutedFor.push(id);
      }
    }
    const message: DeliverMessage = {
      kind: "deliver",
      to,
      event: entryEvent(entry, { room: place.room }),
      conv,
      seq,
      ...echo,
    };
    if (mutedFor.length > 0) message.mutedFor = mutedFor;
    const sends = [bus.publish(message)];
    if (blockers.length > 0) sends.push(bus.publish({ kind: "advance", to: blockers, conv, seq }));
    await Promise.all(sends);
  }

  private async logModeration(actor: Actor, place: Place & { kind: "room" }, message: MessageRecord) {
    const { store, clock, log } = this.deps;
    const moderator = (await store.getUserById(actor.userId))?.username ?? String(actor.userId);
    const entry = {
      at: clock.now(),
      actor: moderator,
      action: "room.message.delete",
      target: place.room,
      detail: `message ${message.id} by ${message.from}`,
    };
    log.info({ audit: entry }, "room moderation: message deleted");
    await store.appendAudit(entry);
  }
}

function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

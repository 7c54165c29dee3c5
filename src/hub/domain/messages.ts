/** Room and direct messages: send (stored before anyone hears of it), history, unread, read markers, replay. */
import { HISTORY_PAGE, RESUME_REPLAY_MAX } from "../../protocol/limits.js";
import type { Message } from "../../protocol/model.js";
import type { OpParams, OpResult } from "../../protocol/ops.js";
import { dmCursor, fold, foldCursors, roomCursor } from "../ids.js";
import type { ConvId, MessageRecord, UserId } from "../store/store.js";
import type { Accounts } from "./accounts.js";
import type { Audience, RoomRef } from "./audience.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import { notify } from "./notify.js";
import type { Rooms } from "./rooms.js";
import { checkBody } from "./validation.js";
import { toMessage } from "./views.js";

type Target = { room: string; user?: undefined } | { user: string; room?: undefined };

/** Exactly one of `room` and `user`. */
export function target(params: { room?: string | undefined; user?: string | undefined }): Target {
  if ((params.room === undefined) === (params.user === undefined)) {
    fail("INVALID_PARAMS", "give exactly one of `room` and `user`", { field: "room" });
  }
  return params.room !== undefined ? { room: params.room } : { user: params.user as string };
}

export class Messages {
  constructor(
    private readonly deps: DomainDeps,
    private readonly audience: Audience,
    private readonly accounts: Accounts,
    private readonly rooms: Rooms,
  ) {}

  /**
   * `queued` is called once the message has its place in the store's order (appendMessage called, not
   * yet committed), so the caller may start the sender's next message without waiting for the commit
   * and still have them stored in the order sent.
   */
  async send(actor: Actor, params: OpParams<"msg.send">, queued?: () => void): Promise<OpResult<"msg.send">> {
    const to = target(params);
    const body = checkBody(params.body, this.deps.maxBodyChars);
    const wait = await this.deps.limiters.messages.take(String(actor.userId));
    if (wait > 0) fail("RATE_LIMITED", "you are sending too fast", { retryAfterMs: wait });
    const { message } =
      to.room !== undefined
        ? await this.sendToRoom(actor, to.room, body, params.cid, queued)
        : await this.sendToUser(actor, to.user, body, params.cid, queued);
    return { id: String(message.id), seq: message.seq, ts: message.ts };
  }

  private async sendToRoom(actor: Actor, name: string, body: string, cid: string, queued?: () => void) {
    const room = await this.rooms.ref(name);
    await this.rooms.requireMember(room, actor.userId);
    const stored = this.deps.store.appendMessage({
      convId: room.convId,
      fromUserId: actor.userId,
      body,
      cid,
      ts: this.deps.clock.now(),
    });
    queued?.();
    const result = await stored;
    // A retried send was fanned out the first time; members who missed it get it on resume.
    if (!result.duplicate) await this.fanOutRoom(room, result.message);
    return result;
  }

  private async fanOutRoom(room: RoomRef, record: MessageRecord): Promise<void> {
    const audience = await this.audience.roomAudience(room.id, room.name);
    const where = { room: room.name };
    const senderKey = fold(record.from);
    const someMuteUsers = audience.mutesUsers.size > 0;
    const plain: UserId[] = [];
    const muted: UserId[] = [];
    for (const id of audience.ids) {
      if (id === record.fromUserId) continue;
      const isMuted =
        audience.mutesRoom.has(id) || (someMuteUsers && audience.mutesUsers.get(id)?.has(senderKey));
      (isMuted ? muted : plain).push(id);
    }
    const { bus } = this.deps;
    await Promise.all([
      notify(bus, [record.fromUserId], { ev: "message", ...toMessage(record, where, { withCid: true }) }),
      notify(bus, plain, { ev: "message", ...toMessage(record, where) }),
      notify(bus, muted, { ev: "message", ...toMessage(record, where, { muted: true }) }),
    ]);
  }

  private async sendToUser(actor: Actor, username: string, body: string, cid: string, queued?: () => void) {
    const { store, clock, bus } = this.deps;
    const other = await this.accounts.findUser(username);
    if (other.id === actor.userId)
      fail("INVALID_PARAMS", "you cannot send a direct message to yourself", { field: "user" });
    const convId = await this.dmConversation(actor.userId, other.id, true);
    const blocked = await store.isBlocked(actor.userId, other.id);
    const stored = store.appendMessage({
      convId,
      fromUserId: actor.userId,
      body,
      cid,
      ts: clock.now(),
      ...(blocked && { hiddenFor: other.id }),
    });
    queued?.();
    const result = await stored;
    if (result.duplicate) return result;
    const me = result.message.from;
    const sends = [
      notify(bus, [actor.userId], {
        ev: "message",
        ...toMessage(result.message, { user: other.username }, { withCid: true }),
      }),
    ];
    if (!blocked) {
      const settings = await this.audience.settings(other.id);
      const muted = settings.users.has(fold(me));
      sends.push(
        notify(bus, [other.id], { ev: "message", ...toMessage(result.message, { user: me }, { muted }) }),
      );
    }
    await Promise.all(sends);
    return result;
  }

  private async dmConversation(a: UserId, b: UserId, create: true): Promise<ConvId>;
  private async dmConversation(a: UserId, b: UserId, create: false): Promise<ConvId | undefined>;
  private async dmConversation(a: UserId, b: UserId, create: boolean): Promise<ConvId | undefined> {
    return this.deps.store.getDmConversation(a, b, create);
  }

  private static query(params: {
    before?: number | undefined;
    after?: number | undefined;
    limit?: number | undefined;
  }) {
    if (params.before !== undefined && params.after !== undefined) {
      fail("INVALID_PARAMS", "give at most one of `before` and `after`", { field: "before" });
    }
    return {
      limit: params.limit ?? HISTORY_PAGE,
      ...(params.before !== undefined && { before: params.before }),
      ...(params.after !== undefined && { after: params.after }),
    };
  }

  async roomHistory(actor: Actor, params: OpParams<"room.history">): Promise<OpResult<"room.history">> {
    const query = Messages.query(params);
    const room = await this.rooms.find(params.room);
    await this.rooms.requireMember(room, actor.userId);
    const records = await this.deps.store.history(room.convId, query, actor.userId);
    return { messages: records.map((m) => this.view(m, actor.userId, { room: room.name })) };
  }

  async dmHistory(actor: Actor, params: OpParams<"dm.history">): Promise<OpResult<"dm.history">> {
    const query = Messages.query(params);
    const other = await this.accounts.findUser(params.user);
    const convId = await this.dmConversation(actor.userId, other.id, false);
    if (convId === undefined) return { messages: [] };
    const records = await this.deps.store.history(convId, query, actor.userId);
    return { messages: records.map((m) => this.view(m, actor.userId, { user: other.username })) };
  }

  private view(record: MessageRecord, viewer: UserId, where: { room: string } | { user: string }): Message {
    return toMessage(record, where, { withCid: record.fromUserId === viewer });
  }

  async dmList(actor: Actor): Promise<OpResult<"dm.list">> {
    const conversations = await this.deps.store.dmConversations(actor.userId);
    // A conversation holding only a blocked user's messages would show up empty and give them away.
    return {
      conversations: conversations
        .filter((c) => c.hasVisible)
        .map((c) => ({
          user: c.otherUsername,
          lastSeq: c.lastSeq,
          unread: c.unread,
        })),
    };
  }

  async read(actor: Actor, params: OpParams<"read">): Promise<void> {
    const to = target(params);
    let convId: ConvId | undefined;
    let where: { room: string } | { user: string };
    if (to.room !== undefined) {
      const room = await this.rooms.find(to.room);
      await this.rooms.requireMember(room, actor.userId);
      convId = room.convId;
      where = { room: room.name };
    } else {
      const other = await this.accounts.findUser(to.user);
      convId = await this.dmConversation(actor.userId, other.id, false);
      where = { user: other.username };
    }
    if (convId === undefined) return;
    // A marker past the last message would count the next messages as read and skip them on resume.
    const seq = Math.min(params.seq, await this.deps.store.lastSeq(convId));
    await this.deps.store.setRead(actor.userId, convId, seq);
    await notify(this.deps.bus, [actor.userId], { ev: "read.changed", ...where, seq }, actor.connId);
  }

  /** The last seq of each of the user's rooms and DM conversations, keyed like `resume` cursors. */
  async lastSeqs(userId: UserId): Promise<Map<string, number>> {
    const { store } = this.deps;
    const [rooms, dms] = await Promise.all([store.roomsOfUser(userId), store.dmConversations(userId)]);
    const out = new Map<string, number>();
    for (const { room } of rooms) out.set(roomCursor(room.name), room.lastSeq);
    for (const dm of dms) out.set(dmCursor(dm.otherUsername), dm.lastSeq);
    return out;
  }

  /**
   * Messages missed while away: for each room and DM conversation, those after the client's cursor
   * ("room:NAME" / "dm:USER"), or after the read marker when the client sent none. Oldest first per
   * conversation; at most RESUME_REPLAY_MAX each (the client pages the rest with history).
   */
  async replay(userId: UserId, cursors: Record<string, number> = {}): Promise<Message[]> {
    const { store } = this.deps;
    const lowered = foldCursors(cursors);
    const out: Message[] = [];
    const settings = await this.audience.settings(userId);
    const collect = async (convId: ConvId, key: string, where: { room: string } | { user: string }) => {
      const after = lowered.get(key) ?? (await store.getRead(userId, convId));
      const lastSeq = await store.lastSeq(convId);
      if (lastSeq <= after) return;
      // The oldest missed ones first: page forward from the cursor.
      const records = await store.history(convId, { after, limit: RESUME_REPLAY_MAX }, userId);
      for (const record of records) {
        const muted =
          record.fromUserId !== userId &&
          (("room" in where && settings.rooms.has(fold(where.room))) ||
            settings.users.has(fold(record.from)));
        out.push(toMessage(record, where, { withCid: record.fromUserId === userId, muted }));
      }
    };
    for (const { room } of await store.roomsOfUser(userId)) {
      await collect(room.convId, roomCursor(room.name), { room: room.name });
    }
    for (const dm of await store.dmConversations(userId)) {
      await collect(dm.convId, dmCursor(dm.otherUsername), { user: dm.otherUsername });
    }
    return out;
  }
}

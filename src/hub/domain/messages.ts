/** Room and direct messages: send (stored before anyone hears of it), history, unread, read markers, replay. */
import { randomBytes } from "node:crypto";
import { HISTORY_PAGE, RESUME_REPLAY_MAX } from "../../protocol/limits.js";
import type { FileInfo, Message } from "../../protocol/model.js";
import type { OpParams, OpResult } from "../../protocol/ops.js";
import { dmCursor, fold, foldCursors, roomCursor } from "../ids.js";
import {
  StoreGoneError,
  type AppendResult,
  type ConvId,
  type EntryRecord,
  type MessageRecord,
  type ReactionCounts,
  type UserId,
} from "../store/store.js";
import type { Accounts } from "./accounts.js";
import type { AnyEvent } from "../../protocol/events.js";
import type { DeliverMessage } from "../bus/bus.js";
import type { Audience, MuteSettings, RoomAudience, RoomRef } from "./audience.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import type { Files } from "./files.js";
import { notify } from "./notify.js";
import type { Rooms } from "./rooms.js";
import { assertCanPost } from "./roles.js";
import { checkBody, checkClientTags } from "./validation.js";
import { entryEvent, quoteOf, toMessage } from "./views.js";
import { admitEnvelope, parseStored, type StoredEnvelope } from "./e2e-rooms.js";
import type { E2eEnvelope } from "../../protocol/e2e.js";

type Target = { room: string; user?: undefined } | { user: string; room?: undefined };
type SendParams = {
  file?: string | undefined;
  cid: string;
  e2e?: E2eEnvelope | undefined;
  replyTo?: string | undefined;
};
/** What a send stores besides its body: a notice flag and client-only tags (both checked). */
type Extras = { notice?: true; clientTags?: Record<string, string> };

/** A message id from a request: the decimal id the hub gave, or nothing (never a match). */
export function parseMessageId(id: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : undefined;
}

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
    private readonly files?: Files,
  ) {}

  /**
   * `queued` is called once the message has its place in the store's order (appendMessage called, not
   * yet committed), so the caller may start the sender's next message without waiting for the commit
   * and still have them stored in the order sent.
   */
  async send(actor: Actor, params: OpParams<"msg.send">, queued?: () => void): Promise<OpResult<"msg.send">> {
    const to = target(params);
    if (params.e2e !== undefined) {
      // The words are inside the envelope; a file would go to the hub in the clear, so not yet.
      if (to.room === undefined) fail("INVALID_PARAMS", "`e2e` is for rooms only", { field: "e2e" });
      if (params.body !== "")
        fail("INVALID_PARAMS", "`body` must be empty beside `e2e`: the hub must not see it", {
          field: "body",
        });
      if (params.file !== undefined)
        fail("INVALID_PARAMS", "files cannot be sent to an end-to-end encrypted room yet", { field: "file" });
      // Tags travel in the clear beside the envelope: the hub would read them.
      if (params.clientTags !== undefined && Object.keys(params.clientTags).length > 0)
        fail("INVALID_PARAMS", "client tags cannot go to an end-to-end encrypted room", {
          field: "clientTags",
        });
    }
    const clientTags = checkClientTags(params.clientTags);
    const extras: Extras = {
      ...(params.notice === true && { notice: true as const }),
      ...(clientTags && { clientTags }),
    };
    // A file may go without words; an envelope carries them sealed.
    const body =
      params.e2e !== undefined || (params.file !== undefined && params.body.trim() === "")
        ? ""
        : checkBody(params.body, this.deps.maxBodyChars);
    const limiter = this.deps.limiters.messages;
    const key = String(actor.userId);
    const wait = limiter.takeSync ? limiter.takeSync(key) : await limiter.take(key);
    if (wait > 0) fail("RATE_LIMITED", "you are sending too fast", { retryAfterMs: wait });
    const { message } =
      to.room !== undefined
        ? await this.sendToRoom(actor, to.room, body, params, extras, queued)
        : await this.sendToUser(actor, to.user, body, params, extras, queued);
    return { id: String(message.id), seq: message.seq, ts: message.ts };
  }

  /**
   * Client tags without a message (IRC TAGMSG): the same target rules as `send` (membership, blocks),
   * its own rate limit, and nothing stored — an unsequenced `tagmsg` event to whoever is online now.
   */
  async tagmsg(actor: Actor, params: OpParams<"msg.tagmsg">): Promise<OpResult<"msg.tagmsg">> {
    const to = target(params);
    const clientTags = checkClientTags(params.clientTags);
    if (!clientTags) fail("INVALID_PARAMS", "clientTags: give at least one tag", { field: "clientTags" });
    const limiter = this.deps.limiters.tagmsgs;
    const key = String(actor.userId);
    const wait = limiter.takeSync ? limiter.takeSync(key) : await limiter.take(key);
    if (wait > 0) fail("RATE_LIMITED", "you are sending too fast", { retryAfterMs: wait });
    const { bus, clock } = this.deps;
    const sender = await this.accounts.requireUser(actor.userId);
    const base = {
      id: `t${randomBytes(8).toString("hex")}`,
      ts: clock.now(),
      from: sender.username,
      clientTags,
    };
    const echo = params.cid === undefined ? {} : { echo: { userId: actor.userId, cid: params.cid } };
    if (to.room !== undefined) {
      const room = await this.senderRoom(actor, to.room);
      // Fanned out like a room message; blocks do not apply in rooms (as for messages).
      if (room.e2e)
        fail("INVALID_PARAMS", "client tags cannot go to an end-to-end encrypted room", { field: "room" });
      const audience = await this.audience.roomAudience(room.id, room.name);
      await bus.publish({
        kind: "deliver",
        to: audience.ids,
        event: { ev: "tagmsg", ...base, room: room.name },
        ...echo,
      });
      return { id: base.id, ts: base.ts };
    }
    const other = await this.accounts.findUser(to.user);
    const sends = [
      bus.publish({
        kind: "deliver",
        to: [actor.userId],
        event: { ev: "tagmsg", ...base, user: other.username },
        ...echo,
      }),
    ];
    // Someone who blocks the sender hears nothing of it (and the sender is not told).
    if (other.id !== actor.userId && !(await this.deps.store.isBlocked(actor.userId, other.id))) {
      sends.push(
        bus.publish({
          kind: "deliver",
          to: [other.id],
          event: { ev: "tagmsg", ...base, user: sender.username },
        }),
      );
    }
    await Promise.all(sends);
    return { id: base.id, ts: base.ts };
  }

  /** The room a user sends to: it exists and they are a member (the usual case answered from the cache). */
  private senderRoom(actor: Actor, name: string): RoomRef | Promise<RoomRef> {
    const room = this.audience.roomRefNow(name);
    const ready = room && this.audience.roomAudienceNow(room.id);
    // A moderated room takes the slow path: whether this member may post is read from the store.
    if (room && ready && ready.members.has(actor.userId) && !room.moderated) return room;
    return this.rooms.ref(name).then(async (ref) => {
      const member = await this.rooms.requireMember(ref, actor.userId);
      assertCanPost(member, ref.moderated, ref.name);
      return ref;
    });
  }

  /**
   * Attaches the send's file before the message is stored, so a stored message never lacks its file;
   * `settle` undoes the attachment when the store says the send was a retry of an earlier one. Only
   * called for a send with a file: the usual send waits on no promise for it.
   */
  private async attachFile(actor: Actor, fileId: string, cid: string, convId: ConvId) {
    if (!this.files) fail("NO_SUCH_FILE", "this hub does not share files");
    const files = this.files;
    const { info, fresh } = await files.attach(actor, fileId, cid, convId);
    return {
      file: info,
      settle: async (duplicate: boolean) => {
        if (duplicate && fresh) await files.detach(fileId, cid);
      },
    };
  }

  private async sendToRoom(
    actor: Actor,
    name: string,
    body: string,
    params: SendParams,
    extras: Extras,
    queued?: () => void,
  ) {
    // The usual case answers from the audience cache without waiting on a promise.
    const found = this.senderRoom(actor, name);
    const room = found instanceof Promise ? await found : found;
    if (room.e2e && params.replyTo !== undefined) {
      // A reply's quote is built by the hub from the original's text, which it cannot read here.
      fail("INVALID_PARAMS", `${room.name} is end-to-end encrypted: replies are not supported there yet`, {
        field: "replyTo",
      });
    }
    let sealed: { stored: string; envelope: StoredEnvelope } | undefined;
    if (room.e2e !== (params.e2e !== undefined)) {
      fail(
        "INVALID_PARAMS",
        room.e2e
          ? `${room.name} is end-to-end encrypted: send the message sealed (\`e2e\`)`
          : `${room.name} is not end-to-end encrypted`,
        { field: "e2e" },
      );
    }
    if (params.e2e !== undefined) {
      const members = await this.audience.members(room.id);
      sealed = admitEnvelope(params.e2e, members, this.deps.e2eMaxDevices);
    }
    const reply = params.replyTo === undefined ? undefined : await this.original(params.replyTo, room.convId);
    const attached =
      params.file === undefined
        ? undefined
        : await this.attachFile(actor, params.file, params.cid, room.convId);
    const stored = this.deps.store.appendMessage({
      convId: room.convId,
      fromUserId: actor.userId,
      // In an e2e room the body column holds the sealed envelope (ciphertext only).
      body: sealed?.stored ?? body,
      cid: params.cid,
      ts: this.deps.clock.now(),
      ...(reply && { replyTo: reply.id }),
      ...extras,
    });
    queued?.();
    let result: AppendResult;
    try {
      result = await stored;
    } catch (error) {
      // The room may be deleted between the membership check and the append: an expected race.
      if (error instanceof StoreGoneError) fail("NO_SUCH_ROOM", `there is no room named ${name}`);
      throw error;
    }
    if (attached) await attached.settle(result.duplicate);
    // A retried send was fanned out the first time; members who missed it get it on resume.
    if (!result.duplicate) {
      await this.fanOutRoom(
        room,
        withQuote(result.message, reply),
        attached?.file,
        sealed?.envelope ?? (room.e2e ? parseStored(result.message.body) : undefined),
      );
    }
    return result;
  }

  /** The message a reply answers: of the same conversation, not deleted. */
  private async original(replyTo: string, convId: ConvId): Promise<MessageRecord> {
    const id = parseMessageId(replyTo);
    const original = id === undefined ? undefined : await this.deps.store.getMessage(id);
    if (!original || original.convId !== convId || original.deleted) {
      fail("NO_SUCH_MESSAGE", "there is no such message in this conversation to reply to", {
        field: "replyTo",
      });
    }
    return original;
  }

  /**
   * One bus message per room message, whatever its receivers: the audience array is the cached one
   * (not copied), and mutes and the sender's own copy are flags the gateway applies (bus.ts).
   */
  private fanOutRoom(
    room: RoomRef,
    record: MessageRecord,
    file?: FileInfo,
    sealed?: StoredEnvelope,
  ): Promise<void> | void {
    const audience = this.audience.roomAudienceNow(room.id);
    if (audience) return this.publishRoom(room, record, audience, file, sealed);
    return this.audience
      .roomAudience(room.id, room.name)
      .then((a) => this.publishRoom(room, record, a, file, sealed));
  }

  private publishRoom(
    room: RoomRef,
    record: MessageRecord,
    audience: RoomAudience,
    file?: FileInfo,
    sealed?: StoredEnvelope,
  ): Promise<void> {
    let mutedFor: UserId[] | undefined;
    if (audience.mutesRoom.size > 0 || audience.mutesUsers.size > 0) {
      const senderKey = fold(record.from);
      for (const id of audience.ids) {
        if (id === record.fromUserId) continue;
        if (audience.mutesRoom.has(id) || audience.mutesUsers.get(id)?.has(senderKey)) {
          (mutedFor ??= []).push(id);
        }
      }
    }
    const message: DeliverMessage = {
      kind: "deliver",
      to: audience.ids,
      event: messageEvent(record, room.name, undefined, file, sealed !== undefined),
      conv: record.convId,
      seq: record.seq,
    };
    // Each member's copy differs only by their own devices' sealed keys (Delivery's Forms add them).
    if (sealed) message.e2e = { header: JSON.stringify(sealed.header), keys: sealed.keys };
    if (record.cid !== undefined) message.echo = { userId: record.fromUserId, cid: record.cid };
    if (mutedFor) message.mutedFor = mutedFor;
    return this.deps.bus.publish(message);
  }

  private async sendToUser(
    actor: Actor,
    username: string,
    body: string,
    params: SendParams,
    extras: Extras,
    queued?: () => void,
  ) {
    const { cid } = params;
    const { store, clock, bus } = this.deps;
    const other = await this.accounts.findUser(username);
    // A DM to yourself (a note to self) is a conversation of one: stored once, sent to your devices.
    const toSelf = other.id === actor.userId;
    const convId = await this.dmConversation(actor.userId, other.id, true);
    const reply = params.replyTo === undefined ? undefined : await this.original(params.replyTo, convId);
    const blocked = !toSelf && (await store.isBlocked(actor.userId, other.id));
    const attached =
      params.file === undefined ? undefined : await this.attachFile(actor, params.file, cid, convId);
    const file = attached?.file;
    const stored = store.appendMessage({
      convId,
      fromUserId: actor.userId,
      body,
      cid,
      ts: clock.now(),
      ...(blocked && { hiddenFor: other.id }),
      ...(reply && { replyTo: reply.id }),
      ...extras,
    });
    queued?.();
    const result = await stored;
    if (attached) await attached.settle(result.duplicate);
    if (result.duplicate) return result;
    const record = withQuote(result.message, reply);
    const { convId: conv, seq } = record;
    const sent: DeliverMessage = {
      kind: "deliver",
      to: [actor.userId],
      event: messageEvent(record, undefined, other.username, file),
      conv,
      seq,
      echo: { userId: actor.userId, cid },
    };
    const sends = [bus.publish(sent)];
    if (toSelf) {
      // The sender's copy is the only one: every device of theirs gets it (with the cid).
    } else if (blocked) {
      // Hidden from them: their connections skip the seq instead of waiting for it.
      sends.push(bus.publish({ kind: "advance", to: [other.id], conv, seq }));
    } else {
      const settings = await this.audience.settings(other.id);
      const received: DeliverMessage = {
        kind: "deliver",
        to: [other.id],
        event: messageEvent(record, undefined, record.from, file),
        conv,
        seq,
      };
      if (settings.users.has(fold(record.from))) received.mutedFor = [other.id];
      sends.push(bus.publish(received));
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
    const [files, reactions] = await Promise.all([
      this.filesOf(records),
      this.reactionsOf(records, actor.userId),
    ]);
    return {
      messages: records.map((m) =>
        this.view(m, actor.userId, { room: room.name }, files, reactions, room.e2e === true),
      ),
    };
  }

  async dmHistory(actor: Actor, params: OpParams<"dm.history">): Promise<OpResult<"dm.history">> {
    const query = Messages.query(params);
    const other = await this.accounts.findUser(params.user);
    const convId = await this.dmConversation(actor.userId, other.id, false);
    if (convId === undefined) return { messages: [] };
    const records = await this.deps.store.history(convId, query, actor.userId);
    const [files, reactions] = await Promise.all([
      this.filesOf(records),
      this.reactionsOf(records, actor.userId),
    ]);
    return {
      messages: records.map((m) => this.view(m, actor.userId, { user: other.username }, files, reactions)),
    };
  }

  private async filesOf(records: readonly MessageRecord[]): Promise<Map<number, FileInfo>> {
    return (await this.files?.ofMessages(records)) ?? new Map<number, FileInfo>();
  }

  private reactionsOf(
    records: readonly MessageRecord[],
    viewer: UserId,
  ): Promise<Map<number, ReactionCounts>> {
    return this.deps.store.reactions(
      records.map((r) => r.id),
      viewer,
    );
  }

  private view(
    record: MessageRecord,
    viewer: UserId,
    where: { room: string } | { user: string },
    files: Map<number, FileInfo>,
    reactions: Map<number, ReactionCounts>,
    e2e = false,
  ): Message {
    return toMessage(record, where, {
      withCid: record.fromUserId === viewer,
      file: files.get(record.id),
      reactions: reactions.get(record.id),
      e2eFor: e2e ? viewer : undefined,
    });
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

  /**
   * What a connection needs when a session starts on it: the last seq of each of the user's
   * conversations (read before the replay, so anything stored meanwhile is above it) and, for a
   * resume, the sequenced events missed while away — after the client's cursor ("room:NAME" /
   * "dm:USER"), or after the read marker for a conversation it sent none for; oldest first, at most
   * RESUME_REPLAY_MAX per conversation (the client pages the rest with history).
   */
  async catchUp(userId: UserId, resume?: { cursors?: Record<string, number> }): Promise<CatchUp> {
    const conversations = await this.conversationsOf(userId);
    const last = new Map<ConvId, number>();
    for (const c of conversations) last.set(c.convId, c.lastSeq);
    if (!resume) return { last, missed: [] };
    const cursors = foldCursors(resume.cursors);
    const missed = await this.collect(userId, conversations, async (c) => {
      return cursors.get(c.key) ?? (await this.deps.store.getRead(userId, c.convId));
    });
    return { last, missed };
  }

  /** The sequenced events after each given cursor, as this user sees them (gap repair). */
  async missed(userId: UserId, after: ReadonlyMap<ConvId, number>): Promise<SequencedEvent[]> {
    const conversations = (await this.conversationsOf(userId)).filter((c) => after.has(c.convId));
    return this.collect(userId, conversations, async (c) => after.get(c.convId)!);
  }

  private async conversationsOf(userId: UserId): Promise<Conversation[]> {
    const { store } = this.deps;
    const [rooms, dms] = await Promise.all([store.roomsOfUser(userId), store.dmConversations(userId)]);
    return [
      ...rooms.map(({ room }) => ({
        convId: room.convId,
        lastSeq: room.lastSeq,
        key: roomCursor(room.name) as string,
        room: room.name,
        e2e: room.e2e === true,
      })),
      ...dms.map((dm) => ({
        convId: dm.convId,
        lastSeq: dm.lastSeq,
        key: dmCursor(dm.otherUsername) as string,
        user: dm.otherUsername,
      })),
    ];
  }

  private async collect(
    userId: UserId,
    conversations: readonly Conversation[],
    after: (c: Conversation) => Promise<number>,
  ): Promise<SequencedEvent[]> {
    const { store } = this.deps;
    const out: SequencedEvent[] = [];
    const settings = await this.audience.settings(userId);
    for (const c of conversations) {
      const from = await after(c);
      if (c.lastSeq <= from) continue;
      // The oldest missed ones first: page forward from the cursor. Edits, deletions and reactions
      // come in their places, under the event names they have live.
      const items = await store.sequenced(c.convId, from, RESUME_REPLAY_MAX, userId);
      const records = items.flatMap((i) => (i.message ? [i.message] : []));
      const files = await this.filesOf(records);
      const roomMuted = c.room !== undefined && settings.rooms.has(fold(c.room));
      for (const { message: record, entry } of items) {
        if (entry) {
          const event = replayedEntry(entry, c, userId, settings, roomMuted);
          if (event) out.push({ conv: c.convId, seq: entry.seq, event });
          continue;
        }
        const own = record.fromUserId === userId;
        const muted = !own && (roomMuted || settings.users.has(fold(record.from)));
        const where = c.room !== undefined ? { room: c.room } : { user: c.user! };
        const event = {
          ev: "message" as const,
          ...toMessage(record, where, {
            withCid: own,
            muted,
            file: files.get(record.id),
            e2eFor: c.e2e === true ? userId : undefined,
          }),
        };
        out.push({ conv: c.convId, seq: record.seq, event });
      }
    }
    return out;
  }
}

/** A room's or DM's identity as the user sees it, with its resume cursor key. */
interface Conversation {
  convId: ConvId;
  lastSeq: number;
  key: string;
  room?: string;
  user?: string;
  e2e?: boolean;
}

/** A sequenced event of a conversation, as one user is shown it. */
export interface SequencedEvent {
  conv: ConvId;
  seq: number;
  event: AnyEvent;
}

export interface CatchUp {
  last: Map<ConvId, number>;
  missed: SequencedEvent[];
}

/**
 * An entry as one user is replayed it, as it was live: with `cid` on their own, `muted` on an edit in
 * a room or from a user they mute; nothing for a reaction by a user they block.
 */
function replayedEntry(
  entry: EntryRecord,
  c: Conversation,
  userId: UserId,
  settings: MuteSettings,
  roomMuted: boolean,
): AnyEvent | undefined {
  const own = entry.userId === userId;
  const byKey = fold(entry.user);
  if (!own && (entry.kind === "react" || entry.kind === "unreact") && settings.blocked.has(byKey))
    return undefined;
  const event: AnyEvent = entryEvent(
    entry,
    c.room !== undefined ? { room: c.room } : { conv: `dm:${c.user!}` },
  );
  if (own && entry.cid !== undefined) event.cid = entry.cid;
  if (!own && event.ev === "message.edited" && (roomMuted || settings.users.has(byKey))) event.muted = true;
  return event;
}

/** The record with its original's quote, for the live event of a reply. */
function withQuote(record: MessageRecord, original: MessageRecord | undefined): MessageRecord {
  if (!original) return record;
  return {
    ...record,
    replyTo: original.id,
    reply: { seq: original.seq, from: original.from, body: original.body, deleted: false },
  };
}

/** A stored message as the `message` event every receiver of one bus message shares (no cid, no muted). */
function messageEvent(
  record: MessageRecord,
  room: string | undefined,
  user: string | undefined,
  file: FileInfo | undefined,
  sealed = false,
): Extract<AnyEvent, { ev: "message" }> {
  const event: Extract<AnyEvent, { ev: "message" }> = {
    ev: "message",
    id: String(record.id),
    seq: record.seq,
    ts: record.ts,
    from: record.from,
    // A sealed message's body column is its envelope: each member is given their copy instead.
    body: sealed ? "" : record.body,
  };
  if (room !== undefined) event.room = room;
  else event.user = user!;
  if (file) event.file = file;
  if (record.replyTo !== undefined) {
    event.replyTo = String(record.replyTo);
    if (record.reply) event.quote = quoteOf(record.reply);
    if (record.reply?.seq !== undefined) event.replyToSeq = record.reply.seq;
  }
  if (record.notice) event.notice = true;
  if (record.clientTags) event.clientTags = record.clientTags;
  return event;
}

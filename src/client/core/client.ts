/**
 * ParleyClient: the SDK a UI talks to. One logical session over a succession of connections:
 * connects (pinned TLS), logs in, keeps local state, reconnects by itself with backoff, resumes the
 * session with its cursors and re-sends unacknowledged messages with their original cid.
 */
import type {
  AnyEvent,
  Member,
  FileInfo,
  Message,
  OpName,
  OpParams,
  OpResult,
  Quote,
  Room,
  SessionInfo,
  User,
} from "../../protocol/index.js";
import { ROOMS_PAGE_MAX } from "../../protocol/limits.js";
import type { E2eEnvelope } from "../../protocol/e2e.js";
import type { Connection } from "./connection.js";
import { Emitter } from "./emitter.js";
import { ClientClosedError, HubError, NotConnectedError, RequestTimeoutError } from "./errors.js";
import { conversationOf, dmKey, parseKey, roomKey, targetOf } from "./keys.js";
import type { HubAddress } from "./address.js";
import { resolveOptions, type CoreClientOptions, type ResolvedOptions } from "./options.js";
import { Outbox } from "./outbox.js";
import { Link, statusText } from "./reconnect.js";
import * as S from "./state.js";
import { randomId, sleep, unref, type Timer } from "./timers.js";
import type {
  ClientEventMap,
  ClientState,
  ConnectionStatus,
  ConversationKey,
  DmState,
  HubInfo,
  RoomState,
} from "./types.js";

/** An edit, deletion or reaction is tried this many more times, this far apart, while offline. */
const CHANGE_RETRIES = 30;
const CHANGE_RETRY_MS = 1000;
/** How many times an internal request waits out RATE_LIMITED before giving up. */
const RATE_LIMIT_RETRIES = 3;
/** Gap fills page forward at most this many times in one go (200 messages a page). */
const GAP_FILL_PAGES = 50;
/** Read markers for the focused conversation are sent at most this often. */
const READ_DEBOUNCE_MS = 300;

/** Names are lower case on the wire (the hub matches ignoring case); keys follow. */
function normalizeKey(key: ConversationKey): ConversationKey {
  const parsed = parseKey(key);
  if (!parsed) throw new TypeError(`not a conversation key: ${key} (expected "room:NAME" or "dm:USER")`);
  return parsed.kind === "room" ? roomKey(parsed.name.toLowerCase()) : dmKey(parsed.name.toLowerCase());
}

function isDetailedRoom(room: { name: string; locked: boolean; joined: boolean }): room is Room {
  return "members" in room;
}

export class ParleyClient {
  private readonly opts: ResolvedOptions;
  private readonly emitter: Emitter<ClientEventMap>;
  private readonly link: Link;
  private current: ClientState = S.initialState();
  private sessionInfo: SessionInfo | null = null;
  /** Messages beyond a gap, per conversation, until the gap is filled. */
  private readonly held = new Map<ConversationKey, S.Sequenced[]>();
  private readonly filling = new Set<ConversationKey>();
  /** Rooms being created or joined here, whose own member.joined needs no separate load. */
  private readonly joining = new Set<string>();
  /** Rooms this session left or was removed from: late messages for them must not bring them back. */
  private readonly gone = new Set<string>();
  private readonly outbox: Outbox;
  private readTimer: Timer | undefined;
  private warnedInsecure = false;

  constructor(options: CoreClientOptions) {
    this.opts = resolveOptions(options);
    // A listener's bug must not stop the client; it still deserves to be seen — as a warning, not on
    // stderr, which would scribble over a full-screen UI. A throwing warning listener is dropped.
    this.emitter = new Emitter<ClientEventMap>((error, name) => {
      if (name !== "warning") this.warn(`a "${String(name)}" listener threw: ${statusText(error)}`, error);
    });
    this.link = new Link(this.opts, {
      onConnected: (conn, address) => this.onConnected(conn, address),
      onOnline: (generation) => {
        if (this.sessionInfo) void this.catchUp(generation);
      },
      onEvent: (event) => this.onEvent(event),
      onStatus: (status) => this.emitter.emit("status", status),
      onWarning: (message) => this.warn(message),
    });
    this.outbox = new Outbox(
      {
        getState: () => this.current,
        setState: (next) => this.setState(next),
        sendingConnection: () =>
          this.sessionInfo && this.link.status.state === "online" ? this.link.connection : null,
        stored: (key, message) =>
          this.commitDelivery(
            key,
            S.deliver(
              this.current,
              key,
              [...(this.held.get(key) ?? []), message],
              this.opts.maxMessagesPerConversation,
            ),
          ),
        sent: (entry, message) => this.emitter.emit("sent", { entry, message }),
        failed: (entry, error) => this.emitter.emit("sendFailed", { entry, error }),
        delayed: (entry, error, retryInMs) => this.emitter.emit("sendDelayed", { entry, error, retryInMs }),
      },
      this.opts.now,
    );
  }

  // ------------------------------------------------------------------ observation

  /** Current connection status (also emitted as `status`). */
  get status(): ConnectionStatus {
    return this.link.status;
  }

  /** Current state snapshot (also emitted as `change`). Immutable; compare by identity. */
  get state(): ClientState {
    return this.current;
  }

  /** The session token, once logged in — store it to `resume` later without the password. */
  get session(): SessionInfo | null {
    return this.sessionInfo;
  }

  /** Subscribes to a client event; returns the unsubscribe function. */
  on<E extends keyof ClientEventMap>(name: E, listener: (value: ClientEventMap[E]) => void): () => void {
    return this.emitter.on(name, listener);
  }

  private setState(next: ClientState): void {
    if (next === this.current) return;
    this.current = next;
    this.emitter.emit("change", next);
  }

  private warn(message: string, error?: unknown): void {
    this.emitter.emit("warning", error instanceof Error ? { message, error } : { message });
  }

  // ------------------------------------------------------------------ connecting

  /**
   * Opens the first connection and says hello. Rejects with HubFingerprintChangedError (pinned
   * certificate changed), HubUnreachableError (every URL failed) or HubError. With `retry: true`
   * it keeps trying with backoff (status `reconnecting`) until online or closed.
   * After the first success, drops are repaired automatically.
   */
  async connect(opts: { retry?: boolean } = {}): Promise<HubInfo> {
    await this.link.connect(opts.retry ?? false);
    return this.current.hub!;
  }

  /** Every new connection: record the hub, and resume the session if there is one. */
  private async onConnected(conn: Connection, address: HubAddress): Promise<void> {
    this.setState(
      S.setHub(this.current, {
        url: address.url,
        server: conn.hello.server,
        protocol: conn.hello.protocol,
        limits: conn.hello.limits,
        ...(conn.hello.passwordRule !== undefined ? { passwordRule: conn.hello.passwordRule } : {}),
        ...(conn.fingerprint !== undefined ? { fingerprint: conn.fingerprint } : {}),
        insecure: !address.secure,
      }),
    );
    if (!address.secure && !this.warnedInsecure) {
      this.warnedInsecure = true;
      this.warn(
        `connected to ${address.url} without TLS (the hub runs with --insecure): anyone on the network path can read and change this traffic, passwords included`,
      );
    }
    if (!this.sessionInfo) return;
    try {
      await this.resumeOn(conn, this.sessionInfo.token, true);
    } catch (error) {
      // An expired session is not a connection failure: stay online, logged out.
      if (error instanceof HubError && error.code === "SESSION_EXPIRED") this.loseSession("expired");
      else throw error;
    }
  }

  /**
   * The current hub connection's binary frames, for the peer relay (`PeerNode.setRelay`), or undefined
   * while there is no connection. Bound to one connection: after a reconnect, ask again (the `status`
   * event says when).
   */
  relayLink():
    { send(frame: Uint8Array): void; onFrame(handler: (frame: Uint8Array) => void): () => void } | undefined {
    const conn = this.link.connection;
    if (!conn) return undefined;
    return { send: (frame) => conn.sendBinary(frame), onFrame: (handler) => conn.onBinary(handler) };
  }

  /** Tries to reconnect right away instead of waiting for the backoff timer. */
  reconnectNow(): void {
    this.link.reconnectNow();
  }

  /** Closes the connection and stops reconnecting. Pending calls and sends reject with ClientClosedError. */
  async close(): Promise<void> {
    if (this.link.isClosed) return;
    clearTimeout(this.readTimer);
    this.outbox.rejectAll(new ClientClosedError());
    await this.link.close();
    this.emitter.removeAll();
  }

  // ------------------------------------------------------------------ requests

  /** A request on the current connection; waits out RATE_LIMITED a few times. */
  private async request<O extends OpName>(op: O, params: OpParams<O>): Promise<OpResult<O>> {
    for (let attempt = 0; ; attempt += 1) {
      const conn = this.link.require();
      try {
        return await conn.request(op, params);
      } catch (error) {
        if (error instanceof HubError && error.code === "RATE_LIMITED" && attempt < RATE_LIMIT_RETRIES) {
          await sleep(error.retryAfterMs ?? 500);
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * Any op of the protocol, typed from the op table. Rejects with HubError (with `code`),
   * RequestTimeoutError, or NotConnectedError while the link is down.
   * Prefer the helpers below for ops that change local state.
   */
  async call<O extends OpName>(op: O, params: OpParams<O>): Promise<OpResult<O>> {
    return this.request(op, params);
  }

  /**
   * Rooms matching `params`, fetched a page at a time (the hub pages `rooms.list`), up to `max`.
   * `more` says whether the hub has rooms past the ones returned.
   */
  async listRooms(
    params: Omit<OpParams<"rooms.list">, "limit" | "cursor"> = {},
    max = Number.POSITIVE_INFINITY,
  ): Promise<{ rooms: OpResult<"rooms.list">["rooms"]; more: boolean }> {
    const rooms: OpResult<"rooms.list">["rooms"] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request("rooms.list", {
        ...params,
        limit: ROOMS_PAGE_MAX,
        ...(cursor !== undefined && { cursor }),
      });
      rooms.push(...page.rooms);
      cursor = page.nextCursor;
    } while (cursor !== undefined && rooms.length < max);
    return { rooms: rooms.slice(0, max), more: cursor !== undefined || rooms.length > max };
  }

  // ------------------------------------------------------------------ session

  /** Creates an account (does not log in). Rejects with HubError: USERNAME_TAKEN, WEAK_PASSWORD … */
  async register(params: OpParams<"register">): Promise<User> {
    return (await this.request("register", params)).user;
  }

  /** Logs in, then loads rooms, DMs, settings and who is online into state. */
  async login(username: string, password: string): Promise<User> {
    const result = await this.request("login", {
      username,
      password,
      ...(this.opts.device !== undefined ? { device: this.opts.device } : {}),
    });
    this.startSession(result.user, result.session);
    await this.catchUp(this.link.generation);
    return result.user;
  }

  /** Resumes a stored session token (HubError SESSION_EXPIRED if it is no longer valid), then loads state. */
  async resume(token: string): Promise<User> {
    const conn = this.link.require();
    const user = await this.resumeOn(conn, token, false);
    await this.catchUp(this.link.generation);
    return user;
  }

  /** `sameSession`: resuming our own token after a drop — a new username there is a rename, not another account. */
  private async resumeOn(conn: Connection, token: string, sameSession: boolean): Promise<User> {
    const result = await conn.request("resume", { token, cursors: S.cursorsOf(this.current) });
    this.startSession(result.user, result.session, sameSession);
    return result.user;
  }

  private startSession(user: User, session: SessionInfo, sameSession = false): void {
    const previous = this.current.me?.username;
    if (previous !== undefined && previous !== user.username) {
      if (sameSession) this.setState(S.renameUser(this.current, previous, user.username));
      else this.forgetAccount();
    }
    this.sessionInfo = session;
    this.setState(S.setMe(this.current, user));
  }

  /** Drops everything about the account: state, held messages, outbox (its sends reject). */
  private forgetAccount(): void {
    this.outbox.rejectAll(new NotConnectedError("the session ended before the message was acknowledged"));
    this.held.clear();
    this.setState(S.loggedOut(this.current));
  }

  private loseSession(reason: ClientEventMap["sessionLost"]["reason"]): void {
    this.sessionInfo = null;
    this.forgetAccount();
    this.emitter.emit("sessionLost", { reason });
  }

  /** Ends the session on the hub; the connection stays open for another login. */
  async logout(): Promise<void> {
    try {
      await this.request("logout", {});
    } finally {
      this.loseSession("logout");
    }
  }

  /**
   * After login or resume: reload the lists, fill gaps the replay left, then re-send the outbox.
   * Errors become warnings: the next reconnect tries again.
   */
  private async catchUp(generation: number): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      // A drop in the middle is repaired by the reconnect, which catches up again.
      if (generation === this.link.generation && !(error instanceof NotConnectedError)) {
        this.warn(`could not reload rooms: ${statusText(error)}`, error);
      }
    }
    if (generation !== this.link.generation) return;
    void this.outbox.flush();
  }

  /** Reloads rooms, members, DMs, settings and the online list from the hub. */
  async refresh(): Promise<void> {
    // Rooms joined while the lists are in flight are not in them; they must not be dropped.
    const known = new Set(Object.keys(this.current.rooms));
    const [rooms, dms, settings, online] = await Promise.all([
      this.listRooms({ detail: true, joined: true }),
      this.request("dm.list", {}),
      this.request("settings", {}),
      this.request("users.online", {}),
    ]);
    const joined = rooms.rooms.filter((r) => r.joined).filter(isDetailedRoom);
    let next = S.applySettings(this.current, settings);
    next = S.setOnline(next, online.users);
    const joinedMeanwhile = Object.keys(next.rooms).filter((name) => !known.has(name));
    next = S.retainRooms(next, [...joined.map((r) => r.name), ...joinedMeanwhile]);
    next = S.upsertConversations(next, dms.conversations);
    this.setState(next);
    for (const info of joined) {
      try {
        await this.loadRoom(info.name, info);
      } catch (error) {
        // Left or removed since the list was made: the room goes, the others still load.
        if (error instanceof HubError && (error.code === "NOT_MEMBER" || error.code === "NO_SUCH_ROOM")) {
          this.setState(S.removeRoom(this.current, info.name));
        } else {
          throw error;
        }
      }
    }
    for (const c of dms.conversations) {
      const dm = this.current.dms[c.user];
      if (dm && c.lastSeq > dm.lastSeq) void this.fillGap(dm.key);
    }
  }

  /** Fetches a room's members (and for a room new to state, its latest page); fills a gap if the hub is ahead. */
  private async loadRoom(name: string, info?: Room): Promise<void> {
    const members = (await this.request("room.members", { room: name })).members;
    const known = this.current.rooms[name];
    const isNew = !known || (known.lastSeq === 0 && known.messages.length === 0);
    const roomInfo = info ?? known?.info ?? { name, members: members.length, locked: false, joined: true };
    this.setState(S.upsertRoom(this.current, { info: roomInfo, members }));
    const key = roomKey(name);
    if (isNew) {
      const page = (await this.request("room.history", { room: name })).messages;
      this.commitDelivery(key, S.absorbPage(this.current, key, page, this.opts.maxMessagesPerConversation));
    } else if (info?.lastSeq !== undefined && info.lastSeq > (this.current.rooms[name]?.lastSeq ?? 0)) {
      void this.fillGap(key);
    }
  }

  // ------------------------------------------------------------------ hub events and delivery

  private onEvent(event: AnyEvent): void {
    if (event.ev === "message") {
      this.onMessage(event);
    } else if (S.isChange(event)) {
      this.onChange(event);
    } else {
      const before = this.current;
      this.setState(S.applyEvent(this.current, event, this.opts.now()));
      this.afterEvent(event, before);
    }
    this.emitter.emit("event", event);
  }

  private afterEvent(event: AnyEvent, before: ClientState): void {
    const me = this.current.me?.username;
    switch (event.ev) {
      case "member.joined":
        if (event.username === me) this.gone.delete(event.room);
        // Joined on another device: this device learns the room's details itself.
        if (event.username === me && !before.rooms[event.room] && !this.joining.has(event.room)) {
          this.loadRoom(event.room).catch((error: unknown) => {
            if (!(error instanceof NotConnectedError)) {
              this.warn(`could not load room ${event.room}: ${statusText(error)}`, error);
            }
          });
        }
        return;
      case "member.left":
        if (event.username === me) this.forgetConversation(roomKey(event.room));
        return;
      case "kicked":
      case "banned":
      case "room.deleted":
        this.forgetConversation(roomKey(event.room));
        return;
      case "session.ended":
        if (event.reason !== "shutdown") this.loseSession(event.reason);
        return;
      default:
        return;
    }
  }

  private forgetConversation(key: ConversationKey): void {
    this.held.delete(key);
    const parsed = parseKey(key);
    if (parsed?.kind === "room") this.gone.add(parsed.name);
  }

  private onMessage(message: Message): void {
    const key = conversationOf(message);
    if (!key) {
      this.warn("the hub sent a message with neither room nor user");
      return;
    }
    if (message.room !== undefined && !this.current.rooms[message.room] && this.gone.has(message.room))
      return;
    const held = this.held.get(key) ?? [];
    this.commitDelivery(
      key,
      S.deliver(this.current, key, [...held, message], this.opts.maxMessagesPerConversation),
    );
  }

  /** Edits, deletions and reactions take their conversation's seq: they go through delivery too. */
  private onChange(change: S.MessageChange): void {
    const key = S.conversationOfChange(change);
    if (!key || !S.getConversation(this.current, key)) return;
    const held = this.held.get(key) ?? [];
    this.commitDelivery(
      key,
      S.deliver(this.current, key, [...held, change], this.opts.maxMessagesPerConversation),
    );
  }

  /** Applies a delivery: new state, held-back messages, notices, outbox acks, gap fills, read markers. */
  private commitDelivery(key: ConversationKey, result: S.DeliverResult): void {
    this.setState(result.state);
    if (result.held.length > 0) this.held.set(key, result.held);
    else this.held.delete(key);
    let readNeeded = false;
    for (const notice of result.delivered) {
      const cid = notice.message.cid;
      if (notice.own && cid !== undefined) this.outbox.acknowledge(cid, notice.message);
      if (notice.focused && !notice.own) readNeeded = true;
      this.emitter.emit("message", notice);
    }
    if (readNeeded) this.scheduleRead(key);
    if (result.gapAfter !== undefined) void this.fillGap(key);
  }

  /** Pages forward from the cursor with history `after` until held messages connect. */
  private async fillGap(key: ConversationKey): Promise<void> {
    if (this.filling.has(key)) return;
    this.filling.add(key);
    try {
      for (let page = 0; page < GAP_FILL_PAGES; page += 1) {
        const conv = S.getConversation(this.current, key);
        if (!conv) return;
        const messages = (await this.history(key, { after: conv.lastSeq, limit: 200 })).filter(
          (m) => m.seq > conv.lastSeq,
        );
        const held = this.held.get(key) ?? [];
        if (messages.length === 0) {
          // The hub has nothing more after the cursor: whatever is held starts a new run.
          const first = held.reduce((min, m) => Math.min(min, m.seq), Infinity);
          if (first === Infinity) return;
          // A held message the hub cannot connect: what came before it is gone (a held change may
          // only follow other changes, which history never lists).
          const lost = held.some((m) => m.seq === first && !S.isChange(m));
          this.setState(S.skipTo(this.current, key, first - 1, lost));
        } else if (messages[0]!.seq > conv.lastSeq + 1) {
          // History lists messages only: the seqs before its first are changes (edits, deletions,
          // reactions — already in the messages' state as history gives it) or hidden from us.
          const first = Math.min(messages[0]!.seq, ...held.map((m) => m.seq));
          this.setState(S.skipTo(this.current, key, first - 1));
        }
        const result = S.deliver(
          this.current,
          key,
          [...held, ...messages],
          this.opts.maxMessagesPerConversation,
        );
        this.commitDeliveryNoFill(key, result);
        if (result.held.length === 0 && messages.length < 200) return;
      }
    } catch (error) {
      // The next resume sends the cursor again, so nothing is lost; a drop needs no warning.
      if (!(error instanceof NotConnectedError)) {
        this.warn(`could not fetch missed messages of ${key}: ${statusText(error)}`, error);
      }
    } finally {
      this.filling.delete(key);
    }
  }

  private commitDeliveryNoFill(key: ConversationKey, result: S.DeliverResult): void {
    const { gapAfter: _ignored, ...rest } = result;
    this.commitDelivery(key, rest);
  }

  private history(
    key: ConversationKey,
    page: { before?: number; after?: number; limit?: number },
  ): Promise<Message[]> {
    const target = targetOf(key);
    return "room" in target
      ? this.request("room.history", { room: target.room, ...page }).then((r) => r.messages)
      : this.request("dm.history", { user: target.user, ...page }).then((r) => r.messages);
  }

  // ------------------------------------------------------------------ sending

  /**
   * Sends a message to a room or DM. It enters the outbox at once (state.outbox) and stays there until
   * the hub acknowledges it — across reconnects, re-sent with the same cid. Resolves with the stored
   * message; rejects with HubError when the hub refuses it for good (it then leaves the outbox).
   */
  send(
    key: ConversationKey,
    body: string,
    options: {
      file?: FileInfo;
      e2e?: E2eEnvelope;
      replyTo?: string;
      /** Send it as a notice (bots, automated senders). */
      notice?: boolean;
      /** Client-only tags (IRCv3 `+name` → value), stored with the message. */
      clientTags?: Record<string, string>;
    } = {},
  ): Promise<Message> {
    if (this.link.isClosed) return Promise.reject(new ClientClosedError());
    if (!this.current.me || !this.sessionInfo) return Promise.reject(new NotConnectedError("log in first"));
    let normalized: ConversationKey;
    try {
      normalized = normalizeKey(key);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    let replyTo: { id: string; quote?: Quote } | undefined;
    if (options.replyTo !== undefined) {
      const original = S.getConversation(this.current, normalized)?.messages.find(
        (m) => m.id === options.replyTo,
      );
      replyTo = { id: options.replyTo, ...(original && { quote: S.quoteOf(original) }) };
    }
    return this.outbox.add(normalized, body, options.file, options.e2e, replyTo, {
      ...(options.notice && { notice: true as const }),
      ...(options.clientTags && { clientTags: options.clientTags }),
    });
  }

  /** Replaces the body of your message (within the hub's edit window). */
  edit(messageId: string, body: string): Promise<{ seq?: number }> {
    return this.change("msg.edit", { messageId, body });
  }

  /** Deletes a message: yours, or as a room admin one of a lower-ranked member. */
  deleteMessage(messageId: string): Promise<{ seq?: number }> {
    return this.change("msg.delete", { messageId });
  }

  /** Adds (`on`) or removes your reaction. */
  react(messageId: string, emoji: string, on: boolean): Promise<{ seq?: number }> {
    return this.change("msg.react", { messageId, emoji, on });
  }

  /** Full-text search over what you may read (see the `search` op for the query syntax). */
  search(params: OpParams<"search">): Promise<OpResult<"search">> {
    return this.request("search", params);
  }

  /**
   * An edit, deletion or reaction with a cid of its own: while the link is down (or the request timed
   * out) it goes again with the same cid, which the hub applies once. The change itself reaches state
   * as its event, in seq order, like a message.
   */
  private async change<O extends "msg.edit" | "msg.delete" | "msg.react">(
    op: O,
    params: Omit<OpParams<O>, "cid">,
  ): Promise<OpResult<O>> {
    const cid = randomId();
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.request(op, { ...params, cid } as OpParams<O>);
      } catch (error) {
        const transient = error instanceof NotConnectedError || error instanceof RequestTimeoutError;
        if (!transient || attempt >= CHANGE_RETRIES || this.link.isClosed) throw error;
        await sleep(CHANGE_RETRY_MS);
      }
    }
  }

  // ------------------------------------------------------------------ rooms, DMs, reading

  /** Creates a room (you become its owner) and adds it to state. */
  async createRoom(params: OpParams<"room.create">): Promise<RoomState> {
    const name = params.name.toLowerCase();
    this.joining.add(name);
    this.gone.delete(name);
    try {
      const { room } = await this.request("room.create", params);
      const members: Member[] = this.current.me
        ? [{ username: this.current.me.username, role: "owner", joinedAt: this.opts.now(), online: true }]
        : [];
      const existing = this.current.rooms[room.name]?.members ?? {};
      this.setState(
        S.upsertRoom(this.current, {
          info: room,
          members: [
            ...members,
            ...Object.values(existing).filter((m) => m.username !== this.current.me?.username),
          ],
          lastSeq: 0,
        }),
      );
      return this.current.rooms[room.name]!;
    } finally {
      this.joining.delete(name);
    }
  }

  /** Joins a room; state gets its members and latest history. */
  async joinRoom(room: string, password?: string): Promise<RoomState> {
    const name = room.toLowerCase();
    this.joining.add(name);
    this.gone.delete(name);
    try {
      const result = await this.request("room.join", {
        room: name,
        ...(password !== undefined ? { password } : {}),
      });
      this.setState(
        S.upsertRoom(this.current, { info: result.room, members: result.members, lastSeq: result.lastSeq }),
      );
      const key = roomKey(result.room.name);
      this.commitDelivery(
        key,
        S.absorbPage(this.current, key, result.history, this.opts.maxMessagesPerConversation),
      );
      return this.current.rooms[result.room.name]!;
    } finally {
      this.joining.delete(name);
    }
  }

  /** Leaves a room (saying why, to the other members, when `reason` is given) and drops it from state. */
  async leaveRoom(room: string, reason?: string): Promise<void> {
    const name = room.toLowerCase();
    await this.request("room.leave", { room: name, ...(reason ? { reason } : {}) });
    this.forgetConversation(roomKey(name));
    this.setState(S.removeRoom(this.current, name));
  }

  /** Opens (or returns) the DM conversation with a user and loads its latest history. */
  async openDm(user: string): Promise<DmState> {
    const name = user.toLowerCase();
    const key = dmKey(name);
    this.setState(S.ensureDm(this.current, name));
    if ((this.current.dms[name]?.messages.length ?? 0) === 0) {
      const page = await this.history(key, {});
      this.commitDelivery(key, S.absorbPage(this.current, key, page, this.opts.maxMessagesPerConversation));
    }
    return this.current.dms[name]!;
  }

  /** Loads the page before the oldest loaded message; resolves with how many were added. */
  async loadOlder(key: ConversationKey, limit?: number): Promise<number> {
    const normalized = normalizeKey(key);
    const conv = S.getConversation(this.current, normalized);
    if (!conv) return 0;
    const before = conv.messages[0]?.seq ?? conv.lastSeq + 1;
    if (before <= 1) return 0;
    const page = await this.history(normalized, { before, ...(limit !== undefined ? { limit } : {}) });
    const result = S.prependOlder(this.current, normalized, page);
    this.setState(result.state);
    return result.added;
  }

  /** Marks a conversation read up to `seq` (default: its last seq), on the hub and in state. */
  async markRead(key: ConversationKey, seq?: number): Promise<void> {
    const normalized = normalizeKey(key);
    const conv = S.getConversation(this.current, normalized);
    if (!conv) return;
    const upTo = seq ?? conv.lastSeq;
    this.setState(S.markRead(this.current, normalized, upTo));
    if (upTo > 0) await this.request("read", { ...targetOf(normalized), seq: upTo });
  }

  /** Sets the conversation the UI shows (null for none); it is marked read, now and as messages arrive. */
  focus(key: ConversationKey | null): void {
    const normalized = key === null ? null : normalizeKey(key);
    this.setState(S.setFocus(this.current, normalized));
    if (!normalized) return;
    this.scheduleRead(normalized);
    // A DM known only from dm.list has a cursor but no messages loaded yet: show its latest page.
    const conv = S.getConversation(this.current, normalized);
    if (conv && conv.messages.length === 0 && conv.lastSeq > 0) {
      this.history(normalized, {})
        .then((page) =>
          this.commitDelivery(
            normalized,
            S.absorbPage(this.current, normalized, page, this.opts.maxMessagesPerConversation),
          ),
        )
        .catch((error: unknown) => {
          if (!(error instanceof NotConnectedError)) {
            this.warn(`could not load ${normalized}: ${statusText(error)}`, error);
          }
        });
    }
  }

  private scheduleRead(key: ConversationKey): void {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => {
      if (this.current.focus !== key) return;
      this.markRead(key).catch((error: unknown) => {
        if (!(error instanceof NotConnectedError))
          this.warn(`could not mark ${key} read: ${statusText(error)}`, error);
      });
    }, READ_DEBOUNCE_MS);
    unref(this.readTimer);
  }

  /** Mutes or unmutes a room ("room:NAME") or a user ("dm:USER"). */
  async mute(key: ConversationKey, on: boolean): Promise<void> {
    const normalized = normalizeKey(key);
    const parsed = parseKey(normalized)!;
    await this.request("mute", { ...targetOf(normalized), on });
    const list = parsed.kind === "room" ? this.current.muted.rooms : this.current.muted.users;
    const updated = on ? [...new Set([...list, parsed.name])] : list.filter((n) => n !== parsed.name);
    this.setState(
      S.applySettings(this.current, {
        muted:
          parsed.kind === "room"
            ? { ...this.current.muted, rooms: updated }
            : { ...this.current.muted, users: updated },
        blocked: this.current.blocked,
      }),
    );
  }

  /** Blocks or unblocks a user's DMs. */
  async block(user: string, on: boolean): Promise<void> {
    const name = user.toLowerCase();
    await this.request("block", { user: name, on });
    const blocked = on
      ? [...new Set([...this.current.blocked, name])]
      : this.current.blocked.filter((n) => n !== name);
    this.setState(S.applySettings(this.current, { muted: this.current.muted, blocked }));
  }
}

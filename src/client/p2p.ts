/**
 * Peer-to-peer chats for a ParleyClient (docs/p2p.md): the device identity and listener (`PeerNode`),
 * the announce after login, incoming requests for the UI to accept or decline, the requester's side
 * once an answer comes, and the relay over the client's hub connection — handed to the node anew after
 * every reconnect, so relayed chats re-establish on the new connection.
 *
 *   const p2p = await PeerChats.start(client, { configDir });
 *   p2p.on("request", (r) => ask(`${r.from} wants a direct chat`) ? p2p.accept(r.requestId) : p2p.decline(r.requestId));
 *   p2p.on("chat", (chat) => chat.on("change", render));
 *   const chat = await p2p.request("alice");      // P2pDeclinedError, P2pKeyChangedError, HubError
 *   const receipt = await chat.send("hi");        // the tick; receipt.path: direct | relay | hub
 *
 * Keys are checked against the contacts seen before (`KnownContacts`, trust on first use). A changed
 * key is reported (`keyChanged`, with the safety number): an incoming request says so and accepting it
 * trusts the new key; an outgoing one is refused with P2pKeyChangedError until `trustKey(user)`.
 */
import type { CancelReason, CancelledReason, Endpoint, EventData } from "../protocol/index.js";
import {
  KnownContacts,
  PeerNode,
  defaultConfigDir,
  keyFingerprint,
  safetyNumber,
  type Identity,
  type KeyCheck,
  type ListenOptions,
  type PeerSession,
  type RelayLink,
} from "../peer/index.js";
import type { SessionOptions } from "../peer/session.js";
import type { ParleyClient } from "./core/client.js";
import { Emitter } from "./core/emitter.js";
import { HubError } from "./core/errors.js";
import { DirectChat } from "./p2p-chat.js";
import { statusText } from "./core/reconnect.js";

/** A request is answered within the hub's 2 minutes or not at all. */
const ANSWER_WAIT_MS = 2 * 60_000 + 5_000;
/** An answer that arrives before its request's reply is kept this long. */
const EARLY_ANSWER_MS = 30_000;

export interface PeerChatsOptions {
  /** Where `peer-identity.pem` and `peer-contacts.json` live. Default: $PARLEY_CONFIG_DIR, else the OS config folder. */
  configDir?: string;
  /** An identity to use instead of the config folder's (tests). */
  identity?: Identity;
  /** Where the listener binds (default all interfaces, ephemeral port), or false to only dial. */
  listen?: ListenOptions | false;
  /** Endpoints to announce instead of the listener's own (a port forward; tests that block the direct path). */
  announce?: Endpoint[];
  /** How long the direct path gets before the relay; default 5 s. */
  directTimeoutMs?: number;
  reconnectAttempts?: number;
  session?: SessionOptions;
}

/** Someone asks for a direct chat: show it, then `accept` or `decline`. */
export interface IncomingRequest {
  requestId: string;
  from: string;
  /** The requester's key as the hub published it, and its fingerprint. */
  key: string;
  fingerprint: string;
  /** Compare out of band to rule out a substituted key (the same 60 digits on both screens). */
  safetyNumber: string;
  /** Set when this user's key differs from the one seen before: warn before accepting. */
  keyChanged?: KeyWarning;
}

export interface KeyWarning {
  user: string;
  fingerprint: string;
  previousFingerprint: string;
  safetyNumber: string;
}

export interface PeerChatsEvents {
  request: IncomingRequest;
  /**
   * A request expired or was withdrawn before it was answered here. `untrusted`: the requester's
   * client does not trust this device's key (a new device, say) — compare `safetyNumber` with them.
   */
  requestGone: RequestGone;
  /** A direct chat opened (as requester or acceptor). */
  chat: DirectChat;
  keyChanged: KeyWarning;
  warning: { message: string; error?: Error };
}

export class P2pDeclinedError extends Error {
  readonly code = "DECLINED";
  constructor(readonly user: string) {
    super(`${user} declined the direct chat`);
    this.name = "P2pDeclinedError";
  }
}

export interface RequestGone {
  requestId: string;
  from: string;
  /** `answered`: on another of this user's devices. */
  reason: "expired" | "withdrawn" | "untrusted" | "answered";
  safetyNumber: string;
}

export class P2pKeyChangedError extends Error {
  readonly code = "KEY_CHANGED";
  constructor(readonly warning: KeyWarning) {
    super(
      `${warning.user}'s key changed (was ${warning.previousFingerprint}, now ${warning.fingerprint}); ` +
        `compare the safety number ${warning.safetyNumber} with ${warning.user} out of band, then trust the new key`,
    );
    this.name = "P2pKeyChangedError";
  }
}

/** The requester withdrew the request (it quit, say) while it was being accepted here. */
export class P2pWithdrawnError extends Error {
  readonly code = "WITHDRAWN";
  constructor(readonly user: string) {
    super(`${user} withdrew the direct-chat request`);
    this.name = "P2pWithdrawnError";
  }
}

export class P2pTimeoutError extends Error {
  readonly code = "NO_ANSWER";
  constructor(readonly user: string) {
    super(`${user} did not answer the direct-chat request`);
    this.name = "P2pTimeoutError";
  }
}

type Answered = EventData<"p2p.answered">;

export class PeerChats {
  private readonly emitter = new Emitter<PeerChatsEvents>();
  private readonly incoming = new Map<string, IncomingRequest>();
  private readonly waiting = new Map<string, (answer: Answered) => void>();
  private readonly early = new Map<string, { at: number; answer: Answered }>();
  /** Incoming requests whose key is being checked, and those of them withdrawn meanwhile. */
  private readonly checking = new Set<string>();
  private readonly cancelledEarly = new Map<string, CancelledReason>();
  /** Our own requests still waiting for an answer: withdrawn when we close, so nobody accepts into nothing. */
  private readonly outgoing = new Set<string>();
  private readonly asking = new Set<Promise<unknown>>();
  /** Requests being accepted here, and how to give up on one the requester withdraws meanwhile. */
  private readonly accepting = new Map<string, { from: string; giveUp(error: Error): void }>();
  private readonly chatsByPeer = new Map<string, DirectChat>();
  /** Keys seen for users whose key changed, so `trustKey` records the one the user was shown. */
  private readonly changedKeys = new Map<string, string>();
  private readonly unsubscribe: Array<() => void> = [];
  private online = false;
  private announcedFor: string | null = null;
  private closed = false;

  private constructor(
    private readonly client: ParleyClient,
    private readonly node: PeerNode,
    private readonly contacts: KnownContacts,
    private readonly options: PeerChatsOptions,
  ) {}

  /** Loads (or creates) the device identity, starts the listener, and announces once logged in. */
  static async start(client: ParleyClient, options: PeerChatsOptions = {}): Promise<PeerChats> {
    const dir = options.configDir ?? defaultConfigDir();
    const node = await PeerNode.create({
      ...(options.identity ? { identity: options.identity } : { configDir: dir }),
      listen: options.listen ?? {},
      ...(options.directTimeoutMs !== undefined ? { directTimeoutMs: options.directTimeoutMs } : {}),
      ...(options.reconnectAttempts !== undefined ? { reconnectAttempts: options.reconnectAttempts } : {}),
      ...(options.session ? { session: options.session } : {}),
    });
    let contacts: KnownContacts;
    try {
      contacts = await KnownContacts.open(dir);
    } catch (error) {
      await node.close();
      throw error;
    }
    const chats = new PeerChats(client, node, contacts, options);
    chats.listen();
    return chats;
  }

  on<E extends keyof PeerChatsEvents>(name: E, listener: (value: PeerChatsEvents[E]) => void): () => void {
    return this.emitter.on(name, listener);
  }

  /** This device's key fingerprint (to compare out of band). */
  get fingerprint(): string {
    return this.node.fingerprint;
  }

  get publicKey(): string {
    return this.node.publicKey;
  }

  /** Open direct chats by peer username. */
  get chats(): ReadonlyMap<string, DirectChat> {
    return this.chatsByPeer;
  }

  /** Requests waiting for this user's answer, oldest first. */
  get requests(): readonly IncomingRequest[] {
    return [...this.incoming.values()];
  }

  /** The direct chat with `user`, if one is open. */
  chatWith(user: string): DirectChat | undefined {
    return this.chatsByPeer.get(user.toLowerCase());
  }

  /** Publishes this device's key and endpoints (done by itself after login and every reconnect). */
  async announce(): Promise<void> {
    await this.client.call("peer.announce", {
      endpoints: this.options.announce ?? this.node.endpoints(),
      key: this.node.publicKey,
    });
    this.announcedFor = this.client.state.me?.username ?? null;
  }

  /**
   * Asks `user` for a direct chat and, once accepted, connects (directly, else through the relay).
   * Rejects with HubError (NOT_ONLINE, NO_SUCH_USER, BLOCKED, INVALID_PARAMS when either side has not
   * announced a key …), P2pDeclinedError, P2pTimeoutError, P2pKeyChangedError or a PeerError.
   */
  async request(user: string): Promise<DirectChat> {
    const name = user.toLowerCase();
    if (!this.announcedFor) await this.announce();
    // The target may see the request before its reply reaches us: close() waits for the reply too,
    // and finds the request among the outgoing ones by then.
    const asking = this.client.call("p2p.request", { user: name }).then((reply) => {
      this.outgoing.add(reply.requestId);
      return reply;
    });
    this.asking.add(asking);
    const { requestId, key } = await asking.finally(() => this.asking.delete(asking));
    let answer: Answered;
    try {
      // The reply names the key the hub holds for them: a changed one is refused before they answer,
      // and the request withdrawn, so they are not left waiting on a chat that will not come.
      if (key !== undefined) await this.refuseChangedKey(name, key, requestId);
      answer = await this.answerOf(requestId, name);
    } catch (error) {
      if (!(error instanceof P2pKeyChangedError)) void this.withdraw(requestId);
      throw error;
    } finally {
      this.outgoing.delete(requestId);
    }
    if (!answer.accept || !answer.key) throw new P2pDeclinedError(name);
    await this.refuseChangedKey(name, answer.key);
    const session = await this.node.connect({
      peer: name,
      key: answer.key,
      requestId,
      endpoints: answer.endpoints ?? [],
      openRelay: () => this.openRelay(requestId),
    });
    return this.adopt(session);
  }

  /** Throws P2pKeyChangedError (withdrawing `requestId`, if given) when `key` is not the one we know. */
  private async refuseChangedKey(user: string, key: string, requestId?: string): Promise<void> {
    const check = await this.contacts.check(user, key);
    if (check.status !== "changed") return;
    if (requestId !== undefined) void this.withdraw(requestId, "key-changed");
    throw new P2pKeyChangedError(this.keyChanged(user, key, check));
  }

  private withdraw(requestId: string, reason: CancelReason = "withdrawn"): Promise<void> {
    return this.client.call("p2p.cancel", { requestId, reason }).then(
      () => {},
      () => {
        // Already answered or expired: nothing is left waiting on it.
      },
    );
  }

  /** Accepts an incoming request (trusting a changed key the user was warned about) and connects. */
  /**
   * Accepts an incoming request (trusting a changed key the user was warned about) and connects. Rejects
   * with P2pWithdrawnError at once when the requester withdraws meanwhile, instead of waiting out the
   * connection deadline for a peer that is not coming.
   */
  async accept(requestId: string): Promise<DirectChat> {
    const request = this.takeRequest(requestId);
    if (request.keyChanged) await this.contacts.trust(request.from, request.key, false);
    const withdrawn = new Promise<never>((_, reject) =>
      this.accepting.set(requestId, { from: request.from, giveUp: reject }),
    );
    const accepting = this.node.accept({
      peer: request.from,
      key: request.key,
      requestId,
      answer: () =>
        this.client.call("p2p.answer", { requestId, accept: true }).catch((error: unknown) => {
          // Withdrawn before our answer reached the hub.
          if (error instanceof HubError && error.code === "NO_SUCH_REQUEST")
            throw new P2pWithdrawnError(request.from);
          throw error;
        }),
      openRelay: () => this.openRelay(requestId),
    });
    try {
      return this.adopt(await Promise.race([accepting, withdrawn]));
    } catch (error) {
      // A session that still comes up after we gave up on it is closed at once.
      accepting.then(
        (session) => session.close(),
        () => {},
      );
      throw error;
    } finally {
      this.accepting.delete(requestId);
    }
  }

  async decline(requestId: string): Promise<void> {
    this.takeRequest(requestId);
    await this.client.call("p2p.answer", { requestId, accept: false });
  }

  /** Records the changed key of `user` that a warning showed, after the user compared safety numbers. */
  async trustKey(user: string): Promise<boolean> {
    const name = user.toLowerCase();
    const key = this.changedKeys.get(name);
    if (!key) return false;
    await this.contacts.trust(name, key, true);
    this.changedKeys.delete(name);
    return true;
  }

  /** The safety number with `user` for a key (both screens show the same 60 digits). */
  safetyNumberWith(user: string, key: string): string {
    const me = this.client.state.me?.username ?? "";
    return safetyNumber({ username: me, key: this.node.publicKey }, { username: user, key });
  }

  /** Ends every direct chat (telling the peers) and stops the listener. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Requests of ours still unanswered are withdrawn, so the people asked are not left to accept them.
    await Promise.allSettled([...this.asking]);
    await Promise.all([...this.outgoing].map((id) => this.withdraw(id)));
    for (const off of this.unsubscribe.splice(0)) off();
    for (const chat of [...this.chatsByPeer.values()]) chat.close();
    await this.node.close();
    this.emitter.removeAll();
  }

  // ------------------------------------------------------------------ internals

  private listen(): void {
    this.unsubscribe.push(
      this.client.on("status", (status) => this.onStatus(status.state === "online")),
      this.client.on("change", (state) => {
        const me = state.me?.username ?? null;
        if (me !== null && me !== this.announcedFor && this.online) this.announceQuietly();
        if (me === null) this.announcedFor = null;
      }),
      this.client.on("event", (event) => {
        if (event.ev === "p2p.request") void this.onRequest(event);
        else if (event.ev === "p2p.answered") this.onAnswered(event);
        else if (event.ev === "p2p.cancelled") this.onCancelled(event.requestId, event.reason);
      }),
    );
    this.onStatus(this.client.status.state === "online");
  }

  /**
   * A connection came (or went): the relay follows the client's connection. Relayed chats lose their
   * stream with the old connection and re-establish on the new one (the hub rebinds the channel).
   */
  private onStatus(online: boolean): void {
    if (online === this.online) return;
    this.online = online;
    const link = online ? this.client.relayLink() : undefined;
    this.node.setRelay(link as RelayLink | undefined);
    if (online && this.client.state.me) this.announceQuietly();
  }

  private announceQuietly(): void {
    this.announce().catch((error: unknown) =>
      this.warn(`could not announce the peer key: ${statusText(error)}`, error),
    );
  }

  private warn(message: string, error?: unknown): void {
    this.emitter.emit("warning", error instanceof Error ? { message, error } : { message });
  }

  private async onRequest(event: EventData<"p2p.request">): Promise<void> {
    const from = event.from.toLowerCase();
    let check: KeyCheck;
    this.checking.add(event.requestId);
    try {
      check = await this.contacts.check(from, event.key);
    } catch (error) {
      this.warn(`could not check ${from}'s key: ${statusText(error)}`, error);
      return;
    } finally {
      this.checking.delete(event.requestId);
    }
    const safetyNumber = this.safetyNumberWith(from, event.key);
    const cancelled = this.cancelledEarly.get(event.requestId);
    if (cancelled !== undefined) {
      this.cancelledEarly.delete(event.requestId);
      // A plain withdrawal of a request never shown needs no word; distrust of our key does.
      if (cancelled === "key-changed")
        this.emitter.emit("requestGone", {
          requestId: event.requestId,
          from,
          reason: "untrusted",
          safetyNumber,
        });
      return;
    }
    const request: IncomingRequest = {
      requestId: event.requestId,
      from,
      key: event.key,
      fingerprint: keyFingerprint(event.key),
      safetyNumber,
      ...(check.status === "changed" ? { keyChanged: this.keyChanged(from, event.key, check) } : {}),
    };
    this.incoming.set(request.requestId, request);
    // The hub forgets unanswered requests after 2 minutes; so do we.
    setTimeout(() => {
      if (this.incoming.delete(request.requestId))
        this.emitter.emit("requestGone", {
          requestId: request.requestId,
          from,
          reason: "expired",
          safetyNumber,
        });
    }, ANSWER_WAIT_MS).unref();
    this.emitter.emit("request", request);
  }

  private keyChanged(user: string, key: string, check: KeyCheck & { status: "changed" }): KeyWarning {
    this.changedKeys.set(user, key);
    const warning: KeyWarning = {
      user,
      fingerprint: check.fingerprint,
      previousFingerprint: check.previousFingerprint,
      safetyNumber: this.safetyNumberWith(user, key),
    };
    this.emitter.emit("keyChanged", warning);
    return warning;
  }

  private takeRequest(requestId: string): IncomingRequest {
    const request = this.incoming.get(requestId);
    if (!request) throw new Error(`no direct-chat request ${requestId} is waiting (answered, or expired)`);
    this.incoming.delete(requestId);
    return request;
  }

  private onCancelled(requestId: string, reason: CancelledReason = "withdrawn"): void {
    const request = this.incoming.get(requestId);
    const accepting = this.accepting.get(requestId);
    if (!request && accepting) {
      accepting.giveUp(new P2pWithdrawnError(accepting.from));
      return;
    }
    if (!request) {
      // Withdrawn while its key was still being checked: onRequest settles it.
      if (this.checking.has(requestId)) this.cancelledEarly.set(requestId, reason);
      return;
    }
    this.incoming.delete(requestId);
    this.emitter.emit("requestGone", {
      requestId,
      from: request.from,
      reason: reason === "key-changed" ? "untrusted" : reason,
      safetyNumber: request.safetyNumber,
    });
  }

  private onAnswered(answer: Answered): void {
    const waiter = this.waiting.get(answer.requestId);
    if (waiter) {
      waiter(answer);
      return;
    }
    const now = Date.now();
    for (const [id, e] of this.early) if (now - e.at > EARLY_ANSWER_MS) this.early.delete(id);
    this.early.set(answer.requestId, { at: now, answer });
  }

  private answerOf(requestId: string, user: string): Promise<Answered> {
    const early = this.early.get(requestId);
    if (early) {
      this.early.delete(requestId);
      return Promise.resolve(early.answer);
    }
    return new Promise<Answered>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        reject(new P2pTimeoutError(user));
      }, ANSWER_WAIT_MS);
      timer.unref();
      this.waiting.set(requestId, (answer) => {
        clearTimeout(timer);
        this.waiting.delete(requestId);
        resolve(answer);
      });
    });
  }

  private async openRelay(requestId: string): Promise<number> {
    return (await this.client.call("p2p.relay", { requestId })).channel;
  }

  private adopt(session: PeerSession): DirectChat {
    const me = this.client.state.me?.username ?? "me";
    const peer = session.peer;
    this.chatsByPeer.get(peer)?.close();
    const chat = new DirectChat(peer, me, session, this.client, keyFingerprint(session.peerKey), (ended) => {
      if (this.chatsByPeer.get(peer) === ended) this.chatsByPeer.delete(peer);
    });
    this.chatsByPeer.set(peer, chat);
    this.emitter.emit("chat", chat);
    return chat;
  }
}

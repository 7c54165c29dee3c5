/**
 * `PeerNode`: a device's peer-to-peer endpoint — identity, listener, and the direct chats it holds.
 * It knows nothing of the hub protocol: the caller (the client SDK) passes in what the hub said (the
 * peer's key and endpoints) and two callbacks for hub ops (answer, open relay), which keeps this
 * library usable and testable on its own.
 *
 * Roles: the requester dials the acceptor's endpoints (TLS client); if no direct session is up within
 * 5 s it opens the relay and runs the same TLS handshake over it. The acceptor listens and, at the same
 * time, waits on the relay channel as TLS server, so whichever path the requester gets through on is
 * taken at once. When a transport drops, both sides re-establish the same way (bounded attempts),
 * keeping unacked messages; when that fails the session closes and `unacked()` holds what to send
 * through the hub instead.
 */
import { EventEmitter } from "node:events";
import type { Endpoint } from "../protocol/model.js";
import type { DialPolicy } from "./addresses.js";
import { DIRECT_TIMEOUT_MS, dialDirect } from "./direct.js";
import { asError, PeerError, PeerKeyMismatchError } from "./errors.js";
import { clientHandshake, serverHandshake, type SecureChannel } from "./handshake.js";
import { loadOrCreateIdentity, type Identity } from "./identity.js";
import { type ListenOptions, PeerListener } from "./listener.js";
import { RelayMux, type RelayLink } from "./relay.js";
import { PeerSession, type PeerRole, type SessionOptions } from "./session.js";

export interface PeerNodeOptions {
  /** Defaults to the identity in `configDir` (created on first run). */
  identity?: Identity;
  configDir?: string;
  /** Listener options, or false for a node that only dials (its chats then use the relay when accepting). */
  listen?: ListenOptions | false;
  /** The hub connection's binary frames; without it there is no relay fallback. */
  relay?: RelayLink;
  /** How long the direct path gets before the relay is tried; default 5 s. */
  directTimeoutMs?: number;
  /** Which of the addresses the hub gives may be dialled (default: addresses.ts's safe policy, at most 16). */
  dialPolicy?: DialPolicy;
  /** Establishment attempts after a transport drops before the session gives up; default 3. */
  reconnectAttempts?: number;
  /**
   * How long a dropped chat waits for a hub connection (`setRelay(link)`) while it has none
   * (`setRelay(undefined)`); such waiting uses up no attempts. Default 60 s.
   */
  relayWaitMs?: number;
  session?: SessionOptions;
}

/** What the hub told us about the other side of a chat, and how to ask the hub for more. */
export interface ChatTarget {
  /** The peer's username. */
  peer: string;
  /** The peer's identity key as the hub published it (base64 SPKI DER). */
  key: string;
  requestId: string;
  /** Requester: the acceptor's endpoints from `p2p.answered`. */
  endpoints?: Endpoint[];
  /** Calls `p2p.relay {requestId}` and returns the channel. Without it there is no relay fallback. */
  openRelay?: () => Promise<number>;
}

export interface AcceptTarget extends ChatTarget {
  /**
   * Sends `p2p.answer {accept: true}`. Called after the node starts expecting the peer's key, so the
   * requester's dial (which may arrive before the answer's reply) is never refused.
   */
  answer?: () => Promise<unknown>;
}

export interface NodeEvents {
  /** A connection to the listener failed the handshake (unexpected key, garbage, timeout). */
  rejected: [Error, string];
}

interface Chat {
  session: PeerSession;
  target: ChatTarget;
  /** Direct channels from the listener wait here while an acceptor establishes. */
  onDirect?: (channel: SecureChannel) => void;
  establishing: boolean;
  /** Set once a path was up: only then can the other side hold a stale session to be told about. */
  wasUp: boolean;
}

export class PeerNode extends EventEmitter<NodeEvents> {
  private readonly chats = new Set<Chat>();
  private mux: RelayMux | undefined;
  private readonly directTimeoutMs: number;
  private readonly reconnectAttempts: number;
  private readonly relayWaitMs: number;
  /** Woken by `setRelay` and `close`: chats waiting for a hub connection try again at once. */
  private relayChanged = new Set<() => void>();
  private closing = false;

  private constructor(
    readonly identity: Identity,
    private readonly listener: PeerListener | undefined,
    private readonly options: PeerNodeOptions,
    /** Acceptor chats by peer key: the listener routes authenticated channels to them. */
    private readonly byKey: Map<string, Chat>,
  ) {
    super();
    this.directTimeoutMs = options.directTimeoutMs ?? DIRECT_TIMEOUT_MS;
    this.reconnectAttempts = options.reconnectAttempts ?? 3;
    this.relayWaitMs = options.relayWaitMs ?? 60_000;
    if (options.relay) this.mux = new RelayMux(options.relay);
    listener?.on("channel", (channel) => this.onDirectChannel(channel));
    listener?.on("rejected", (err, where) => this.emit("rejected", err, where));
  }

  static async create(options: PeerNodeOptions = {}): Promise<PeerNode> {
    const identity = options.identity ?? (await loadOrCreateIdentity(options.configDir));
    const byKey = new Map<string, Chat>();
    const listener =
      options.listen === false
        ? undefined
        : await PeerListener.listen(identity, (key) => byKey.has(key), options.listen ?? {});
    return new PeerNode(identity, listener, options, byKey);
  }

  /** Base64 SPKI DER: what `peer.announce` publishes. */
  get publicKey(): string {
    return this.identity.publicKey;
  }

  get fingerprint(): string {
    return this.identity.fingerprint;
  }

  /** What `peer.announce` publishes as endpoints (empty without a listener). */
  endpoints(): Endpoint[] {
    return this.listener?.endpoints() ?? [];
  }

  /**
   * Swaps the hub connection used for relaying: `undefined` when the client lost its hub connection,
   * the new link once it is back. Chats that dropped meanwhile wait for the new link instead of
   * spending their attempts on a connection that is gone (a re-login can take seconds).
   */
  setRelay(link: RelayLink | undefined): void {
    this.mux?.close();
    this.mux = link ? new RelayMux(link) : undefined;
    this.wakeRelayWaiters();
  }

  private wakeRelayWaiters(): void {
    const waiters = [...this.relayChanged];
    this.relayChanged.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next `setRelay`/`close`, or after `ms`. */
  private relayChange(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.relayChanged.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.relayChanged.add(done);
    });
  }

  /** The chat can only come back through the hub: it has no direct path to try. */
  private needsRelay(chat: Chat): boolean {
    if (chat.session.role === "acceptor") return this.listener === undefined;
    return !chat.target.endpoints || chat.target.endpoints.length === 0;
  }

  /** Requester side: resolves once a direct or relayed session with the peer is up. */
  async connect(target: ChatTarget): Promise<PeerSession> {
    const chat = this.newChat(target, "requester");
    try {
      await this.establish(chat);
    } catch (err) {
      this.forget(chat);
      chat.session.close();
      throw err;
    }
    return chat.session;
  }

  /** Acceptor side: expects the peer's key, answers, then takes the first path the requester gets through. */
  async accept(target: AcceptTarget): Promise<PeerSession> {
    const chat = this.newChat(target, "acceptor");
    try {
      await target.answer?.();
      await this.establish(chat);
    } catch (err) {
      this.forget(chat);
      chat.session.close();
      throw err;
    }
    return chat.session;
  }

  /** Closes every chat (telling peers) and the listener. */
  async close(): Promise<void> {
    this.closing = true;
    this.wakeRelayWaiters();
    for (const chat of [...this.chats]) chat.session.close();
    this.mux?.close();
    await this.listener?.close();
  }

  private newChat(target: ChatTarget, role: PeerRole): Chat {
    const session = new PeerSession(target.peer, target.key, role, target.requestId, this.options.session);
    const chat: Chat = { session, target, establishing: false, wasUp: false };
    this.chats.add(chat);
    if (role === "acceptor") {
      // A newer chat with the same peer takes over its direct connections.
      this.byKey.set(target.key, chat);
    }
    session.on("down", () => void this.reestablish(chat));
    session.on("closed", () => this.forget(chat));
    return chat;
  }

  private forget(chat: Chat): void {
    this.chats.delete(chat);
    if (this.byKey.get(chat.target.key) === chat) this.byKey.delete(chat.target.key);
  }

  private onDirectChannel(channel: SecureChannel): void {
    const chat = this.byKey.get(channel.peerKey);
    if (!chat || chat.session.closed) {
      channel.socket.destroy();
      return;
    }
    if (chat.onDirect) chat.onDirect(channel);
    // The peer re-dialed on its own (its side noticed the drop first): direct beats relay, take it.
    else chat.session.attach(channel, "direct");
  }

  private async reestablish(chat: Chat): Promise<void> {
    if (chat.establishing || this.closing) return;
    let lastError: Error = new PeerError("UNREACHABLE", `could not reach ${chat.target.peer} again`);
    const relayDeadline = Date.now() + this.relayWaitMs;
    let attempt = 0;
    while (attempt < this.reconnectAttempts) {
      if (chat.session.closed || chat.session.path !== null || this.closing) return;
      if (!this.mux && this.needsRelay(chat)) {
        // No hub connection right now: wait for the client to hand over a new one (bounded).
        const left = relayDeadline - Date.now();
        if (left <= 0) {
          lastError = new PeerError("RELAY_UNAVAILABLE", `no hub connection to reach ${chat.target.peer} by`);
          break;
        }
        await this.relayChange(left);
        continue;
      }
      try {
        await this.establish(chat);
        return;
      } catch (err) {
        lastError = asError(err);
        if (lastError instanceof PeerKeyMismatchError || chat.session.closed) break;
        attempt++;
        // A new hub connection is worth trying at once; otherwise back off.
        if (attempt < this.reconnectAttempts)
          await this.relayChange(Math.min(500 * 2 ** (attempt - 1), 4_000));
      }
    }
    if (!chat.session.closed && chat.session.path === null) {
      chat.session.abort(lastError);
    }
  }

  private async establish(chat: Chat): Promise<void> {
    if (chat.establishing) return;
    chat.establishing = true;
    try {
      if (chat.session.role === "requester") await this.establishAsRequester(chat);
      else await this.establishAsAcceptor(chat);
      chat.wasUp = true;
    } finally {
      chat.establishing = false;
    }
  }

  private async establishAsRequester(chat: Chat): Promise<void> {
    const { target, session } = chat;
    let directError: Error | undefined;
    if (target.endpoints && target.endpoints.length > 0) {
      try {
        const channel = await dialDirect({
          identity: this.identity,
          expectedKey: target.key,
          endpoints: target.endpoints,
          timeoutMs: this.directTimeoutMs,
          ...(this.options.dialPolicy ? { policy: this.options.dialPolicy } : {}),
        });
        session.attach(channel, "direct");
        return;
      } catch (err) {
        // A wrong key is an attack or a stale key, not a reachability problem: never paper over it.
        if (err instanceof PeerKeyMismatchError) throw err;
        directError = asError(err);
      }
    }
    const mux = this.mux;
    if (!target.openRelay || !mux) {
      throw (
        directError ??
        new PeerError("UNREACHABLE", `${target.peer} announced no endpoints and no relay is available`)
      );
    }
    const channelNo = await target.openRelay();
    const stream = mux.open(channelNo);
    const channel = await clientHandshake(stream, {
      identity: this.identity,
      expectedKey: target.key,
      where: `relay channel ${channelNo}`,
      timeoutMs: this.directTimeoutMs,
    });
    releaseWith(channel, stream);
    session.attach(channel, "relay");
  }

  private async establishAsAcceptor(chat: Chat): Promise<void> {
    const { target, session } = chat;
    // How long the requester may take: its direct attempt, then its relay handshake.
    const budgetMs = 2 * this.directTimeoutMs + 2_000;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      let relayStream: { destroy(): void } | undefined;
      let stopWatching = (): void => {};
      const timer = setTimeout(
        () =>
          settle(
            new PeerError(
              "UNREACHABLE",
              `${target.peer} did not connect directly or through the relay within ${budgetMs} ms`,
            ),
          ),
        budgetMs,
      );
      const settle = (outcome: { channel: SecureChannel; path: "direct" | "relay" } | Error): void => {
        if (settled) {
          if (!(outcome instanceof Error)) {
            if (outcome.path === "direct") session.attach(outcome.channel, "direct");
            else outcome.channel.socket.destroy();
          }
          return;
        }
        settled = true;
        clearTimeout(timer);
        stopWatching();
        chat.onDirect = undefined;
        if (outcome instanceof Error) {
          relayStream?.destroy();
          reject(outcome);
          return;
        }
        if (outcome.path === "direct") relayStream?.destroy();
        session.attach(outcome.channel, outcome.path);
        resolve();
      };
      chat.onDirect = (channel) => settle({ channel, path: "direct" });

      // Waits on the relay channel of the current hub connection — and again on the next one if the
      // client's connection is replaced meanwhile (a stream of the old one is dead).
      let relayAttempt = 0;
      const openRelay = (): void => {
        const mux = this.mux;
        if (settled || !target.openRelay || !mux) return;
        const attempt = ++relayAttempt;
        target.openRelay().then(
          (channelNo) => {
            if (settled || attempt !== relayAttempt || this.mux !== mux) return;
            relayStream?.destroy();
            const stream = mux.open(channelNo);
            relayStream = stream;
            // A requester still holding a session on our old connection's side re-dials at once. A
            // first establishment has nothing stale to end, and must not touch the relay at all
            // when the direct path wins (the hub would see an empty frame per chat for nothing).
            if (chat.wasUp) mux.signalRestart(channelNo);
            serverHandshake(stream, {
              identity: this.identity,
              accepts: (key) => key === session.peerKey,
              where: `relay channel ${channelNo}`,
              timeoutMs: budgetMs,
            }).then(
              (channel) => {
                releaseWith(channel, stream);
                settle({ channel, path: "relay" });
              },
              // A failed relay handshake is only fatal when it is a wrong key; else direct may still come.
              (err: Error) => {
                if (err instanceof PeerKeyMismatchError) settle(err);
              },
            );
          },
          (err: unknown) => {
            // No relay (e.g. the request expired on the hub): the direct path may still come.
            void err;
          },
        );
      };
      const onRelayChange = (): void => {
        if (settled) return;
        openRelay();
        this.relayChanged.add(onRelayChange);
      };
      this.relayChanged.add(onRelayChange);
      stopWatching = () => this.relayChanged.delete(onRelayChange);
      openRelay();
    });
  }
}

/**
 * Frees the relay channel when its TLS session ends, so a later handshake on the same channel (after
 * a reconnect) gets a fresh stream instead of the dead one's.
 */
function releaseWith(channel: SecureChannel, stream: { destroy(): void; established: boolean }): void {
  stream.established = true;
  channel.socket.once("close", () => stream.destroy());
}

/**
 * Rendezvous for peer-to-peer chats: who may ask whom, request lifetimes, and which connections may
 * use a relay channel. The hub never sees chat text here: it hands out keys and endpoints, and relays
 * opaque bytes (TLS records) between the two connections bound to an accepted request.
 *
 * Requests live in this node's memory (they are short-lived and meaningless after a restart: the peers
 * simply ask again). Relay bytes travel as Bus `relay` messages addressed to a connection id, so the
 * forwarding already works when the two parties sit on different nodes; the request table itself is
 * per node for now (cluster mode must share it, see docs/p2p.md).
 */
import { createPublicKey, randomBytes } from "node:crypto";
import type { OpParams, OpResult } from "../../protocol/ops.js";
import type { PeerRecord, UserId } from "../store/store.js";
import type { Accounts } from "./accounts.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import { notify } from "./notify.js";

/** An unanswered request expires after this long. */
export const P2P_REQUEST_TTL_MS = 2 * 60_000;
/** An accepted request (and its relay channel) stays usable this long, for reconnects and fallback. */
export const P2P_ACCEPTED_TTL_MS = 12 * 3600_000;
/** Unanswered requests one user may have open at once (stops request spam). */
export const P2P_PENDING_PER_USER = 16;

interface P2pRequest {
  id: string;
  fromUserId: UserId;
  fromName: string;
  toUserId: UserId;
  /** The connection that asked; after `p2p.relay`, the requester's relaying connection. */
  fromConn: string;
  /** The connection that accepted; after `p2p.relay`, the acceptor's relaying connection. */
  toConn: string | undefined;
  state: "pending" | "accepted";
  expiresAt: number;
  channel: number | undefined;
}

export type RelayOutcome = "forwarded" | "not-yours";

export class P2p {
  private readonly requests = new Map<string, P2pRequest>();
  private readonly channels = new Map<number, P2pRequest>();
  private nextChannel = 1;

  constructor(
    private readonly deps: DomainDeps,
    private readonly accounts: Accounts,
  ) {}

  /** Publishes the caller's identity key and endpoints (one record per user: the latest device wins). */
  async announce(actor: Actor, params: OpParams<"peer.announce">): Promise<void> {
    try {
      const key = createPublicKey({ key: Buffer.from(params.key, "base64"), format: "der", type: "spki" });
      // Peers pin this key in TLS; only key types Node's TLS 1.3 accepts in certificates are useful.
      if (!["ec", "ed25519", "rsa"].includes(key.asymmetricKeyType ?? ""))
        throw new Error("unsupported key type");
    } catch {
      fail("INVALID_PARAMS", "key must be a base64 DER SubjectPublicKeyInfo (EC, Ed25519 or RSA)", {
        field: "key",
      });
    }
    const record: PeerRecord = {
      key: params.key,
      endpoints: params.endpoints,
      updatedAt: this.deps.clock.now(),
    };
    await this.deps.store.setPeer(actor.userId, record);
  }

  async request(actor: Actor, params: OpParams<"p2p.request">): Promise<OpResult<"p2p.request">> {
    const { store, presence, clock } = this.deps;
    this.sweep();
    const target = await this.accounts.findUser(params.user);
    if (target.id === actor.userId)
      fail("INVALID_PARAMS", "you cannot ask yourself for a direct chat", { field: "user" });
    const mine = await this.peerOf(
      actor.userId,
      "announce your peer key (peer.announce) before asking for a direct chat",
    );
    // Unlike a DM, a direct chat needs the other side's consent, so a block is stated plainly.
    if (await store.isBlocked(actor.userId, target.id))
      fail("BLOCKED", `${target.username} does not accept direct chats from you`);
    if (!(await presence.isOnline(target.id))) fail("NOT_ONLINE", `${target.username} is not online`);
    let pending = 0;
    for (const r of this.requests.values())
      if (r.fromUserId === actor.userId && r.state === "pending") pending++;
    if (pending >= P2P_PENDING_PER_USER) {
      fail("RATE_LIMITED", `you have ${pending} unanswered direct-chat requests; wait for answers`, {
        retryAfterMs: P2P_REQUEST_TTL_MS,
      });
    }
    const me = await this.accounts.requireUser(actor.userId);
    const theirs = await store.getPeer(target.id);
    const request: P2pRequest = {
      id: randomBytes(16).toString("base64url"),
      fromUserId: actor.userId,
      fromName: me.username,
      toUserId: target.id,
      fromConn: actor.connId,
      toConn: undefined,
      state: "pending",
      expiresAt: clock.now() + P2P_REQUEST_TTL_MS,
      channel: undefined,
    };
    this.requests.set(request.id, request);
    await notify(this.deps.bus, [target.id], {
      ev: "p2p.request",
      requestId: request.id,
      from: me.username,
      key: mine.key,
    });
    return theirs ? { requestId: request.id, key: theirs.key } : { requestId: request.id };
  }

  /** The requester withdraws an unanswered request (e.g. it refuses the target's changed key). */
  async cancel(actor: Actor, params: OpParams<"p2p.cancel">): Promise<void> {
    const request = this.find(
      params.requestId,
      (r) => r.state === "pending" && r.fromUserId === actor.userId,
    );
    this.drop(request);
    await notify(this.deps.bus, [request.toUserId], {
      ev: "p2p.cancelled",
      requestId: request.id,
      ...(params.reason === "key-changed" && { reason: params.reason }),
    });
  }

  async answer(actor: Actor, params: OpParams<"p2p.answer">): Promise<OpResult<"p2p.answer">> {
    const request = this.find(params.requestId, (r) => r.state === "pending" && r.toUserId === actor.userId);
    if (!params.accept) {
      this.drop(request);
      await notify(this.deps.bus, [request.fromUserId], {
        ev: "p2p.answered",
        requestId: request.id,
        accept: false,
      });
      return {};
    }
    const mine = await this.peerOf(
      actor.userId,
      "announce your peer key (peer.announce) before accepting a direct chat",
    );
    const theirs = await this.peerOf(request.fromUserId, `${request.fromName} no longer has a peer key`);
    request.state = "accepted";
    request.toConn = actor.connId;
    request.expiresAt = this.deps.clock.now() + P2P_ACCEPTED_TTL_MS;
    await notify(this.deps.bus, [request.fromUserId], {
      ev: "p2p.answered",
      requestId: request.id,
      accept: true,
      endpoints: mine.endpoints,
      key: mine.key,
    });
    return { endpoints: theirs.endpoints, key: theirs.key };
  }

  /**
   * Opens the relay channel of an accepted request (the first caller allocates it, the second joins)
   * and binds the caller's current connection as its side, so a peer that reconnected to the hub can
   * relay again from its new connection.
   */
  relay(actor: Actor, params: OpParams<"p2p.relay">): OpResult<"p2p.relay"> {
    const request = this.find(
      params.requestId,
      (r) => r.state === "accepted" && (r.fromUserId === actor.userId || r.toUserId === actor.userId),
    );
    if (request.fromUserId === actor.userId) request.fromConn = actor.connId;
    else request.toConn = actor.connId;
    if (request.channel === undefined) {
      request.channel = this.allocateChannel();
      this.channels.set(request.channel, request);
    }
    return { channel: request.channel };
  }

  /**
   * Forwards relay bytes from connection `fromConn` on `channel` to the other party's connection,
   * untouched. Bytes on a channel the connection is not bound to are refused (the gateway counts them
   * as bad frames).
   */
  async forward(fromConn: string, channel: number, data: Uint8Array): Promise<RelayOutcome> {
    const request = this.channels.get(channel);
    if (!request || request.expiresAt <= this.deps.clock.now()) return "not-yours";
    const toConn =
      fromConn === request.fromConn
        ? request.toConn
        : fromConn === request.toConn
          ? request.fromConn
          : undefined;
    if (toConn === undefined) return "not-yours";
    await this.deps.bus.publish({ kind: "relay", toConn, channel, data });
    return "forwarded";
  }

  /** Requests currently held (for tests and metrics). */
  get size(): number {
    return this.requests.size;
  }

  private find(id: string, allowed: (r: P2pRequest) => boolean): P2pRequest {
    this.sweep();
    const request = this.requests.get(id);
    // One answer for "unknown", "expired" and "not yours": request ids are not to be probed.
    if (!request || !allowed(request)) fail("NO_SUCH_REQUEST", "no pending direct-chat request has this id");
    return request;
  }

  private async peerOf(userId: UserId, missing: string): Promise<PeerRecord> {
    const peer = await this.deps.store.getPeer(userId);
    if (!peer) fail("INVALID_PARAMS", missing);
    return peer;
  }

  private drop(request: P2pRequest): void {
    this.requests.delete(request.id);
    if (request.channel !== undefined) this.channels.delete(request.channel);
  }

  private sweep(): void {
    const now = this.deps.clock.now();
    for (const request of this.requests.values()) if (request.expiresAt <= now) this.drop(request);
  }

  private allocateChannel(): number {
    // Channel numbers are 32-bit on the wire; skip any still in use after wrapping around.
    for (;;) {
      const channel = this.nextChannel;
      this.nextChannel = this.nextChannel >= 0xffff_ffff ? 1 : this.nextChannel + 1;
      if (!this.channels.has(channel)) return channel;
    }
  }
}

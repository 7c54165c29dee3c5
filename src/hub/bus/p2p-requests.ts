/**
 * The table of direct-chat requests, shared by every hub node: a request taken on one node is answered,
 * cancelled or relayed on whichever node the other party is connected to. One node keeps it in memory;
 * a cluster keeps it in Redis with a TTL per request (redis-p2p-requests.ts).
 *
 * Contract, for every implementation:
 * - Every transition is atomic: of two devices accepting the same request at once (on any nodes), one
 *   wins and the other gets `undefined`; a request is cancelled, declined or accepted at most once.
 * - An expired request (`expiresAt <= now`) is as good as absent, whatever the implementation still holds.
 * - Relay channel numbers are unique among live requests, cluster-wide; 1 … 2^32 − 1.
 * - The table holds no business rules beyond the conditions named in each method: who may do what is
 *   decided by the domain (domain/p2p.ts) before calling it.
 */
import type { UserId } from "../store/store.js";

export interface P2pRequestRecord {
  id: string;
  fromUserId: UserId;
  fromName: string;
  /** The requesting device. */
  fromDevice: string;
  toUserId: UserId;
  /** The device asked, if one was (else any of the user's); once accepted, the device that accepted. */
  toDevice: string | undefined;
  /** The requester's connection; after `p2p.relay`, its relaying connection. */
  fromConn: string;
  /** The acceptor's connection; after `p2p.relay`, its relaying connection. */
  toConn: string | undefined;
  state: "pending" | "accepted";
  expiresAt: number;
  channel: number | undefined;
}

/** Which party acts: the requester (`from`) or the target (`to`, optionally one device of theirs). */
export interface Party {
  side: "from" | "to";
  userId: UserId;
  device?: string | undefined;
}

export interface P2pRequests {
  /** Stores a new pending request, unless its requester already has `maxPending` pending (then false). */
  create(request: P2pRequestRecord, now: number, maxPending: number): Promise<boolean>;
  /** Removes a pending request `party` may take back (the requester) or decline (the target device asked). */
  removePending(id: string, party: Party, now: number): Promise<P2pRequestRecord | undefined>;
  /**
   * Accepts a pending request for `userId`'s `device` (when it is the device asked, or none was), on
   * connection `conn`, and extends its life to `expiresAt`.
   */
  accept(
    id: string,
    userId: UserId,
    device: string,
    conn: string,
    expiresAt: number,
    now: number,
  ): Promise<P2pRequestRecord | undefined>;
  /**
   * Binds `conn` as the relaying connection of the party of an accepted request that is `userId`,
   * allocating the request's channel on first use.
   */
  bindRelay(id: string, userId: UserId, conn: string, now: number): Promise<P2pRequestRecord | undefined>;
  /** The live request whose relay channel is `channel`. */
  byChannel(channel: number, now: number): Promise<P2pRequestRecord | undefined>;
  close(): Promise<void>;
}

/** The biggest relay channel number (they are 32-bit on the wire; 0 is never used). */
export const MAX_CHANNEL = 0xffff_ffff;

/** Whether `party` is the requester, or the target and (when one was asked) the device asked. */
export function isParty(request: P2pRequestRecord, party: Party): boolean {
  if (party.side === "from") return request.fromUserId === party.userId;
  if (request.toUserId !== party.userId) return false;
  return request.toDevice === undefined || request.toDevice === party.device;
}

/** The requests of one hub node, in its memory. */
export class LocalP2pRequests implements P2pRequests {
  private readonly requests = new Map<string, P2pRequestRecord>();
  private readonly channels = new Map<number, string>();
  /** Pending request ids by requester, for the per-user cap without a scan. */
  private readonly pending = new Map<UserId, Set<string>>();
  private nextChannel = 1;
  private lastSweep = 0;

  async create(request: P2pRequestRecord, now: number, maxPending: number): Promise<boolean> {
    this.sweep(now);
    for (const id of [...(this.pending.get(request.fromUserId) ?? [])]) this.live(id, now);
    const mine = this.pending.get(request.fromUserId);
    if ((mine?.size ?? 0) >= maxPending) return false;
    this.requests.set(request.id, { ...request });
    if (mine) mine.add(request.id);
    else this.pending.set(request.fromUserId, new Set([request.id]));
    return true;
  }

  async removePending(id: string, party: Party, now: number): Promise<P2pRequestRecord | undefined> {
    const request = this.live(id, now);
    if (!request || request.state !== "pending" || !isParty(request, party)) return undefined;
    this.drop(request);
    return { ...request };
  }

  async accept(
    id: string,
    userId: UserId,
    device: string,
    conn: string,
    expiresAt: number,
    now: number,
  ): Promise<P2pRequestRecord | undefined> {
    const request = this.live(id, now);
    if (!request || request.state !== "pending" || !isParty(request, { side: "to", userId, device }))
      return undefined;
    Object.assign(request, { state: "accepted", toDevice: device, toConn: conn, expiresAt });
    this.unpend(request);
    return { ...request };
  }

  async bindRelay(
    id: string,
    userId: UserId,
    conn: string,
    now: number,
  ): Promise<P2pRequestRecord | undefined> {
    const request = this.live(id, now);
    if (!request || request.state !== "accepted") return undefined;
    if (request.fromUserId === userId) request.fromConn = conn;
    else if (request.toUserId === userId) request.toConn = conn;
    else return undefined;
    if (request.channel === undefined) {
      request.channel = this.allocateChannel();
      this.channels.set(request.channel, request.id);
    }
    return { ...request };
  }

  async byChannel(channel: number, now: number): Promise<P2pRequestRecord | undefined> {
    const id = this.channels.get(channel);
    const request = id === undefined ? undefined : this.live(id, now);
    return request && { ...request };
  }

  /** Requests currently held, expired ones included until the next sweep (tests). */
  get size(): number {
    return this.requests.size;
  }

  async close(): Promise<void> {
    this.requests.clear();
    this.channels.clear();
  }

  private live(id: string, now: number): P2pRequestRecord | undefined {
    this.sweep(now);
    const request = this.requests.get(id);
    if (request && request.expiresAt <= now) {
      this.drop(request);
      return undefined;
    }
    return request;
  }

  private drop(request: P2pRequestRecord): void {
    this.requests.delete(request.id);
    this.unpend(request);
    if (request.channel !== undefined) this.channels.delete(request.channel);
  }

  private unpend(request: P2pRequestRecord): void {
    const mine = this.pending.get(request.fromUserId);
    if (mine?.delete(request.id) && mine.size === 0) this.pending.delete(request.fromUserId);
  }

  /** Forgets expired requests: at most once a second (each lookup checks its own request anyway). */
  private sweep(now: number): void {
    if (now - this.lastSweep < 1_000) return;
    this.lastSweep = now;
    for (const request of this.requests.values()) if (request.expiresAt <= now) this.drop(request);
  }

  private allocateChannel(): number {
    // Skip any still in use after wrapping around.
    for (;;) {
      const channel = this.nextChannel;
      this.nextChannel = this.nextChannel >= MAX_CHANNEL ? 1 : this.nextChannel + 1;
      if (!this.channels.has(channel)) return channel;
    }
  }
}

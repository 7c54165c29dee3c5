/**
 * Rendezvous for peer-to-peer chats: who may ask whom, request lifetimes, and which connections may
 * use a relay channel. The hub never sees chat text here: it hands out keys (devices.ts) and the
 * endpoints an acceptor chooses to give, and relays opaque bytes (TLS records) between the two
 * connections bound to an accepted request.
 *
 * A request is from one device of a user to another user: to one chosen device, or to all of them
 * (the first to accept takes it, the others are told). The request table is shared by every hub node
 * (bus/p2p-requests.ts: memory for one node, Redis for a cluster), so the two parties may sit on any
 * nodes; relay bytes travel as Bus `relay` messages addressed to a connection id.
 */
import { randomBytes } from "node:crypto";
import type { Device, UserDevices } from "../../protocol/model.js";
import type { OpParams, OpResult } from "../../protocol/ops.js";
import type { P2pRequestRecord, P2pRequests } from "../bus/p2p-requests.js";
import type { Accounts } from "./accounts.js";
import type { Actor, DomainDeps } from "./context.js";
import { deviceView, type Devices } from "./devices.js";
import { DomainError, fail } from "./errors.js";
import { notify } from "./notify.js";

/** An unanswered request expires after this long. */
export const P2P_REQUEST_TTL_MS = 2 * 60_000;
/** An accepted request (and its relay channel) stays usable this long, for reconnects and fallback. */
export const P2P_ACCEPTED_TTL_MS = 12 * 3600_000;
/** Unanswered requests one user may have open at once (stops request spam). */
export const P2P_PENDING_PER_USER = 16;
/** Relay channels whose connections a node keeps at hand (the hot path asks no one for them). */
const CHANNEL_CACHE_MAX = 10_000;

/** A caller of the p2p ops: the user, and the device its connection announced (if it did). */
export interface DeviceActor extends Actor {
  deviceId: string | undefined;
}

export type RelayOutcome = "forwarded" | "not-yours";

interface Binding {
  fromConn: string;
  toConn: string | undefined;
  expiresAt: number;
}

export class P2p {
  /** Relay channels' connections, as last read from the table; dropped on `relay-bound` and bus gaps. */
  private readonly bindings = new Map<number, Binding>();

  constructor(
    private readonly deps: DomainDeps,
    private readonly accounts: Accounts,
    private readonly devices: Devices,
    private readonly table: P2pRequests,
  ) {
    deps.bus.subscribe((message) => {
      if (message.kind === "relay-bound") this.bindings.delete(message.channel);
    });
    deps.bus.onGap(() => this.bindings.clear());
  }

  async request(actor: DeviceActor, params: OpParams<"p2p.request">): Promise<OpResult<"p2p.request">> {
    const { store, presence, clock } = this.deps;
    const target = await this.accounts.findUser(params.user);
    if (target.id === actor.userId)
      fail("INVALID_PARAMS", "you cannot ask yourself for a direct chat", { field: "user" });
    const mine = await this.devices.current(actor, actor.deviceId, "asking for a direct chat");
    // Unlike a DM, a direct chat needs the other side's consent, so a block is stated plainly.
    if (await store.isBlocked(actor.userId, target.id))
      fail("BLOCKED", `${target.username} does not accept direct chats from you`);
    if (!(await presence.isOnline(target.id))) fail("NOT_ONLINE", `${target.username} is not online`);
    const theirs = await this.devices.of(target.id, target.username);
    const asked =
      params.device === undefined ? undefined : theirs.devices.find((d) => d.id === params.device);
    if (params.device !== undefined && !asked)
      fail("NO_SUCH_DEVICE", `${target.username} has no device ${params.device}`, { field: "device" });
    const me = await this.accounts.requireUser(actor.userId);
    const now = clock.now();
    const request: P2pRequestRecord = {
      id: randomBytes(16).toString("base64url"),
      fromUserId: actor.userId,
      fromName: me.username,
      fromDevice: mine.id,
      toUserId: target.id,
      toDevice: asked?.id,
      fromConn: actor.connId,
      toConn: undefined,
      state: "pending",
      expiresAt: now + P2P_REQUEST_TTL_MS,
      channel: undefined,
    };
    if (!(await this.shared(() => this.table.create(request, now, P2P_PENDING_PER_USER)))) {
      fail(
        "RATE_LIMITED",
        `you have ${P2P_PENDING_PER_USER} unanswered direct-chat requests; wait for answers`,
        {
          retryAfterMs: P2P_REQUEST_TTL_MS,
        },
      );
    }
    const myMaster = await store.getMasterKey(actor.userId);
    await notify(this.deps.bus, [target.id], {
      ev: "p2p.request",
      requestId: request.id,
      from: me.username,
      key: mine.key,
      device: deviceView(mine),
      ...(myMaster === undefined ? {} : { master: myMaster }),
      ...(asked === undefined ? {} : { to: asked.id }),
    });
    // For old clients, one key: the device asked, else the one seen last.
    const key = (asked ?? latest(theirs))?.key;
    return key === undefined ? { requestId: request.id } : { requestId: request.id, key, devices: theirs };
  }

  /** The requester withdraws an unanswered request (e.g. it refuses the target's changed key). */
  async cancel(actor: DeviceActor, params: OpParams<"p2p.cancel">): Promise<void> {
    const request = await this.shared(() =>
      this.table.removePending(
        params.requestId,
        { side: "from", userId: actor.userId },
        this.deps.clock.now(),
      ),
    );
    if (!request) noSuchRequest();
    await notify(this.deps.bus, [request.toUserId], {
      ev: "p2p.cancelled",
      requestId: request.id,
      ...(params.reason === "key-changed" && { reason: params.reason }),
    });
  }

  async answer(actor: DeviceActor, params: OpParams<"p2p.answer">): Promise<OpResult<"p2p.answer">> {
    const { clock, bus } = this.deps;
    if (!params.accept) {
      const request = await this.shared(() =>
        this.table.removePending(
          params.requestId,
          { side: "to", userId: actor.userId, device: actor.deviceId },
          clock.now(),
        ),
      );
      if (!request) noSuchRequest();
      await notify(bus, [request.fromUserId], { ev: "p2p.answered", requestId: request.id, accept: false });
      // The user said no: any other device of theirs still showing the question drops it.
      await notify(
        bus,
        [actor.userId],
        { ev: "p2p.cancelled", requestId: request.id, reason: "answered" },
        actor.connId,
      );
      return {};
    }
    const mine = await this.devices.current(actor, actor.deviceId, "accepting a direct chat");
    const now = clock.now();
    const request = await this.shared(() =>
      this.table.accept(
        params.requestId,
        actor.userId,
        mine.id,
        actor.connId,
        now + P2P_ACCEPTED_TTL_MS,
        now,
      ),
    );
    if (!request) noSuchRequest();
    const [theirs, myMaster, theirMaster] = await Promise.all([
      this.deps.store.getDevice(request.fromUserId, request.fromDevice),
      this.deps.store.getMasterKey(actor.userId),
      this.deps.store.getMasterKey(request.fromUserId),
    ]);
    await notify(bus, [request.fromUserId], {
      ev: "p2p.answered",
      requestId: request.id,
      accept: true,
      // What the acceptor chose to give this requester (clients hold back addresses from strangers);
      // an old client that says nothing gives what it announced.
      endpoints: params.endpoints ?? mine.endpoints,
      key: mine.key,
      device: deviceView(mine),
      ...(myMaster === undefined ? {} : { master: myMaster }),
    });
    // Taken on this device: the user's other devices drop the question.
    await notify(
      bus,
      [actor.userId],
      { ev: "p2p.cancelled", requestId: request.id, reason: "answered" },
      actor.connId,
    );
    if (!theirs || theirs.revokedAt !== undefined) return {};
    return {
      endpoints: theirs.endpoints,
      key: theirs.key,
      device: deviceView(theirs),
      ...(theirMaster === undefined ? {} : { master: theirMaster }),
    };
  }

  /**
   * Opens the relay channel of an accepted request (the first caller allocates it, the second joins)
   * and binds the caller's current connection as its side, so a peer that reconnected to the hub can
   * relay again from its new connection — before it announced again: any connection of the party's
   * user may bind, since the TLS handshake over the relay authenticates the devices themselves.
   */
  async relay(actor: Actor, params: OpParams<"p2p.relay">): Promise<OpResult<"p2p.relay">> {
    const request = await this.shared(() =>
      this.table.bindRelay(params.requestId, actor.userId, actor.connId, this.deps.clock.now()),
    );
    if (!request || request.channel === undefined) noSuchRequest();
    // Every node forgets what it knew of the channel's connections (this one included).
    await this.deps.bus.publish({ kind: "relay-bound", channel: request.channel });
    return { channel: request.channel };
  }

  /**
   * Forwards relay bytes from connection `fromConn` on `channel` to the other party's connection,
   * untouched. Bytes on a channel the connection is not bound to are refused (the gateway counts them
   * as bad frames).
   */
  async forward(fromConn: string, channel: number, data: Uint8Array): Promise<RelayOutcome> {
    let binding = await this.binding(channel, false);
    let toConn = binding && otherSide(binding, fromConn);
    if (toConn === undefined && binding) {
      // A cached copy may predate a rebind whose notice has not arrived yet: ask the table once more.
      binding = await this.binding(channel, true);
      toConn = binding && otherSide(binding, fromConn);
    }
    if (toConn === undefined) return "not-yours";
    await this.deps.bus.publish({ kind: "relay", toConn, channel, data });
    return "forwarded";
  }

  private async binding(channel: number, fresh: boolean): Promise<Binding | undefined> {
    const now = this.deps.clock.now();
    const cached = fresh ? undefined : this.bindings.get(channel);
    if (cached && cached.expiresAt > now) return cached;
    const request = await this.table.byChannel(channel, now);
    if (!request) {
      this.bindings.delete(channel);
      return undefined;
    }
    const binding = { fromConn: request.fromConn, toConn: request.toConn, expiresAt: request.expiresAt };
    if (this.bindings.size >= CHANNEL_CACHE_MAX) this.bindings.clear();
    this.bindings.set(channel, binding);
    return binding;
  }

  /** Runs a table operation; a table that cannot be reached (Redis down) is UNAVAILABLE, not INTERNAL. */
  private async shared<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      this.deps.log.warn({ err: (error as Error).message }, "direct-chat request table unavailable");
      fail("UNAVAILABLE", "direct chats cannot be arranged right now; try again shortly", {
        retryAfterMs: 2_000,
      });
    }
  }
}

function noSuchRequest(): never {
  // One answer for "unknown", "expired" and "not yours": request ids are not to be probed.
  fail("NO_SUCH_REQUEST", "no pending direct-chat request has this id");
}

function otherSide(binding: Binding, fromConn: string): string | undefined {
  if (fromConn === binding.fromConn) return binding.toConn;
  if (fromConn === binding.toConn) return binding.fromConn;
  return undefined;
}

function latest(devices: UserDevices): Device | undefined {
  let best: Device | undefined;
  for (const d of devices.devices) if (!best || d.lastSeen > best.lastSeen) best = d;
  return best;
}

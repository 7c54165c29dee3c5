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
 * Each device has keys of its own, signed by the user's master key (p2p-devices.ts). Every device of
 * a peer is checked against what this device pinned (`KnownContacts`): `unverified` on first contact,
 * `verified` once the user compared the safety number (`verification`, then `confirmVerified`) — and
 * then the peer's other devices signed by the same master key too — or `changed`. A changed device is
 * reported (`keyChanged`, with the safety number): for a contact never verified, accepting its request
 * or `trustKey(user)` takes it; for a verified contact it is blocked until verified again.
 *
 * Addresses: a chat goes directly (showing each side the other's network address) only when this
 * device's `p2p.addresses` setting allows it for that peer (default: verified peers only); otherwise
 * through the relay, and the answer carries no address.
 */
import type { E2eCopy } from "../protocol/e2e.js";
import type {
  CancelReason,
  CancelledReason,
  Device,
  Endpoint,
  EventData,
  UserDevices,
} from "../protocol/index.js";
import { revealsAddress, type AddressMode, type DialPolicy } from "../peer/addresses.js";
import { deviceWith, loadOrCreateDevice, type DeviceIdentity } from "../peer/device.js";
import { safetyMaterial } from "../peer/fingerprint.js";
import {
  KnownContacts,
  PeerNode,
  defaultConfigDir,
  keyFingerprint,
  safetyNumber,
  type Identity,
  type ListenOptions,
  type PeerSession,
  type PresentedDevice,
  type RelayLink,
  type Trust,
  type TrustCheck,
} from "../peer/index.js";
import type { SessionOptions } from "../peer/session.js";
import type { ParleyClient } from "./core/client.js";
import { Emitter } from "./core/emitter.js";
import { HubError } from "./core/errors.js";
import { DirectChat } from "./p2p-chat.js";
import { OwnDevices, type DeviceStanding, type OwnDevice } from "./p2p-devices.js";
import { readPeerSettings, writePeerSettings, type PeerSettings } from "./p2p-settings.js";
import { statusText } from "./core/reconnect.js";

/** A request is answered within the hub's 2 minutes or not at all. */
const ANSWER_WAIT_MS = 2 * 60_000 + 5_000;
/** An answer that arrives before its request's reply is kept this long. */
const EARLY_ANSWER_MS = 30_000;

export interface PeerChatsOptions {
  /** Where `peer-identity.pem` and `peer-contacts.json` live. Default: $PARLEY_CONFIG_DIR, else the OS config folder. */
  configDir?: string;
  /** An identity to use instead of the config folder's (tests; the device gets fresh signing keys). */
  identity?: Identity;
  /** To whom this device reveals its addresses; default the config folder's setting (`verified`). */
  addresses?: AddressMode;
  /** Which addresses from the hub may be dialled (default: addresses.ts's safe policy, at most 16). */
  dialPolicy?: DialPolicy;
  /** A label for this device in `/devices` lists (`PARLEY_DEVICE_NAME`). */
  deviceName?: string;
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
  /** The requesting device's id. */
  device: string;
  /** Compare out of band to rule out a substituted key (the same 60 digits on both screens). */
  safetyNumber: string;
  /** How the requesting device stands with this device: `verified`, `unverified` or `changed`. */
  trust: Trust;
  /** Nothing was known of this user before this request. */
  firstContact: boolean;
  /** Set when this device is not the one(s) known for the user: warn before accepting. */
  keyChanged?: KeyWarning;
}

export interface KeyWarning {
  user: string;
  /** The device whose key is not the known one. */
  device: string;
  fingerprint: string;
  previousFingerprint: string;
  safetyNumber: string;
  /**
   * The user was verified on this device: no direct chat with this device until the safety number is
   * compared again and confirmed (`confirmVerified`); `trustKey` will not do.
   */
  blocked: boolean;
}

/** A device of another user, with how it stands here, as `devicesOf` lists them. */
export interface PeerDevice {
  id: string;
  user: string;
  /** Identity key (TLS), signing key (Ed25519) and encryption key (X25519), base64 SPKI DER. */
  key: string;
  signKey?: string;
  encKey?: string;
  name?: string;
  fingerprint: string;
  trust: Trust;
  /** Signed by the user's master key (as the hub presented it). */
  signed: boolean;
  lastSeen: number;
}

/** What `/verify USER` shows: the safety number of this device and one of theirs. */
export interface Verification {
  user: string;
  device: string;
  fingerprint: string;
  trust: Trust;
  /** 60 digits in 12 groups of 5, the same on both screens. */
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
  /**
   * The user's own device list changed (from this device or another): a device added, signed, revoked,
   * or a new master key. `current`: it is about this device. A device the user did not add stands out.
   */
  devicesChanged: { change: "added" | "signed" | "revoked" | "master"; device?: string; current: boolean };
  /** A sealed message of an end-to-end encrypted room that a peer gave directly (E2eRooms checks it). */
  roomCopy: { from: string; room: string; copy: E2eCopy };
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
      warning.blocked
        ? `KEY CHANGED: ${warning.user} was verified, but this device of theirs is not (was ${warning.previousFingerprint}, now ${warning.fingerprint}); ` +
            `no direct chat until you compare the safety number ${warning.safetyNumber} with ${warning.user} and verify it again`
        : `${warning.user}'s key changed (was ${warning.previousFingerprint}, now ${warning.fingerprint}); ` +
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

/** A device as the hub presented it with its user's master key, and its id (computed here). */
type Presented = PresentedDevice & { id?: string; name?: string | undefined; lastSeen?: number };

function presented(device: Device | undefined, key: string, master: string | undefined): Presented {
  if (!device) return { key, master };
  return {
    id: device.id,
    key: device.key,
    signKey: device.signKey,
    encKey: device.encKey,
    signature: device.signature,
    name: device.name,
    lastSeen: device.lastSeen,
    master,
  };
}

export class PeerChats {
  private readonly emitter = new Emitter<PeerChatsEvents>();
  private readonly incoming = new Map<string, IncomingRequest>();
  /** What each incoming request's device looked like, for `accept` to trust or refuse it. */
  private readonly incomingDevices = new Map<string, Presented>();
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
  /** The changed device a warning showed, per user, so `trustKey` records the one the user was shown. */
  private readonly changedDevices = new Map<string, Presented>();
  /** The device `verification` last showed, per user, so `confirmVerified` verifies exactly that one. */
  private readonly shownForVerification = new Map<string, Presented>();
  /** How each user's device of the last chat or request stood, for the status line and `/whois`. */
  private readonly standings = new Map<string, Trust>();
  private readonly unsubscribe: Array<() => void> = [];
  private online = false;
  private announcedFor: string | null = null;
  private closed = false;

  private constructor(
    private readonly client: ParleyClient,
    private readonly node: PeerNode,
    private readonly contacts: KnownContacts,
    private readonly own: OwnDevices,
    private settings: PeerSettings,
    readonly configDir: string,
    private readonly options: PeerChatsOptions,
  ) {}

  /** Loads (or creates) the device's keys, starts the listener, and announces once logged in. */
  static async start(client: ParleyClient, options: PeerChatsOptions = {}): Promise<PeerChats> {
    const dir = options.configDir ?? defaultConfigDir();
    const settings = await readPeerSettings(dir);
    if (options.addresses) settings.addresses = options.addresses;
    const device = options.identity ? await deviceWith(options.identity) : await loadOrCreateDevice(dir);
    // Relay-only: nobody ever learns an address of this device, so there is nothing to listen on.
    const listen = settings.addresses === "relay-only" ? false : (options.listen ?? {});
    const node = await PeerNode.create({
      identity: device.identity,
      listen,
      ...(options.directTimeoutMs !== undefined ? { directTimeoutMs: options.directTimeoutMs } : {}),
      ...(options.reconnectAttempts !== undefined ? { reconnectAttempts: options.reconnectAttempts } : {}),
      ...(options.session ? { session: options.session } : {}),
      ...(options.dialPolicy ? { dialPolicy: options.dialPolicy } : {}),
    });
    let contacts: KnownContacts;
    try {
      contacts = await KnownContacts.open(dir);
    } catch (error) {
      await node.close();
      throw error;
    }
    const own = new OwnDevices(device, dir, options.deviceName ?? process.env.PARLEY_DEVICE_NAME);
    const chats = new PeerChats(client, node, contacts, own, settings, dir, options);
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

  /** This device: its id and keys (identity, signing, encryption), and whether the master key signed it. */
  get device(): DeviceIdentity & { standing: DeviceStanding } {
    return Object.assign(Object.create(null) as object, this.own.device, {
      standing: this.own.state,
    }) as DeviceIdentity & { standing: DeviceStanding };
  }

  /** What this device knows of other users' devices and keys: e2e rooms check senders and members against it. */
  get knownContacts(): KnownContacts {
    return this.contacts;
  }

  /** To whom this device reveals its addresses (`p2p.addresses`). */
  get addressMode(): AddressMode {
    return this.settings.addresses;
  }

  /**
   * Changes `p2p.addresses` and keeps it in the config folder. Returns a note when the change needs a
   * restart to take full effect (leaving `relay-only`: the listener starts with the app).
   */
  async setAddressMode(mode: AddressMode): Promise<string | undefined> {
    this.settings = { ...this.settings, addresses: mode };
    await writePeerSettings(this.configDir, this.settings);
    if (mode !== "relay-only" && this.node.endpoints().length === 0 && this.options.listen !== false)
      return "this device has no listener (it started relay-only): restart parley chat to take direct chats";
    return undefined;
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

  /**
   * How `user` stands with this device: the trust of their device in the last chat or request, else
   * `verified` when any of their devices was verified here, else undefined (nothing seen yet).
   */
  standing(user: string): Trust | undefined {
    const name = user.toLowerCase();
    return (
      this.chatsByPeer.get(name)?.trust ??
      this.standings.get(name) ??
      (this.contacts.isVerified(name) ? "verified" : undefined)
    );
  }

  /** Publishes this device's keys (done by itself after login and every reconnect); addresses go only in answers. */
  async announce(): Promise<void> {
    await this.own.announce(this.client, []);
    this.announcedFor = this.client.state.me?.username ?? null;
  }

  /**
   * Asks `user` (one of their devices, or all: the first to accept takes it) for a direct chat and, once
   * accepted, connects (directly when `p2p.addresses` allows it for them, else through the relay).
   * Rejects with HubError (NOT_ONLINE, NO_SUCH_USER, NO_SUCH_DEVICE, BLOCKED, INVALID_PARAMS …),
   * P2pDeclinedError, P2pTimeoutError, P2pKeyChangedError or a PeerError.
   */
  async request(user: string, device?: string): Promise<DirectChat> {
    const name = user.toLowerCase();
    if (!this.announcedFor) await this.announce();
    // The target may see the request before its reply reaches us: close() waits for the reply too,
    // and finds the request among the outgoing ones by then.
    const asking = this.client
      .call("p2p.request", { user: name, ...(device === undefined ? {} : { device }) })
      .then((reply) => {
        this.outgoing.add(reply.requestId);
        return reply;
      });
    this.asking.add(asking);
    const reply = await asking.finally(() => this.asking.delete(asking));
    const { requestId, key } = reply;
    let firstContact = false;
    let answer: Answered;
    try {
      // The reply names the key the hub holds for them (the device asked, else the one seen last): a
      // changed one is refused before they answer, and the request withdrawn, so they are not left
      // waiting on a chat that will not come.
      if (key !== undefined) {
        const named = reply.devices?.devices.find((d) => d.key === key);
        const first = await this.refuseChanged(name, presented(named, key, reply.devices?.master), requestId);
        firstContact = first.firstContact;
      }
      answer = await this.answerOf(requestId, name);
    } catch (error) {
      if (!(error instanceof P2pKeyChangedError)) void this.withdraw(requestId);
      throw error;
    } finally {
      this.outgoing.delete(requestId);
    }
    if (!answer.accept || !answer.key) throw new P2pDeclinedError(name);
    const theirs = presented(answer.device, answer.key, answer.master);
    const check = await this.refuseChanged(name, theirs);
    // Dialling shows them our address: only where the setting allows it; else the relay.
    const direct = revealsAddress(this.settings.addresses, standingOf(check, firstContact));
    const session = await this.node.connect({
      peer: name,
      key: answer.key,
      requestId,
      endpoints: direct ? (answer.endpoints ?? []) : [],
      openRelay: () => this.openRelay(requestId),
    });
    return this.adopt(session, check, theirs);
  }

  /** Throws P2pKeyChangedError (withdrawing `requestId`, if given) when the device is not one we trust. */
  private async refuseChanged(user: string, device: Presented, requestId?: string): Promise<TrustCheck> {
    const check = await this.contacts.check(user, device);
    this.standings.set(user, check.trust);
    if (check.trust !== "changed") return check;
    if (requestId !== undefined) void this.withdraw(requestId, "key-changed");
    throw new P2pKeyChangedError(this.keyChanged(user, device, check));
  }

  private withdraw(requestId: string, reason: CancelReason = "withdrawn"): Promise<void> {
    return this.client.call("p2p.cancel", { requestId, reason }).then(
      () => {},
      () => {
        // Already answered or expired: nothing is left waiting on it.
      },
    );
  }

  /**
   * Accepts an incoming request (trusting a changed device the user was warned about — unless the user
   * was verified: then it throws P2pKeyChangedError) and connects. Rejects with P2pWithdrawnError at once
   * when the requester withdraws meanwhile, instead of waiting out the connection deadline for a peer
   * that is not coming.
   */
  async accept(requestId: string): Promise<DirectChat> {
    const request = this.incoming.get(requestId);
    const device = this.incomingDevices.get(requestId);
    if (request?.keyChanged?.blocked) throw new P2pKeyChangedError(request.keyChanged);
    const taken = this.takeRequest(requestId);
    if (taken.keyChanged && device) await this.contacts.trust(taken.from, device);
    const check = this.contacts.assess(taken.from, device ?? { key: taken.key });
    this.standings.set(taken.from, check.trust);
    // Our addresses go to this requester only where the setting allows it; else it must use the relay.
    const endpoints = revealsAddress(
      this.settings.addresses,
      standingOf(check, taken.firstContact || taken.keyChanged !== undefined),
    )
      ? (this.options.announce ?? this.node.endpoints())
      : [];
    const withdrawn = new Promise<never>((_, reject) =>
      this.accepting.set(requestId, { from: taken.from, giveUp: reject }),
    );
    const accepting = this.node.accept({
      peer: taken.from,
      key: taken.key,
      requestId,
      answer: () =>
        this.client.call("p2p.answer", { requestId, accept: true, endpoints }).catch((error: unknown) => {
          // Withdrawn before our answer reached the hub.
          if (error instanceof HubError && error.code === "NO_SUCH_REQUEST")
            throw new P2pWithdrawnError(taken.from);
          throw error;
        }),
      openRelay: () => this.openRelay(requestId),
    });
    try {
      return this.adopt(await Promise.race([accepting, withdrawn]), check, device ?? { key: taken.key });
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

  /**
   * Records the changed device of `user` that a warning showed, after the user compared safety numbers.
   * False when no change is waiting; P2pKeyChangedError when the user was verified (verify instead).
   */
  async trustKey(user: string): Promise<boolean> {
    const name = user.toLowerCase();
    const device = this.changedDevices.get(name);
    if (!device) return false;
    const check = this.contacts.assess(name, device);
    if (check.blocked) throw new P2pKeyChangedError(this.warningOf(name, device, check));
    await this.contacts.trust(name, device);
    this.changedDevices.delete(name);
    this.standings.set(name, this.contacts.assess(name, device).trust);
    return true;
  }

  /** The safety number with `user` for a key alone (both screens show the same 60 digits). */
  safetyNumberWith(user: string, key: string): string {
    return this.safetyNumberFor(user, { key });
  }

  /** The safety number of this device and `device` of `user`: each side's key, and master key if signed. */
  private safetyNumberFor(user: string, device: Presented, check?: TrustCheck): string {
    const me = this.client.state.me?.username ?? "";
    const mine = this.own.state;
    const signed = check?.signed ?? this.contacts.assess(user, device).signed;
    return safetyNumber(
      {
        username: me,
        key: safetyMaterial(this.node.publicKey, mine.signed ? mine.master : undefined),
      },
      { username: user, key: safetyMaterial(device.key, signed ? device.master : undefined) },
    );
  }

  /** `user`'s devices as the hub lists them, each with its keys and how it stands here (nothing is pinned). */
  async devicesOf(user: string): Promise<PeerDevice[]> {
    const name = user.toLowerCase();
    const list = await this.client.call("devices.list", { user: name });
    return list.devices.map((d) => this.peerDevice(name, d, list));
  }

  private peerDevice(user: string, d: Device, list: UserDevices): PeerDevice {
    const check = this.contacts.assess(user, presented(d, d.key, list.master));
    return {
      id: check.device,
      user,
      key: d.key,
      ...(d.signKey === undefined ? {} : { signKey: d.signKey }),
      ...(d.encKey === undefined ? {} : { encKey: d.encKey }),
      ...(d.name === undefined ? {} : { name: d.name }),
      fingerprint: check.fingerprint,
      trust: check.trust,
      signed: check.signed,
      lastSeen: d.lastSeen,
    };
  }

  /**
   * The safety number of this device and one of `user`'s, to compare out of band: the device of the
   * open chat, else `device` (an id or a unique prefix), else the one the hub saw last. The device
   * shown is the one `confirmVerified` then marks verified.
   */
  async verification(user: string, device?: string): Promise<Verification> {
    const name = user.toLowerCase();
    let target: Presented | undefined =
      device === undefined ? this.chatsByPeer.get(name)?.presented : undefined;
    if (!target) {
      const list = await this.client.call("devices.list", { user: name });
      const prefix = device?.toLowerCase();
      const candidates = list.devices.filter((d) => prefix === undefined || d.id.startsWith(prefix));
      const chosen =
        prefix === undefined
          ? candidates.reduce<Device | undefined>(
              (best, d) => (!best || d.lastSeen > best.lastSeen ? d : best),
              undefined,
            )
          : candidates.length === 1
            ? candidates[0]
            : undefined;
      if (!chosen)
        throw new Error(
          prefix === undefined
            ? `${name} has published no device key yet`
            : `${name} has no single device whose id starts with ${prefix}`,
        );
      target = presented(chosen, chosen.key, list.master);
    }
    this.shownForVerification.set(name, target);
    return this.verificationOf(name, target, this.contacts.assess(name, target));
  }

  private verificationOf(user: string, device: Presented, check: TrustCheck): Verification {
    return {
      user,
      device: check.device,
      fingerprint: check.fingerprint,
      trust: check.trust,
      safetyNumber: this.safetyNumberFor(user, device, check),
    };
  }

  /**
   * Marks the device `verification` showed for `user` verified (the user compared the number), and the
   * master key that signed it: the user's other devices it signed are verified from now on too.
   */
  async confirmVerified(user: string): Promise<Verification> {
    const name = user.toLowerCase();
    const target = this.shownForVerification.get(name);
    if (!target) throw new Error(`compare the safety number first: /verify ${name}`);
    const check = await this.contacts.verify(name, target);
    this.shownForVerification.delete(name);
    this.changedDevices.delete(name);
    this.standings.set(name, check.trust);
    const chat = this.chatsByPeer.get(name);
    if (chat) chat.setTrust(this.contacts.assess(name, chat.presented).trust);
    return this.verificationOf(name, target, check);
  }

  /** This user's devices (`/devices`), each with whether the master key's signature holds. */
  async ownDevices(): Promise<OwnDevice[]> {
    if (!this.announcedFor) await this.announce();
    return this.own.list(this.client);
  }

  /** Signs one of this user's devices (id or unique prefix) with the master key this device holds. */
  async signDevice(idPrefix: string): Promise<OwnDevice> {
    return this.own.sign(this.client, idPrefix);
  }

  /**
   * Replaces this device's encryption key (e2e rooms) and publishes it: messages sealed to the old key
   * can no longer be opened, here or by anyone who later gets this device's files.
   */
  async rotateKeys(): Promise<DeviceStanding> {
    return this.own.rotate(this.client, []);
  }

  /** Revokes one of this user's devices (id or unique prefix) for good. */
  async revokeDevice(idPrefix: string): Promise<OwnDevice> {
    return this.own.revoke(this.client, idPrefix);
  }

  /** The user's master key, encrypted with `passphrase`, for a backup or another device. */
  async exportMasterKey(passphrase: string): Promise<string> {
    if (!this.announcedFor) await this.announce();
    return this.own.exportMaster(passphrase);
  }

  /** Takes an exported master key and signs this device with it. */
  async importMasterKey(pem: string, passphrase: string): Promise<DeviceStanding> {
    await this.own.importMaster(pem, passphrase);
    await this.announce();
    return this.own.state;
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
        else if (event.ev === "devices.changed") this.onDevicesChanged(event);
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

  /** The user's device list changed: re-announce when it may concern this device; tell the UI. */
  private onDevicesChanged(event: EventData<"devices.changed">): void {
    if (event.change !== "added") this.announceQuietly();
    this.emitter.emit("devicesChanged", {
      change: event.change,
      ...(event.device === undefined ? {} : { device: event.device }),
      current: event.device === this.own.device.id,
    });
  }

  private warn(message: string, error?: unknown): void {
    this.emitter.emit("warning", error instanceof Error ? { message, error } : { message });
  }

  private async onRequest(event: EventData<"p2p.request">): Promise<void> {
    // Asked of another of this user's devices: not ours to show.
    if (event.to !== undefined && event.to !== this.own.device.id) return;
    const from = event.from.toLowerCase();
    const device = presented(event.device, event.key, event.master);
    let check: TrustCheck;
    this.checking.add(event.requestId);
    try {
      check = await this.contacts.check(from, device);
    } catch (error) {
      this.warn(`could not check ${from}'s key: ${statusText(error)}`, error);
      return;
    } finally {
      this.checking.delete(event.requestId);
    }
    this.standings.set(from, check.trust);
    const safetyNumber = this.safetyNumberFor(from, device, check);
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
      device: check.device,
      safetyNumber,
      trust: check.trust,
      firstContact: check.firstContact,
      ...(check.trust === "changed" ? { keyChanged: this.keyChanged(from, device, check) } : {}),
    };
    this.incoming.set(request.requestId, request);
    this.incomingDevices.set(request.requestId, device);
    // The hub forgets unanswered requests after 2 minutes; so do we.
    setTimeout(() => {
      this.incomingDevices.delete(request.requestId);
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

  private warningOf(user: string, device: Presented, check: TrustCheck): KeyWarning {
    return {
      user,
      device: check.device,
      fingerprint: check.fingerprint,
      previousFingerprint: check.previousFingerprint ?? check.fingerprint,
      safetyNumber: this.safetyNumberFor(user, device, check),
      blocked: check.blocked,
    };
  }

  private keyChanged(user: string, device: Presented, check: TrustCheck): KeyWarning {
    this.changedDevices.set(user, device);
    this.shownForVerification.set(user, device);
    const warning = this.warningOf(user, device, check);
    this.emitter.emit("keyChanged", warning);
    return warning;
  }

  private takeRequest(requestId: string): IncomingRequest {
    const request = this.incoming.get(requestId);
    if (!request) throw new Error(`no direct-chat request ${requestId} is waiting (answered, or expired)`);
    this.incoming.delete(requestId);
    this.incomingDevices.delete(requestId);
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
    this.incomingDevices.delete(requestId);
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

  private adopt(session: PeerSession, check: TrustCheck, device: Presented): DirectChat {
    const me = this.client.state.me?.username ?? "me";
    const peer = session.peer;
    this.chatsByPeer.get(peer)?.close();
    const chat = new DirectChat(peer, me, session, this.client, keyFingerprint(session.peerKey), (ended) => {
      if (this.chatsByPeer.get(peer) === ended) this.chatsByPeer.delete(peer);
    });
    chat.presented = device;
    chat.setTrust(check.trust);
    chat.on("roomCopy", (c) => this.emitter.emit("roomCopy", c));
    this.chatsByPeer.set(peer, chat);
    this.emitter.emit("chat", chat);
    return chat;
  }
}

/** How a checked device stands for the address setting. */
function standingOf(check: TrustCheck, newHere = false): { verified: boolean; known: boolean } {
  return {
    verified: check.trust === "verified",
    // A contact seen before counts as known; a first contact, or a change just accepted, does not yet.
    known: check.trust === "unverified" && !check.firstContact && !newHere,
  };
}

/**
 * End-to-end encrypted rooms in the SDK (docs/e2e-rooms.md). Beside a ParleyClient whose state keeps
 * every message as the hub orders it (sealed: `e2e` set, `body` empty), this seals what the user sends
 * to the current members' devices, and checks and opens what arrives:
 *
 * - Sealing: `room.devices` gives each member's devices and master key; each device is checked against
 *   what this device knows of its user (KnownContacts: signed by the pinned master key, verified…).
 *   A device that is `KEY CHANGED` for a verified user is left out (and said so): a hub cannot add an
 *   eavesdropper to a verified member's account. The list is fetched again after any membership change.
 * - Opening, in the hub's seq order per room: the sender device must be one of the sender's listed
 *   devices (not `KEY CHANGED` for a verified user); signature, sealed key, key commitment and body
 *   must all check, or the message is shown as rejected with a warning — never its text.
 * - Per sender device, counters must go 1, 2, 3…: a jump means the hub withheld messages (or they were
 *   not stored), a step back means it reordered or replayed one; both are warnings in the room.
 * - Direct copies (a member with a direct peer session with the sender gets the message at once,
 *   `acceptDirect`): shown at once, dropped when the hub's copy of the same message (sender device and
 *   counter) arrives, which gives it its place; a direct copy after the hub's is ignored.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { e2eMessageId, recipientsOf, type E2eCopy, type E2eEnvelope } from "../protocol/e2e.js";
import type { AnyEvent, Message, UserDevices } from "../protocol/index.js";
import type { DeviceIdentity } from "../peer/device.js";
import type { KnownContacts, PresentedDevice, Trust, TrustCheck } from "../peer/contacts.js";
import type { ParleyClient } from "./core/client.js";
import { Emitter } from "./core/emitter.js";
import { HubError, NotConnectedError } from "./core/errors.js";
import { roomKey } from "./core/keys.js";
import type { ClientState } from "./core/types.js";
import { E2eOpenError, openCopy, sealMessage, type Recipient } from "./e2e-crypto.js";

export const E2E_COUNTERS_FILE = "e2e-counters.json";
export const E2E_PINS_FILE = "e2e-device-keys.json";

/** Write-then-rename (mode 0600) so a crash never leaves half a file. */
function writeAtomically(dir: string, name: string, data: unknown): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  writeFileSync(`${path}.tmp`, JSON.stringify(data), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** How one sealed message stands on this device. */
export interface E2eView {
  state: "ok" | "rejected";
  /** The text, only when every check passed. */
  text?: string;
  /** Why it was rejected, or what is odd about it (a counter jump before it, out of order). */
  warning?: string;
  /** The sender device's trust here. */
  trust?: Trust;
  /** Sender device and counter: the id shared by the direct and the hub copy. */
  mid: string;
}

/** A message that came directly from its sender and whose hub copy has not arrived yet. */
export interface DirectCopy {
  room: string;
  from: string;
  mid: string;
  text: string;
  receivedAt: number;
}

/** A member device as this device sees it. */
export interface MemberDevice {
  user: string;
  id: string;
  trust: Trust;
  signed: boolean;
  /** `KEY CHANGED` for a user verified here: never sealed to. */
  blocked: boolean;
  /** Lacks the keys e2e rooms need (an older client): cannot be sealed to. */
  incapable: boolean;
}

export type E2eNoticeKind = "tampered" | "withheld" | "reordered" | "membership" | "device";

/** Something the room's screen must show prominently. */
export interface E2eNotice {
  room: string;
  kind: E2eNoticeKind;
  text: string;
}

export interface E2eEvents {
  /** Views or direct copies changed: redraw. */
  change: void;
  notice: E2eNotice;
}

interface RoomTrack {
  /** The highest seq checked in order. */
  checkedSeq: number;
  /** Per sender device, the last counter seen in seq order. */
  last: Map<string, number>;
  /** Message ids (sender device:counter) the hub delivered. */
  seen: Set<string>;
  queue: Promise<void>;
}

/** Direct chats to give sealed messages to at once, and to take them from (PeerChats). */
export interface DirectPeers {
  chatWith(user: string): { sendRoomCopy(room: string, copy: E2eCopy): boolean } | undefined;
  on(name: "roomCopy", listener: (c: { from: string; room: string; copy: E2eCopy }) => void): () => void;
}

export interface E2eRoomsOptions {
  /** Where the send counters live (the device's config folder); in memory when absent (tests). */
  configDir?: string;
  /** Members with a direct chat open get each message directly too (the founding design's broadcast). */
  peers?: DirectPeers;
  /**
   * How long a room's device list is used before it is fetched again (membership changes drop it at
   * once; this is for a member's new or rotated device, which the hub tells only its owner of).
   */
  devicesTtlMs?: number;
  now?: () => number;
}

/** How long a room's device list is kept (see E2eRoomsOptions.devicesTtlMs). */
const DEVICES_TTL_MS = 30_000;

/** Direct copies kept per room while their hub copy is awaited (beyond it the oldest go). */
const DIRECT_PENDING_MAX = 200;

export class E2eRooms {
  private readonly emitter = new Emitter<E2eEvents>();
  private readonly views = new Map<string, E2eView>();
  private readonly processing = new Set<string>();
  private readonly tracks = new Map<string, RoomTrack>();
  private readonly direct = new Map<string, DirectCopy[]>();
  private readonly roomDevices = new Map<string, Promise<MemberDevice[] & { recipients: Recipient[] }>>();
  private readonly fetchedAt = new Map<string, number>();
  private readonly userDevices = new Map<string, Promise<UserDevices>>();
  private counters: Record<string, number> = {};
  /** Devices checked (and remembered) once this session: see trustOf. */
  private readonly checked = new Set<string>();
  /** The e2e keys of unsigned devices, as first seen (see trustOf). */
  private readonly pinnedKeys: Record<string, { signKey: string; encKey: string }>;
  private sealing: Promise<unknown> = Promise.resolve();
  private readonly offs: (() => void)[] = [];
  private readonly now: () => number;

  constructor(
    private readonly client: ParleyClient,
    /** This device's keys; a function when they may change (`/devices rotate`). */
    private readonly deviceOf: DeviceIdentity | (() => DeviceIdentity),
    private readonly contacts: KnownContacts,
    private readonly options: E2eRoomsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.counters = this.loadCounters();
    this.pinnedKeys = this.loadPinned();
    this.offs.push(
      client.on("change", (state) => this.scan(state)),
      client.on("event", (event) => this.onEvent(event)),
    );
    const peers = options.peers;
    if (peers) this.offs.push(peers.on("roomCopy", (c) => void this.acceptDirect(c.from, c.room, c.copy)));
    this.scan(client.state);
  }

  /** E2e rooms for a client with peer-to-peer chats: the same device keys and the same trust store. */
  static forPeer(
    client: ParleyClient,
    p2p: DirectPeers & { device: DeviceIdentity; knownContacts: KnownContacts; configDir: string },
    options: Omit<E2eRoomsOptions, "configDir" | "peers"> = {},
  ): E2eRooms {
    return new E2eRooms(client, () => p2p.device, p2p.knownContacts, {
      ...options,
      configDir: p2p.configDir,
      peers: p2p,
    });
  }

  private get device(): DeviceIdentity {
    return typeof this.deviceOf === "function" ? this.deviceOf() : this.deviceOf;
  }

  on<E extends keyof E2eEvents>(name: E, listener: (value: E2eEvents[E]) => void): () => void {
    return this.emitter.on(name, listener);
  }

  close(): void {
    for (const off of this.offs) off();
    this.emitter.removeAll();
  }

  /** Whether a room (in state) is end-to-end encrypted. */
  isE2e(room: string): boolean {
    return this.client.state.rooms[room.toLowerCase()]?.info.e2e === true;
  }

  /** How a sealed message stands (undefined while it is being checked, or for a plain message). */
  view(message: Message): E2eView | undefined {
    return this.views.get(message.id);
  }

  /** Direct copies of a room still waiting for their hub copy, oldest first. */
  pendingDirect(room: string): readonly DirectCopy[] {
    return this.direct.get(room.toLowerCase()) ?? [];
  }

  /** The member devices a message to `room` is sealed to now (fetched again after membership changes). */
  async members(room: string): Promise<MemberDevice[]> {
    return [...(await this.devicesOf(room.toLowerCase()))];
  }

  /** Seals `text` to the room's current member devices and sends it through the outbox. */
  async send(room: string, text: string): Promise<Message> {
    const name = room.toLowerCase();
    const body = text.trim();
    // Refused before a counter is taken: a number never sent would look like a withheld message.
    const max = this.client.state.hub?.limits.maxBodyChars;
    if (body === "") throw new HubError({ code: "EMPTY_BODY", message: "the message is empty" });
    if (max !== undefined && [...body].length > max)
      throw new HubError({ code: "BODY_TOO_LONG", message: `messages may have at most ${max} characters` });
    if (!this.client.state.me) throw new NotConnectedError("log in first");
    // Sealed one after another, so messages enter the outbox in counter order (the order they were sent).
    const queued = this.sealing.then(async () => {
      const devices = await this.devicesOf(name);
      if (devices.recipients.length === 0)
        throw new Error(`no device in ${name} can receive sealed messages`);
      const n = this.nextCounter(name);
      const envelope = await sealMessage(name, body, this.device, n, devices.recipients);
      // Wrapped: the chain waits for the outbox to take it, not for the hub's answer.
      const sent = this.client.send(roomKey(name), body, { e2e: envelope });
      this.broadcast(name, envelope);
      return { sent };
    });
    this.sealing = queued.then(
      () => {},
      () => {},
    );
    return (await queued).sent;
  }

  /** Gives each member with a direct chat open their copy at once; the hub's copy follows anyway. */
  private broadcast(room: string, envelope: E2eEnvelope): void {
    const peers = this.options.peers;
    if (!peers) return;
    const me = this.client.state.me?.username.toLowerCase();
    const { keys, ...header } = envelope;
    const to = recipientsOf(keys);
    for (const [user, theirs] of Object.entries(keys)) {
      if (user.toLowerCase() === me) continue;
      peers.chatWith(user)?.sendRoomCopy(room, { ...header, to, keys: theirs });
    }
  }

  /**
   * A copy the sender gave this device directly (peer session with `from`): shown at once unless the
   * hub's copy came first. Checked like a hub copy, except for counters (the hub's order decides those).
   */
  async acceptDirect(from: string, room: string, copy: E2eCopy): Promise<void> {
    const name = room.toLowerCase();
    const mid = e2eMessageId(copy);
    // Only from a member of a room this device is in: anyone else has no place in it.
    const known = this.client.state.rooms[name];
    if (known?.info.e2e !== true || known.members[from.toLowerCase()] === undefined) return;
    if (this.track(name).seen.has(mid)) return;
    if ((this.direct.get(name) ?? []).some((d) => d.mid === mid)) return;
    try {
      const { text } = await this.open(name, from, copy);
      if (this.track(name).seen.has(mid)) return;
      const list = [
        ...(this.direct.get(name) ?? []),
        { room: name, from, mid, text, receivedAt: this.now() },
      ];
      this.direct.set(name, list.slice(-DIRECT_PENDING_MAX));
      this.emitter.emit("change", undefined);
    } catch (error) {
      this.notice(name, "tampered", `a message sent directly by ${from} was rejected: ${messageOf(error)}`);
    }
  }

  // ------------------------------------------------------------------ receiving

  private track(room: string): RoomTrack {
    let t = this.tracks.get(room);
    if (!t) {
      t = { checkedSeq: 0, last: new Map(), seen: new Set(), queue: Promise.resolve() };
      this.tracks.set(room, t);
    }
    return t;
  }

  /** Queues every sealed message not checked yet, per room in seq order. */
  private scan(state: ClientState): void {
    for (const room of Object.values(state.rooms)) {
      const fresh = room.messages.filter(
        (m) => m.e2e !== undefined && !this.views.has(m.id) && !this.processing.has(m.id),
      );
      if (fresh.length === 0) continue;
      const t = this.track(room.name);
      for (const message of fresh) {
        this.processing.add(message.id);
        t.queue = t.queue.then(() => this.process(room.name, message, t));
      }
    }
  }

  private async process(room: string, message: Message, t: RoomTrack): Promise<void> {
    const copy = message.e2e!;
    const mid = e2eMessageId(copy);
    let view: E2eView;
    let counted = true;
    try {
      const { text, trust } = await this.open(room, message.from, copy);
      view = { state: "ok", text, trust, mid };
    } catch (error) {
      view = { state: "rejected", warning: messageOf(error), mid };
      // Not sealed to this device (e.g. sent before it joined): its signature checked, so it still counts.
      counted = error instanceof E2eOpenError && error.reason === "not-for-this-device";
      if (!counted) {
        this.notice(room, "tampered", `a message from ${message.from} was rejected: ${messageOf(error)}`);
      }
    }
    // Counters are checked along the hub's order only (older pages loaded later are opened, not counted).
    if (counted && message.seq > t.checkedSeq) {
      t.checkedSeq = message.seq;
      const last = t.last.get(copy.device);
      if (last !== undefined && copy.n > last + 1) {
        const missing = copy.n - last - 1;
        const text = `${missing} message${missing === 1 ? "" : "s"} from ${message.from} before this one never arrived: withheld by the hub, or never stored`;
        view = { ...view, warning: view.warning ?? text };
        this.notice(room, "withheld", text);
      } else if (last !== undefined && copy.n <= last) {
        const text = `a message from ${message.from} came out of order or again (counter ${copy.n} after ${last}): reordered or replayed by the hub`;
        // The same counter twice is a replay: never shown as a second message.
        view = t.seen.has(mid) ? { state: "rejected", warning: text, mid } : { ...view, warning: text };
        this.notice(room, "reordered", text);
      }
      if (last === undefined || copy.n > last) t.last.set(copy.device, copy.n);
    }
    if (counted) t.seen.add(mid);
    const pending = this.direct.get(room);
    if (pending?.some((d) => d.mid === mid))
      this.direct.set(
        room,
        pending.filter((d) => d.mid !== mid),
      );
    this.views.set(message.id, view);
    this.processing.delete(message.id);
    this.emitter.emit("change", undefined);
  }

  /** Checks and opens one copy from `from`; throws E2eOpenError. */
  private async open(room: string, from: string, copy: E2eCopy): Promise<{ text: string; trust: Trust }> {
    const sender = await this.senderDevice(from, copy.device);
    if (!sender) {
      throw new E2eOpenError(
        "unknown-sender-device",
        `${from} has no device ${copy.device} (revoked, or not theirs)`,
      );
    }
    const check = await this.trustOf(from, sender.presented);
    if (check.trust === "changed" && check.blocked) {
      throw new E2eOpenError(
        "unknown-sender-device",
        `KEY CHANGED: ${from} was verified and device ${copy.device} is not signed by their verified key`,
      );
    }
    const text = await openCopy(room, copy, this.device, sender.signKey);
    return { text, trust: check.trust };
  }

  /** The sender's device as their device list gives it (fetched again once when not found). */
  private async senderDevice(user: string, id: string) {
    const find = (list: UserDevices) => {
      const d = list.devices.find((x) => x.id === id);
      if (!d || d.signKey === undefined) return undefined;
      return {
        signKey: d.signKey,
        presented: {
          key: d.key,
          signKey: d.signKey,
          encKey: d.encKey,
          signature: d.signature,
          master: list.master,
        },
      };
    };
    const name = user.toLowerCase();
    let list = this.userDevices.get(name);
    if (list) {
      const found = find(await list.catch(() => ({ user, devices: [] })));
      if (found) return found;
    }
    list = this.client.call("devices.list", { user: name });
    this.userDevices.set(name, list);
    list.catch(() => this.userDevices.delete(name));
    return find(await list);
  }

  private onEvent(event: AnyEvent): void {
    switch (event.ev) {
      case "member.joined":
      case "member.left": {
        const room = event.room.toLowerCase();
        if (!this.isE2e(room)) return;
        this.roomDevices.delete(room);
        const me = this.client.state.me?.username.toLowerCase();
        if (event.username.toLowerCase() === me) this.tracks.delete(room);
        const text =
          event.ev === "member.joined"
            ? `${event.username} joined: messages sent from now on are sealed to their devices too`
            : `${event.username} ${event.reason === "left" ? "left" : `was ${event.reason}`}: messages sent from now on are not sealed to their devices`;
        this.notice(room, "membership", text);
        return;
      }
      case "devices.changed":
        this.roomDevices.clear();
        this.userDevices.clear();
        return;
      default:
        return;
    }
  }

  /**
   * How a device stands for e2e rooms. Its identity key's standing comes from KnownContacts (the first
   * time in this session through `check`, which remembers a first contact and writes the contacts file;
   * then through `assess`: no write per message, and a verification made meanwhile shows at once). But
   * that standing is about the identity key: the keys e2e rooms use (`signKey`, `encKey`) are bound to it
   * only by the master key's signature. So every device's e2e keys are pinned on first sight
   * (`e2e-device-keys.json`); new keys are taken only with a valid signature (a rotation); an unsigned
   * device is never more than `unverified`, and other keys for it later are `changed` — blocked when its
   * user was verified here (a hub that strips the signature and swaps the encryption key).
   */
  private async trustOf(user: string, device: PresentedDevice): Promise<TrustCheck> {
    const key = `${user.toLowerCase()}\n${device.key}\n${device.master ?? ""}`;
    let result: TrustCheck;
    if (this.checked.has(key)) result = this.contacts.assess(user, device);
    else {
      result = await this.contacts.check(user, device);
      this.checked.add(key);
    }
    if (result.trust === "changed") return result;
    const id = `${user.toLowerCase()}/${result.device}`;
    const pinned = this.pinnedKeys[id];
    const keys = { signKey: device.signKey ?? "", encKey: device.encKey ?? "" };
    const same = pinned !== undefined && pinned.signKey === keys.signKey && pinned.encKey === keys.encKey;
    if (result.signed) {
      // The signature covers these keys: new ones signed by the master key are a rotation.
      if (!same) this.pin(id, keys);
      return result;
    }
    if (pinned === undefined) this.pin(id, keys);
    else if (!same) return { ...result, trust: "changed", blocked: this.contacts.isVerified(user) };
    return { ...result, trust: "unverified" };
  }

  private pin(id: string, keys: { signKey: string; encKey: string }): void {
    this.pinnedKeys[id] = keys;
    const dir = this.options.configDir;
    if (dir) writeAtomically(dir, E2E_PINS_FILE, { version: 1, devices: this.pinnedKeys });
  }

  private loadPinned(): Record<string, { signKey: string; encKey: string }> {
    if (!this.options.configDir) return {};
    try {
      const parsed = JSON.parse(readFileSync(join(this.options.configDir, E2E_PINS_FILE), "utf8")) as {
        devices?: Record<string, { signKey: string; encKey: string }>;
      };
      return parsed.devices ?? {};
    } catch {
      return {};
    }
  }

  private notice(room: string, kind: E2eNoticeKind, text: string): void {
    this.emitter.emit("notice", { room, kind, text });
  }

  // ------------------------------------------------------------------ sealing

  private devicesOf(room: string): Promise<MemberDevice[] & { recipients: Recipient[] }> {
    let devices = this.roomDevices.get(room);
    const fetchedAt = this.fetchedAt.get(room) ?? -Infinity;
    if (!devices || this.now() - fetchedAt > (this.options.devicesTtlMs ?? DEVICES_TTL_MS)) {
      devices = this.fetchDevices(room);
      this.roomDevices.set(room, devices);
      this.fetchedAt.set(room, this.now());
      devices.catch(() => this.roomDevices.delete(room));
    }
    return devices;
  }

  private async fetchDevices(room: string): Promise<MemberDevice[] & { recipients: Recipient[] }> {
    const { members, maxDevices } = await this.client.call("room.devices", { room });
    const out: MemberDevice[] = [];
    const recipients: Recipient[] = [];
    for (const member of members) {
      this.userDevices.set(member.user.toLowerCase(), Promise.resolve(member));
      for (const d of member.devices) {
        const presented = {
          key: d.key,
          signKey: d.signKey,
          encKey: d.encKey,
          signature: d.signature,
          master: member.master,
        };
        const check = await this.trustOf(member.user, presented);
        const blocked = check.trust === "changed" && check.blocked;
        const incapable = d.encKey === undefined || d.signKey === undefined;
        out.push({
          user: member.user,
          id: check.device,
          trust: check.trust,
          signed: check.signed,
          blocked,
          incapable,
        });
        if (blocked) {
          this.notice(
            room,
            "device",
            `KEY CHANGED: ${member.user}'s device ${check.device} is not signed by their verified key; not sealing to it`,
          );
        } else if (!incapable && d.encKey !== undefined) {
          recipients.push({ user: member.user, device: check.device, encKey: d.encKey });
        }
      }
    }
    if (recipients.length > maxDevices) {
      throw new Error(
        `${room} has ${recipients.length} member devices; this hub seals to at most ${maxDevices}`,
      );
    }
    return Object.assign(out, { recipients });
  }

  private nextCounter(room: string): number {
    const n = (this.counters[room] ?? 0) + 1;
    this.counters[room] = n;
    this.saveCounters();
    return n;
  }

  private loadCounters(): Record<string, number> {
    if (!this.options.configDir) return {};
    try {
      const parsed = JSON.parse(readFileSync(join(this.options.configDir, E2E_COUNTERS_FILE), "utf8")) as {
        rooms?: Record<string, number>;
      };
      return parsed.rooms ?? {};
    } catch {
      return {};
    }
  }

  /** Written before the message leaves, so a counter is never used twice, even after a crash. */
  private saveCounters(): void {
    const dir = this.options.configDir;
    if (!dir) return;
    writeAtomically(dir, E2E_COUNTERS_FILE, { version: 1, device: this.device.id, rooms: this.counters });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `DirectChat`: one peer-to-peer chat as a UI sees it — the messages that travelled directly (or
 * through the relay, still end-to-end encrypted), their receipts, the current path, and the fallback to
 * the hub's stored DMs when the chat cannot go on.
 *
 * Fallback: when the session closes for any reason but our own `close()` (the peer said bye, went
 * offline, stayed unreachable), the messages it had not acknowledged are sent again through the hub
 * (`msg.send` with `user`, via the client's outbox) and so is everything sent afterwards. Those leave
 * this chat's `messages` and show up in the DM conversation (`dm:PEER`) like any stored DM, so nothing
 * appears twice.
 */
import type { E2eCopy } from "../protocol/e2e.js";
import {
  FileTransfers,
  type PeerPath,
  type PeerSession,
  type PresentedDevice,
  type Receipt,
  type Trust,
} from "../peer/index.js";
import { Emitter } from "./core/emitter.js";
import { dmKey } from "./core/keys.js";
import type { Message } from "../protocol/index.js";
import type { ConversationKey } from "./core/types.js";

/** How a message travels: directly between the machines, through the hub relay (both end-to-end encrypted), or stored by the hub. */
export type DirectPath = PeerPath | "hub";

export interface DirectMessage {
  id: string;
  from: string;
  body: string;
  ts: number;
  own: boolean;
  /** Own messages: the peer acknowledged it (the tick). Others': always true. */
  acked: boolean;
  /** The path it arrived or was acknowledged on; null while an own message waits. */
  path: PeerPath | null;
}

export interface DirectReceipt {
  id: string;
  path: DirectPath;
  sentAt: number;
  ackedAt: number;
}

export interface DirectChatEvents {
  /** A message from the peer (each once). */
  message: DirectMessage;
  /** An own message was acknowledged by the peer. */
  receipt: DirectMessage;
  /** The path changed: `direct`/`relay` when a transport came up, null while re-establishing, `hub` after fallback. */
  path: DirectPath | null;
  /** The direct chat ended and messages now go through the hub; `resent` unacknowledged ones were handed to it. */
  fallback: { reason: string; resent: number };
  /** Anything in the chat changed (messages, ticks, path): re-render. */
  change: DirectChat;
  /** A sealed message of an end-to-end encrypted room, given directly by the peer (E2eRooms checks it). */
  roomCopy: { from: string; room: string; copy: E2eCopy };
}

/** What the chat needs of the client: the stored-DM path. */
export interface HubDmSender {
  send(key: ConversationKey, body: string): Promise<Message>;
}

export class DirectChat {
  /** The peer's device as the hub presented it: what verifying this chat verifies. */
  presented: PresentedDevice = { key: "" };
  private trustLevel: Trust = "unverified";
  private readonly emitter = new Emitter<DirectChatEvents>();
  private list: readonly DirectMessage[] = [];
  private fallbackReason: string | undefined;
  private closedLocally = false;
  /** Files sent and received inside this chat (see p2p-files.ts). */
  readonly files: FileTransfers;

  constructor(
    /** The peer's username. */
    readonly peer: string,
    private readonly me: string,
    private readonly session: PeerSession,
    private readonly hub: HubDmSender,
    /** Fingerprint of the key this chat is pinned to. */
    readonly fingerprint: string,
    /** Called once when the chat is over for good (closed locally, or fell back). */
    private readonly onEnd: (chat: DirectChat) => void,
  ) {
    this.files = new FileTransfers(session);
    session.on("message", (m) => {
      const message: DirectMessage = {
        id: m.id,
        from: peer,
        body: m.body,
        ts: m.ts,
        own: false,
        acked: true,
        path: m.path,
      };
      this.list = [...this.list, message];
      this.emitter.emit("message", message);
      this.changed();
    });
    session.on("receipt", (r) => this.onReceipt(r));
    session.on("room", ({ room, copy }) => this.emitter.emit("roomCopy", { from: peer, room, copy }));
    session.on("path", (p) => {
      this.emitter.emit("path", p);
      this.changed();
    });
    session.on("closed", (reason) => {
      if (reason === "local") return;
      const why =
        reason === "remote" ? `${peer} ended the direct chat` : `the direct chat failed: ${reason.message}`;
      this.fallBack(why);
    });
  }

  on<E extends keyof DirectChatEvents>(name: E, listener: (value: DirectChatEvents[E]) => void): () => void {
    return this.emitter.on(name, listener);
  }

  /** The messages of this direct chat (not the ones that went through the hub), oldest first. */
  get messages(): readonly DirectMessage[] {
    return this.list;
  }

  /** `direct` or `relay` while connected, null while re-establishing, `hub` after the fallback. */
  get path(): DirectPath | null {
    return this.fallbackReason !== undefined ? "hub" : this.session.path;
  }

  /**
   * How the peer's device stands: `verified` (its safety number was compared, or its user's verified
   * master key signed it) or `unverified` — then the chat is encrypted, but to a key nobody checked.
   */
  get trust(): Trust {
    return this.trustLevel;
  }

  setTrust(trust: Trust): void {
    if (trust === this.trustLevel) return;
    this.trustLevel = trust;
    this.changed();
  }

  /** Why the chat fell back to the hub, if it did. */
  get fallback(): string | undefined {
    return this.fallbackReason;
  }

  get requestId(): string {
    return this.session.requestId;
  }

  /**
   * Sends `text` directly; resolves with the receipt when the peer acknowledges it. After the fallback
   * (or if the chat falls back first) it goes through the hub and resolves once the hub stored it.
   */
  async send(text: string): Promise<DirectReceipt> {
    if (this.fallbackReason !== undefined || this.session.closed) return this.sendViaHub(text);
    const sentAt = Date.now();
    const before = this.session.unacked().length;
    const pending = this.session.send(text);
    // Show it at once, unticked. The session queues synchronously, so a grown outbox ends with it
    // (a refused message, e.g. an empty one, adds nothing).
    const after = this.session.unacked();
    const id = after.length > before ? after.at(-1)?.id : undefined;
    if (id !== undefined) {
      this.list = [
        ...this.list,
        { id, from: this.me, body: text, ts: sentAt, own: true, acked: false, path: null },
      ];
      this.changed();
    }
    try {
      return await pending;
    } catch (error) {
      // The session closed before the ack: the fallback has handed the message to the hub.
      if (this.fallbackReason !== undefined) {
        return { id: id ?? "", path: "hub", sentAt, ackedAt: Date.now() };
      }
      throw error;
    }
  }

  /** Ends the direct chat (telling the peer); no fallback. */
  /** Gives the peer a sealed room message directly (best effort); false when no transport is up. */
  sendRoomCopy(room: string, copy: E2eCopy): boolean {
    if (this.fallbackReason !== undefined || this.session.closed) return false;
    return this.session.sendRoomCopy(room, copy);
  }

  close(): void {
    if (this.closedLocally) return;
    this.closedLocally = true;
    this.session.close();
    this.onEnd(this);
  }

  private async sendViaHub(text: string): Promise<DirectReceipt> {
    const sentAt = Date.now();
    const message = await this.hub.send(dmKey(this.peer), text);
    return { id: String(message.id), path: "hub", sentAt, ackedAt: Date.now() };
  }

  private onReceipt(receipt: Receipt): void {
    let updated: DirectMessage | undefined;
    this.list = this.list.map((m) => {
      if (m.id !== receipt.id) return m;
      updated = { ...m, acked: true, path: receipt.path };
      return updated;
    });
    if (updated) {
      this.emitter.emit("receipt", updated);
      this.changed();
    }
  }

  private fallBack(reason: string): void {
    if (this.fallbackReason !== undefined || this.closedLocally) return;
    this.fallbackReason = reason;
    const unacked = this.session.unacked();
    const moved = new Set(unacked.map((m) => m.id));
    // They go through the hub now and show up in the DM conversation instead.
    this.list = this.list.filter((m) => !moved.has(m.id));
    for (const m of unacked) {
      // Refusals (e.g. the peer blocked us) reach the UI as the client's sendFailed.
      this.hub.send(dmKey(this.peer), m.body).catch(() => {});
    }
    this.emitter.emit("path", "hub");
    this.emitter.emit("fallback", { reason, resent: unacked.length });
    this.changed();
    this.onEnd(this);
  }

  private changed(): void {
    this.emitter.emit("change", this);
  }
}

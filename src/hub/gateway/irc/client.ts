/**
 * One IRC connection: its registration state, negotiated capabilities, the channels it shows, and how
 * lines leave it (queued per event-loop turn, one socket write, a client that stops reading dropped like
 * a WebSocket one). It is a `DeliverySink`: Delivery hands it Parley events, `render.ts` turns them
 * into lines.
 */
import type { Socket } from "node:net";
import type { EndSessionsMessage } from "../../bus/bus.js";
import type { LocalLimiter } from "../../bus/limiter.js";
import type { Authenticated } from "../../domain/accounts.js";
import type { AdminActor } from "../../domain/admin.js";
import type { Actor } from "../../domain/context.js";
import { fold, type NameKey } from "../../ids.js";
import type { DeliverySink, Outgoing } from "../delivery.js";
import { DEFAULT_MAX_BUFFERED_BYTES } from "../wire.js";
import { buildLine, type OutMessage } from "./line.js";

/** A channel as this connection shows it: kept to turn `room.updated` into TOPIC/MODE differences. */
export interface ChannelView {
  name: string;
  topic: string;
  /** Who set the topic and when (RPL_TOPICWHOTIME), when known. */
  topicBy: string | undefined;
  topicAt: number | undefined;
  /** `+t`: only admins and the owner set the topic. */
  topicLocked: boolean;
  /** `+m`: only the owner, admins and voiced members post. */
  moderated: boolean;
  /** `+s`: left out of LIST and WHOIS for non-members; NAMES shows `@`. */
  secret: boolean;
  locked: boolean;
  capacity: number | undefined;
}

/** Collects the replies of one labeled command (IRCv3 labeled-response). */
export interface LabelCollector {
  label: string;
  lines: OutMessage[];
}

export class IrcClient implements DeliverySink {
  /** `*` until registration. */
  nick = "*";
  ident = "";
  realname = "";
  registered = false;
  actor: Actor | undefined;
  /** The Parley username once logged in (the nick follows it). */
  username: string | undefined;
  /** Capabilities enabled with CAP REQ. */
  readonly caps = new Set<string>();
  /** CAP LS/REQ seen before registration: registration waits for CAP END. */
  capNegotiating = false;
  capVersion = 0;
  /** SASL in progress: the mechanism chosen, and the base64 chunks so far. */
  sasl: { mechanism: string; chunks: string } | undefined;
  /** A SASL login waiting for registration to complete. */
  pendingAuth: Authenticated | undefined;
  /** PASS before registration. */
  pass: string | undefined;
  /** Channels joined, by folded room name. */
  readonly channels = new Map<NameKey, ChannelView>();
  /** Rooms this connection is joining right now (their JOIN line comes from the command). */
  readonly joining = new Set<NameKey>();
  /**
   * After a successful OPER: the server admin whose authority this connection acts with (checked
   * again by the domain at each use). Kept by the connection, as IRC operator status is.
   */
  oper: AdminActor | undefined;
  /** Users this connection was shown QUIT for and has not seen come back (folded names). */
  readonly gone = new Set<NameKey>();
  /** AWAY message; kept on this node (Parley has no away state). */
  away: string | undefined;
  /** MONITOR list, folded, and the status each was last reported with. */
  readonly monitors = new Map<NameKey, boolean | undefined>();
  /** cids of messages this connection sent, waiting for their echo (value: the command's label). */
  readonly pendingEchoes = new Map<string, string | undefined>();
  /** The replies of the labeled command being handled. */
  collector: LabelCollector | undefined;
  /** What a labeled command sends once its labeled reply is out (a JOIN's history replay). */
  afterReply: Array<() => void> = [];
  /** A guest account (`--irc-guests`), deleted by the domain when its last connection closes. */
  guest = false;
  /** The text of the client's QUIT, passed on with the presence change. */
  quitMessage: string | undefined;
  /** Set while the hub closes this connection on purpose (the presence reason). */
  closing: "timeout" | "logout" | "disconnect" | "quit" | undefined;
  /** Time of the last line received, for the keep-alive. */
  lastSeen = Date.now();
  pingSent = false;
  readonly openedAt = Date.now();
  nextCid = 0;
  nextBatch = 0;
  private readonly badLines: number[] = [];
  private queue: string[] = [];
  private scheduled = false;
  maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES;
  onTooSlow: () => void = () => {};
  /** Renders a Parley event for this client (set by the gateway). */
  render: (client: IrcClient, out: Outgoing) => void = () => {};
  onEndSession: (client: IrcClient, reason: EndSessionsMessage["reason"], message?: string) => void =
    () => {};

  constructor(
    readonly id: string,
    readonly socket: Socket,
    readonly address: string,
    readonly serverName: string,
    private readonly requests: LocalLimiter,
  ) {}

  get tokenHash(): string | undefined {
    return this.actor?.tokenHash;
  }

  has(cap: string): boolean {
    return this.caps.has(cap);
  }

  /** The `nick!user@host` other users see this client as. */
  get mask(): string {
    return userMask(this.nick);
  }

  write(out: Outgoing): void {
    this.render(this, out);
  }

  endSession(reason: EndSessionsMessage["reason"], message?: string): void {
    this.onEndSession(this, reason, message);
  }

  /** 0 when a line may be handled now, else ms until it may (the per-connection request bucket). */
  throttle(): number {
    return this.requests.takeSync(this.id);
  }

  /** Counts a bad line; true when the client sent too many in the last minute. */
  countBadLine(now: number, perMinute: number): boolean {
    this.badLines.push(now);
    while (this.badLines.length > 0 && this.badLines[0]! <= now - 60_000) this.badLines.shift();
    return this.badLines.length > perMinute;
  }

  /** Sends a message; inside a labeled command's handling, it joins that command's reply. */
  reply(m: OutMessage): void {
    if (this.collector) this.collector.lines.push(m);
    else this.send(m);
  }

  /** A numeric from the server to this client: `:server NNN nick params…`. */
  numeric(code: string, ...params: string[]): void {
    this.reply({ source: this.serverName, command: code, params: [this.nick, ...params] });
  }

  /** `:server NOTICE nick :text`. */
  notice(text: string): void {
    this.reply({ source: this.serverName, command: "NOTICE", params: [this.nick, text] });
  }

  /** Sends now (not part of a labeled reply), with server-time when negotiated. */
  send(m: OutMessage): void {
    this.sendRaw(buildLine(m));
  }

  sendRaw(line: string): void {
    if (this.socket.destroyed) return;
    this.queue.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is queued: one socket write per turn. */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const text = this.queue.length === 1 ? this.queue[0]! : this.queue.join("");
    this.queue = [];
    const { socket } = this;
    if (socket.destroyed || !socket.writable) return;
    if (socket.writableLength > this.maxBufferedBytes) {
      this.onTooSlow();
      socket.destroy();
      return;
    }
    socket.write(text);
  }

  /** `ERROR :reason`, then the socket closes once it is written. */
  close(reason: string): void {
    this.send({ command: "ERROR", params: [reason] });
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  isOn(room: string): boolean {
    return this.channels.has(fold(room));
  }
}

/** The host part every user is shown with: Parley hides addresses from other users. */
export const USER_HOST = "parley";

export function userMask(nick: string): string {
  return `${nick}!${nick}@${USER_HOST}`;
}

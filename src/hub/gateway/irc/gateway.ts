/**
 * The IRC gateway: a transport beside the WebSocket one (docs/irc.md). It accepts plain or TLS
 * sockets, splits and parses lines (line.ts), runs each through the command table (commands.ts) one at
 * a time per connection — so replies keep the order of the commands, as IRC clients expect — and binds
 * each logged-in connection to the node's one `Delivery`, whose events `render.ts` turns into lines.
 * Every command ends in the same domain calls the WebSocket ops make; no rule lives here.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { AUTH_TIMEOUT_MS, BAD_FRAMES_PER_MINUTE } from "../../../protocol/limits.js";
import type { PresenceReason } from "../../../protocol/model.js";
import { LocalLimiter, type LimiterRule } from "../../bus/limiter.js";
import type { Clock } from "../../clock.js";
import type { Authenticated } from "../../domain/accounts.js";
import type { Domain } from "../../domain/hub.js";
import { fold, type UserId } from "../../ids.js";
import type { Admission } from "../admission.js";
import { normalizeAddress } from "../client-address.js";
import type { Delivery } from "../delivery.js";
import { failureReply } from "../errors.js";
import { IrcClient, userMask } from "./client.js";
import { COMMANDS, showChannel, type CommandContext } from "./commands.js";
import type { Room } from "../../../protocol/model.js";
import { isBlank, LineSplitter, parseLine, type IrcMessage } from "./line.js";
import { N, numericFor } from "./numerics.js";
import { renderEvent } from "./render.js";

export interface IrcGatewayOptions {
  /** The name the gateway introduces itself with (the source of numerics). */
  serverName: string;
  /** Shown in RPL_ISUPPORT NETWORK= and the welcome. */
  networkName: string;
  version: string;
  nodeId: string;
  requestRate: LimiterRule;
  /** Let clients without SASL/PASS in as a new account named by their NICK (docs/irc.md). */
  guests: boolean;
  /**
   * Channel prefixes (`--irc-prefixes`): `qo` shows the owner `~` and admins `@` (PREFIX=(qo)~@); `o`
   * shows both `@` (PREFIX=(o)@), for clients and bots that know only `@`.
   */
  prefixes: IrcPrefixes;
  /** Messages replayed per channel when a session starts and on JOIN (0: none). */
  historyReplay: number;
  /** Largest MONITOR list. */
  monitorMax: number;
  /** A connection that has not registered by then is closed. */
  registrationTimeoutMs?: number;
  /** Idle time before the gateway sends PING; a second idle period without an answer closes. */
  pingIntervalMs?: number;
  maxBufferedBytes?: number;
  /** Bad lines per minute before the connection is closed. */
  badLinesPerMinute?: number;
  /** Lines waiting to be handled before the socket stops being read (flood back-pressure). */
  maxQueuedLines?: number;
}

export type IrcPrefixes = "qo" | "o";

export const IRC_DEFAULTS = {
  historyReplay: 50,
  monitorMax: 100,
  pingIntervalMs: 90_000,
  maxQueuedLines: 64,
} as const;

export class IrcGateway {
  readonly clients = new Map<string, IrcClient>();
  /** Local logged-in clients by user, for AWAY, MONITOR and WHOIS on this node. */
  readonly byUser = new Map<UserId, Set<IrcClient>>();
  private readonly servers: Array<NetServer | TlsServer> = [];
  private readonly requestLimiter: LocalLimiter;
  private readonly keepAlive: NodeJS.Timeout;
  private nextConn = 0;
  readonly startedAt = new Date();

  constructor(
    readonly domain: Domain,
    readonly delivery: Delivery,
    readonly clock: Clock,
    readonly log: Logger,
    readonly admission: Admission | undefined,
    readonly options: IrcGatewayOptions,
  ) {
    this.requestLimiter = new LocalLimiter(options.requestRate, clock);
    const interval = options.pingIntervalMs ?? IRC_DEFAULTS.pingIntervalMs;
    this.keepAlive = setInterval(() => this.sweep(interval), Math.max(1000, Math.floor(interval / 3)));
    this.keepAlive.unref();
  }

  /** Listens for IRC; with `tls`, the hub's certificate. Returns the port (0 picks a free one). */
  async listen(host: string, port: number, tls?: { cert: string; key: string }): Promise<number> {
    const server = tls
      ? createTlsServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, (s) => this.accept(s))
      : createNetServer((s) => this.accept(s));
    if (this.admission) {
      const admission = this.admission;
      // Before TLS allocates anything, as for the WebSocket port.
      server.prependListener("connection", (socket: Socket) => admission.admitSocket(socket));
    }
    server.on("tlsClientError", () => {});
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(port, host, () => {
        server.off("error", fail);
        ok();
      });
    });
    this.servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  private accept(socket: Socket): void {
    if (socket.destroyed) return;
    const release = this.admission?.admitStream();
    if (this.admission && release === undefined) {
      socket.end("ERROR :Server is full or shutting down; try again later\r\n");
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const address = normalizeAddress(socket.remoteAddress ?? "unknown");
    const client = new IrcClient(
      `${this.options.nodeId}:irc${++this.nextConn}`,
      socket,
      address,
      this.options.serverName,
      this.requestLimiter,
    );
    socket.setNoDelay(true);
    if (this.options.maxBufferedBytes !== undefined) client.maxBufferedBytes = this.options.maxBufferedBytes;
    client.onTooSlow = () => {
      client.closing = "timeout";
      this.delivery.slowConsumer(client);
      this.log.info({ conn: client.id, address }, "irc: dropping connection: client is not reading");
    };
    client.render = (c, out) => renderEvent(this, c, out.event);
    client.onEndSession = (c, reason, message) => {
      c.closing = "logout";
      c.close(message ? `Session ended (${reason}): ${message}` : `Session ended (${reason})`);
    };
    this.clients.set(client.id, client);
    this.log.info({ conn: client.id, address }, "irc: connection opened");
    const registration = setTimeout(() => {
      if (!client.registered) client.close("Registration timed out");
    }, this.options.registrationTimeoutMs ?? AUTH_TIMEOUT_MS);
    registration.unref();

    const splitter = new LineSplitter();
    const pending: Array<Buffer | "too-long"> = [];
    let running = false;
    const maxQueued = this.options.maxQueuedLines ?? IRC_DEFAULTS.maxQueuedLines;
    const run = async () => {
      if (running) return;
      running = true;
      try {
        while (pending.length > 0 && !socket.destroyed) {
          const line = pending.shift()!;
          if (socket.isPaused() && pending.length < maxQueued / 2) socket.resume();
          // Fake lag instead of refusals: a client past the request rate is simply read slower.
          const wait = client.throttle();
          if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
          await this.handleLine(client, line);
        }
      } finally {
        running = false;
      }
    };
    socket.on("data", (data: Buffer) => {
      client.lastSeen = this.clock.now();
      client.pingSent = false;
      for (const line of splitter.push(data)) pending.push(line);
      // Back-pressure: a flood waits in the kernel, not in the hub's memory.
      if (pending.length >= maxQueued) socket.pause();
      void run();
    });
    socket.on("error", (error) =>
      this.log.debug({ conn: client.id, err: error.message }, "irc: socket error"),
    );
    // A close of the hub's own (QUIT, timeout, too slow) ends the connection for everyone else as
    // soon as its last line is written, not when the peer closes its side (up to 2 s later).
    socket.on("finish", () => void this.finish(client));
    socket.on("close", () => {
      clearTimeout(registration);
      release?.();
      void this.finish(client);
    });
  }

  /**
   * Unbinds a connection and ends its session; runs once, at whichever of QUIT, `finish` and `close`
   * comes first. A guest's account goes once its last connection has (guests.ts).
   */
  async finish(client: IrcClient): Promise<void> {
    if (!this.clients.delete(client.id)) return;
    this.log.info({ conn: client.id }, "irc: connection closed");
    const actor = client.actor;
    if (!actor) return;
    client.actor = undefined;
    this.delivery.unbind(client);
    const mine = this.byUser.get(actor.userId);
    mine?.delete(client);
    if (mine && mine.size === 0) this.byUser.delete(actor.userId);
    const reason: PresenceReason =
      client.closing === "quit" ? "quit" : client.closing === "timeout" ? "timeout" : "disconnect";
    try {
      await this.domain.presence.disconnected(actor, reason, client.quitMessage);
      // An IRC login's session belongs to its connection (the client never sees a token): end it.
      await this.domain.accounts.logout(actor);
      if (client.guest) await this.domain.guests.left(actor.userId);
    } catch (error) {
      this.log.error({ err: error, conn: client.id }, "irc: presence update failed");
    }
    if (!this.byUser.has(actor.userId) && client.username) this.monitorChanged(client.username, false);
  }

  /** One line: parse, check registration, dispatch; every failure becomes a numeric. */
  async handleLine(client: IrcClient, raw: Buffer | "too-long"): Promise<void> {
    if (raw !== "too-long" && isBlank(raw)) return;
    const parsed = raw === "too-long" ? undefined : parseLine(raw);
    if (!parsed || !parsed.ok) {
      const problem = parsed?.problem ?? { kind: "too-long" as const, part: "body" as const };
      if (problem.kind === "too-long") client.numeric(N.ERR_INPUTTOOLONG, "Input line was too long");
      else if (problem.kind === "bad-utf8") {
        client.reply({
          source: this.options.serverName,
          command: "FAIL",
          params: ["*", "INVALID_UTF8", "Lines must be UTF-8; this one was dropped"],
        });
        client.numeric(N.ERR_UNKNOWNERROR, "*", "Lines must be UTF-8; this one was dropped");
      } else client.numeric(N.ERR_UNKNOWNCOMMAND, "*", `Malformed line: ${problem.reason}`);
      this.countBad(client);
      return;
    }
    const msg = parsed.message;
    // The label covers every reply to the line, the refusals below included (labeled-response).
    const label = client.has("labeled-response") ? msg.tags.get("label") : undefined;
    if (label !== undefined) client.collector = { label, lines: [] };
    try {
      await this.dispatch(client, msg, label);
    } finally {
      if (label !== undefined) {
        this.endLabel(client);
        for (const send of client.afterReply.splice(0)) send();
      }
    }
  }

  private async dispatch(client: IrcClient, msg: IrcMessage, label: string | undefined): Promise<void> {
    const spec = COMMANDS[msg.command];
    if (!spec) {
      if (client.registered) client.numeric(N.ERR_UNKNOWNCOMMAND, msg.command, "Unknown command");
      else client.numeric(N.ERR_NOTREGISTERED, "You have not registered");
      this.countBad(client);
      return;
    }
    if (spec.registered && !client.registered) {
      client.numeric(N.ERR_NOTREGISTERED, "You have not registered");
      return;
    }
    if (msg.params.length < spec.min) {
      client.numeric(N.ERR_NEEDMOREPARAMS, msg.command, "Not enough parameters");
      return;
    }
    const ctx: CommandContext = { gw: this, client, msg, label };
    try {
      await spec.run(ctx);
    } catch (error) {
      this.refuse(ctx, error, msg.params[0] ?? "*");
    }
  }

  /** Sends a labeled command's replies: one tagged line, a batch, or an ACK. */
  private endLabel(client: IrcClient): void {
    const collector = client.collector;
    client.collector = undefined;
    if (!collector) return;
    const { label, lines } = collector;
    if (lines.length === 0) {
      client.send({ tags: [["label", label]], source: this.options.serverName, command: "ACK", params: [] });
    } else if (lines.length === 1) {
      const line = lines[0]!;
      client.send({ ...line, tags: [["label", label], ...(line.tags ?? [])] });
    } else {
      const id = `l${++client.nextBatch}`;
      client.send({
        tags: [["label", label]],
        source: this.options.serverName,
        command: "BATCH",
        params: [`+${id}`, "labeled-response"],
      });
      for (const line of lines) client.send({ ...line, tags: [["batch", id], ...(line.tags ?? [])] });
      client.send({ source: this.options.serverName, command: "BATCH", params: [`-${id}`] });
    }
  }

  /** A failed command: the domain's code as a numeric, faults logged with a correlation id. */
  refuse(ctx: CommandContext, error: unknown, target: string): void {
    const reply = failureReply(null, error, this.log, { conn: ctx.client.id, irc: ctx.msg.command });
    // A send the room refuses (a moderated room, `assertCanPost`) is "cannot send to channel".
    const sending = ["PRIVMSG", "NOTICE", "TAGMSG"].includes(ctx.msg.command);
    const { numeric, about } =
      sending && reply.error.code === "FORBIDDEN"
        ? { numeric: N.ERR_CANNOTSENDTOCHAN, about: "target" as const }
        : numericFor(reply.error.code);
    // NOTICE never gets an automatic reply (RFC 2812 3.3.2).
    if (ctx.msg.command === "NOTICE") return;
    const params = about === "target" ? [target] : about === "command" ? [ctx.msg.command] : ([] as string[]);
    ctx.client.numeric(numeric, ...params, reply.error.message);
  }

  private countBad(client: IrcClient): void {
    if (client.countBadLine(this.clock.now(), this.options.badLinesPerMinute ?? BAD_FRAMES_PER_MINUTE)) {
      this.log.info(
        { conn: client.id, address: client.address },
        "irc: closing connection: too many bad lines",
      );
      client.close("Too many bad lines");
    }
  }

  /**
   * Binds a logged-in connection to Delivery and presence (like `Requests.authenticate`). False when
   * the socket closed while the login was checked: nothing would ever unbind it.
   */
  async bind(client: IrcClient, auth: Authenticated): Promise<boolean> {
    if (client.socket.destroyed || !this.clients.has(client.id)) return false;
    client.actor = auth.actor;
    client.username = auth.user.username;
    this.delivery.bind(client, auth.actor.userId);
    let set = this.byUser.get(auth.actor.userId);
    if (!set) this.byUser.set(auth.actor.userId, (set = new Set()));
    const first = set.size === 0;
    set.add(client);
    await this.domain.presence.connected(auth.actor);
    if (first) this.monitorChanged(auth.user.username, true);
    return true;
  }

  /** Tells local MONITOR lists that `username` came or went (on this node). */
  monitorChanged(username: string, online: boolean): void {
    const key = fold(username);
    for (const c of this.clients.values()) {
      if (!c.registered || !c.monitors.has(key) || c.monitors.get(key) === online) continue;
      c.monitors.set(key, online);
      c.send({
        source: this.options.serverName,
        command: online ? N.RPL_MONONLINE : N.RPL_MONOFFLINE,
        params: [c.nick, online ? `${username}!${username}@parley` : username],
      });
    }
  }

  /** Whether a user is connected to this node over IRC, and their AWAY message if any. */
  localAway(userId: UserId): string | undefined {
    for (const c of this.byUser.get(userId) ?? []) if (c.away !== undefined) return c.away;
    return undefined;
  }

  /** How an IRC client connected to this node called itself (USER), for WHO and WHOIS. */
  identOf(username: string): { ident: string; realname: string } | undefined {
    const key = fold(username);
    for (const c of this.clients.values()) {
      if (c.registered && c.username && fold(c.username) === key)
        return { ident: c.ident, realname: c.realname };
    }
    return undefined;
  }

  /** Whether a user is connected to this node over IRC with a connection that did OPER. */
  isOper(username: string): boolean {
    const key = fold(username);
    for (const c of this.clients.values()) if (c.oper && c.username && fold(c.username) === key) return true;
    return false;
  }

  /** `nick!user@host` of a user. */
  maskOf(username: string): string {
    return userMask(username);
  }

  /** The AWAY message of a user connected to this node over IRC, by name. */
  awayByName(username: string): string | undefined {
    const key = fold(username);
    for (const c of this.clients.values())
      if (c.away !== undefined && c.username && fold(c.username) === key) return c.away;
    return undefined;
  }

  /** JOIN, topic and names of a room on this client (see commands.ts). */
  showChannel(client: IrcClient, room: string, replay: boolean, info?: Room): Promise<void> {
    return showChannel(this, client, room, replay, info);
  }

  private sweep(interval: number): void {
    const now = this.clock.now();
    for (const client of this.clients.values()) {
      const idle = now - client.lastSeen;
      if (idle < interval) continue;
      if (!client.pingSent) {
        client.pingSent = true;
        client.send({ command: "PING", params: [this.options.serverName] });
      } else if (idle >= interval * 2) {
        client.closing = "timeout";
        client.close(`Ping timeout: ${Math.round(idle / 1000)} seconds`);
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.keepAlive);
    for (const server of this.servers) server.close();
    const closing = [...this.clients.values()].map(
      (client) =>
        new Promise<void>((resolve) => {
          client.socket.once("close", () => resolve());
          client.close("Server shutting down");
          setTimeout(() => {
            client.socket.destroy();
            resolve();
          }, 2000).unref();
        }),
    );
    await Promise.all(closing);
  }
}

export type { IrcMessage };

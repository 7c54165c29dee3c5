/**
 * The command table (after ergo's irc/commands.go): for each IRC command, how many parameters it
 * needs, whether it needs a registered connection, and its handler. The dispatcher (gateway.ts) checks
 * the first two, so no handler repeats them; handlers translate to domain calls and back.
 */
import { CAPACITY_MAX, CAPACITY_MIN, HISTORY_MAX, USERNAME_RE } from "../../../protocol/limits.js";
import type { Message, Room } from "../../../protocol/model.js";
import type { Authenticated } from "../../domain/accounts.js";
import { DomainError } from "../../domain/errors.js";
import { isGuest } from "../../domain/guests.js";
import { fold, roomCursor, type ConvId } from "../../ids.js";
import type { SequencedEvent } from "../../domain/messages.js";
import { userMask, USER_HOST, type ChannelView, type IrcClient } from "./client.js";
import { ircToMarkdown, markdownToIrc } from "./format.js";
import type { IrcGateway } from "./gateway.js";
import type { IrcMessage } from "./line.js";
import { N } from "./numerics.js";
import { sendHistory } from "./render.js";
import { chathistory } from "./chathistory.js";
import { privmsg, redact, tagmsg } from "./messaging.js";

export interface CommandContext {
  gw: IrcGateway;
  client: IrcClient;
  msg: IrcMessage;
  label: string | undefined;
}

interface CommandSpec {
  min: number;
  registered: boolean;
  run(ctx: CommandContext): Promise<void> | void;
}

/** Capabilities offered (CAP LS); `sasl` lists its mechanisms with CAP LS 302. */
export const CAPABILITIES = [
  "account-tag",
  "away-notify",
  "batch",
  "draft/chathistory",
  "draft/message-redaction",
  "echo-message",
  "labeled-response",
  "message-tags",
  "multi-prefix",
  "sasl",
  "server-time",
  "userhost-in-names",
] as const;
const CAP_SET = new Set<string>(CAPABILITIES);

/** SASL payloads are sent in chunks of 400 base64 bytes; more than this in total is refused. */
const SASL_MAX_BYTES = 8192;

function actorOf(client: IrcClient) {
  if (!client.actor) throw new DomainError("UNAUTHENTICATED", "not logged in");
  return client.actor;
}

function roomOf(channel: string): string | undefined {
  return channel.startsWith("#") && channel.length > 1 ? channel.slice(1) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Registration: CAP, AUTHENTICATE, PASS, NICK, USER

function cap(ctx: CommandContext): Promise<void> | void {
  const { client, msg, gw } = ctx;
  const sub = msg.params[0]!.toUpperCase();
  const server = gw.options.serverName;
  switch (sub) {
    case "LS": {
      if (!client.registered) client.capNegotiating = true;
      const version = Number(msg.params[1] ?? "0");
      if (version > client.capVersion) client.capVersion = version;
      const list = CAPABILITIES.map((c) => (c === "sasl" && client.capVersion >= 302 ? "sasl=PLAIN" : c));
      client.reply({ source: server, command: "CAP", params: [client.nick, "LS", list.join(" ")] });
      return;
    }
    case "LIST":
      client.reply({
        source: server,
        command: "CAP",
        params: [client.nick, "LIST", [...client.caps].join(" ")],
      });
      return;
    case "REQ": {
      if (!client.registered) client.capNegotiating = true;
      const wanted = (msg.params[1] ?? "").split(" ").filter((c) => c !== "");
      const known = wanted.every((c) => CAP_SET.has(c.replace(/^-/, "")));
      if (!known || wanted.length === 0) {
        client.reply({ source: server, command: "CAP", params: [client.nick, "NAK", msg.params[1] ?? ""] });
        return;
      }
      for (const c of wanted) {
        if (c.startsWith("-")) client.caps.delete(c.slice(1));
        else client.caps.add(c);
      }
      client.reply({ source: server, command: "CAP", params: [client.nick, "ACK", msg.params[1] ?? ""] });
      return;
    }
    case "END":
      if (client.registered) return;
      client.capNegotiating = false;
      return tryRegister(ctx);
    default:
      client.numeric(N.ERR_INVALIDCAPCMD, sub, "Invalid CAP command");
  }
}

async function authenticate(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const arg = msg.params[0]!;
  if (client.registered) {
    // The connection's account is fixed at registration (the nick is its username), so SASL after
    // registration (re-authentication) is answered as IRC answers any re-registration.
    client.numeric(N.ERR_ALREADYREGISTERED, "You may not reregister (log in again on a new connection)");
    return;
  }
  if (arg === "*") {
    client.sasl = undefined;
    client.numeric(N.ERR_SASLABORTED, "SASL authentication aborted");
    return;
  }
  if (!client.sasl) {
    if (arg.toUpperCase() !== "PLAIN") {
      client.numeric(N.RPL_SASLMECHS, "PLAIN", "are available SASL mechanisms");
      client.numeric(N.ERR_SASLFAIL, "SASL authentication failed");
      return;
    }
    client.sasl = { mechanism: "PLAIN", chunks: "" };
    client.reply({ command: "AUTHENTICATE", params: ["+"] });
    return;
  }
  if (arg.length > 400) {
    // One AUTHENTICATE line carries at most 400 bytes (the spec's 905).
    client.sasl = undefined;
    client.numeric(N.ERR_SASLTOOLONG, "SASL message too long");
    return;
  }
  if (arg !== "+") client.sasl.chunks += arg;
  if (client.sasl.chunks.length > SASL_MAX_BYTES) {
    // A payload that keeps coming is a failed attempt (904), as soon as it passes the limit.
    client.sasl = undefined;
    client.numeric(N.ERR_SASLFAIL, "SASL authentication failed: payload too long");
    return;
  }
  // A chunk of exactly 400 bytes means more follows.
  if (arg.length === 400) return;
  const payload = Buffer.from(client.sasl.chunks, "base64").toString("utf8");
  client.sasl = undefined;
  // RFC 4616: authzid NUL authcid NUL passwd, and no NUL inside any of them, so exactly three parts
  // (a password with a NUL in it must not log in as the part before the NUL).
  const parts = payload.split("\0");
  const [authzid, authcid, password] = parts;
  if (parts.length !== 3 || !authcid || !password || (authzid && fold(authzid) !== fold(authcid))) {
    client.numeric(N.ERR_SASLFAIL, "SASL authentication failed: malformed PLAIN payload");
    return;
  }
  try {
    const auth = await gw.domain.accounts.login(
      { username: authcid, password, device: "irc" },
      client.address,
      client.id,
    );
    client.pendingAuth = auth;
    const name = auth.user.username;
    client.numeric(
      N.RPL_LOGGEDIN,
      `${client.nick === "*" ? name : client.nick}!${name}@${USER_HOST}`,
      name,
      `You are now logged in as ${name}`,
    );
    client.numeric(N.RPL_SASLSUCCESS, "SASL authentication successful");
  } catch (error) {
    const code = error instanceof DomainError ? error.code : "INTERNAL";
    if (code !== "BAD_CREDENTIALS" && code !== "RATE_LIMITED" && code !== "SUSPENDED")
      gw.refuse(ctx, error, "*");
    client.numeric(
      N.ERR_SASLFAIL,
      `SASL authentication failed${error instanceof DomainError ? `: ${error.message}` : ""}`,
    );
  }
}

function pass(ctx: CommandContext): void {
  if (ctx.client.registered) return ctx.client.numeric(N.ERR_ALREADYREGISTERED, "You may not reregister");
  ctx.client.pass = ctx.msg.params[0]!;
}

function nick(ctx: CommandContext): Promise<void> | void {
  const { client, msg } = ctx;
  const wanted = msg.params[0] ?? "";
  if (wanted === "") return client.numeric(N.ERR_NONICKNAMEGIVEN, "No nickname given");
  if (client.registered) {
    if (fold(wanted) === fold(client.nick)) return;
    // A nickname is the Parley username: renaming is an account change (needs the password).
    client.numeric(
      N.ERR_NICKLOCKED,
      wanted,
      "Your nickname is your Parley username; rename the account from a Parley client (/rename)",
    );
    return;
  }
  if (/[\s,*?!@#:]/.test(wanted) || wanted.startsWith("$")) {
    return client.numeric(N.ERR_ERRONEUSNICKNAME, wanted, "Erroneous nickname");
  }
  client.nick = wanted;
  return tryRegister(ctx);
}

function user(ctx: CommandContext): Promise<void> | void {
  const { client, msg } = ctx;
  if (client.registered) return client.numeric(N.ERR_ALREADYREGISTERED, "You may not reregister");
  if (msg.params.length < 4 || msg.params[0] === "" || msg.params[3] === "") {
    return client.numeric(N.ERR_NEEDMOREPARAMS, "USER", "Not enough parameters");
  }
  client.ident = msg.params[0]!;
  client.realname = msg.params[3]!;
  return tryRegister(ctx);
}

/** Completes registration once NICK, USER and CAP END are in: logs in, welcomes, shows the rooms. */
async function tryRegister(ctx: CommandContext): Promise<void> {
  const { client, gw } = ctx;
  if (client.registered || client.nick === "*" || client.ident === "" || client.capNegotiating) return;
  let auth: Authenticated | undefined = client.pendingAuth;
  if (!auth && client.pass !== undefined) {
    // PASS username:password, or PASS password with the account named by NICK.
    const colon = client.pass.indexOf(":");
    const [username, password] =
      colon > 0 ? [client.pass.slice(0, colon), client.pass.slice(colon + 1)] : [client.nick, client.pass];
    try {
      auth = await gw.domain.accounts.login({ username, password, device: "irc" }, client.address, client.id);
    } catch (error) {
      client.numeric(
        N.ERR_PASSWDMISMATCH,
        error instanceof DomainError ? error.message : "Password incorrect",
      );
      client.close("Bad password");
      return;
    }
  }
  if (!auth && gw.options.guests) {
    auth = await guestLogin(ctx);
    if (!auth) return;
  }
  if (!auth) {
    client.notice(
      "This hub needs a Parley account: log in with SASL PLAIN (or PASS username:password) using your Parley username and password",
    );
    client.numeric(
      N.ERR_SASLFAIL,
      "You must authenticate with SASL (or PASS username:password) to use this server",
    );
    client.close("Authentication required");
    return;
  }
  client.pendingAuth = undefined;
  client.nick = auth.user.username;
  client.registered = true;
  if (!(await gw.bind(client, auth))) {
    // Closed while logging in: nothing will end this guest's account but this.
    if (client.guest) await gw.domain.guests.left(auth.actor.userId);
    return;
  }
  welcome(gw, client);
  await startSession(gw, client);
}

/**
 * `--irc-guests`: a NICK without credentials becomes a guest account of that name, which the domain
 * deletes when its last connection closes (guests.ts); a name in use gets 433.
 */
async function guestLogin(ctx: CommandContext): Promise<Authenticated | undefined> {
  const { client, gw } = ctx;
  if (!USERNAME_RE.test(fold(client.nick))) {
    client.numeric(
      N.ERR_ERRONEUSNICKNAME,
      client.nick,
      "Nicknames are Parley usernames: 3–32 of a-z, 0-9, _ and -",
    );
    client.nick = "*";
    return undefined;
  }
  try {
    const auth = await gw.domain.guests.login(client.nick, client.address, client.id);
    client.guest = true;
    return auth;
  } catch (error) {
    if (error instanceof DomainError && error.code === "USERNAME_TAKEN") {
      client.numeric(
        N.ERR_NICKNAMEINUSE,
        client.nick,
        "Nickname is in use (a Parley account: log in with SASL)",
      );
      client.nick = "*";
      return undefined;
    }
    gw.refuse(ctx, error, client.nick);
    client.close("Registration refused");
    return undefined;
  }
}

function welcome(gw: IrcGateway, client: IrcClient): void {
  const { serverName, networkName, version } = gw.options;
  client.numeric(N.RPL_WELCOME, `Welcome to the ${networkName} Parley hub, ${client.nick}`);
  client.numeric(N.RPL_YOURHOST, `Your host is ${serverName}, running version ${version}`);
  client.numeric(N.RPL_CREATED, `This server was created ${gw.startedAt.toISOString()}`);
  client.numeric(N.RPL_MYINFO, serverName, version, "i", "bklmnostv");
  const isupport = [
    "AWAYLEN=200",
    "CASEMAPPING=ascii",
    "CHANLIMIT=#:",
    "CHANMODES=b,k,l,mnst",
    "CHANNELLEN=49",
    "CHANTYPES=#",
    `CHATHISTORY=${HISTORY_MAX}`,
    "ELIST=",
    "KICKLEN=500",
    "MODES=4",
    `MONITOR=${gw.options.monitorMax}`,
    "MSGREFTYPES=msgid,timestamp",
    `NETWORK=${networkName}`,
    "NICKLEN=32",
    gw.options.prefixes === "o" ? "PREFIX=(ov)@+" : "PREFIX=(qov)~@+",
    "STATUSMSG=",
    `TARGMAX=JOIN:,PART:,KICK:${KICK_TARGETS},PRIVMSG:4,NOTICE:4,MONITOR:,NAMES:1,WHOIS:1`,
    "TOPICLEN=500",
    "UTF8ONLY",
    "WHOX",
  ];
  for (let i = 0; i < isupport.length; i += 12) {
    client.numeric(N.RPL_ISUPPORT, ...isupport.slice(i, i + 12), "are supported by this server");
  }
  client.numeric(N.ERR_NOMOTD, "MOTD File is missing");
}

/**
 * A session's start on IRC: every room the account is in shows as a joined channel, with its recent
 * history as a replay batch; direct messages that arrived while the user was away follow (and are
 * marked read). Delivery writes the replay and then the live events that waited, in order.
 */
async function startSession(gw: IrcGateway, client: IrcClient): Promise<void> {
  const actor = actorOf(client);
  const { rooms } = await gw.domain.rooms.list(actor, { joined: true, detail: true, limit: 200 });
  const cursors: Record<string, number> = {};
  for (const room of rooms as Room[]) {
    await gw.showChannel(client, room.name, false, room);
    cursors[roomCursor(room.name)] = Math.max(0, (room.lastSeq ?? 0) - gw.options.historyReplay);
  }
  await gw.delivery.catchUp(client, { cursors }, (missed) => writeReplay(gw, client, missed));
}

function writeReplay(gw: IrcGateway, client: IrcClient, missed: readonly SequencedEvent[]): void {
  const byConv = new Map<ConvId, Message[]>();
  for (const item of missed) {
    if (item.event.ev !== "message") continue;
    const list = byConv.get(item.conv);
    if (list) list.push(item.event);
    else byConv.set(item.conv, [item.event]);
  }
  for (const messages of byConv.values()) {
    const first = messages[0]!;
    const target = first.room !== undefined ? `#${first.room}` : first.user!;
    sendHistory(gw, client, target, messages);
    if (first.user !== undefined) {
      // Direct messages shown now count as read: the next connection does not replay them again.
      const seq = messages.at(-1)!.seq;
      void gw.domain.messages.read(actorOf(client), { user: first.user, seq }).catch(() => {});
    }
  }
}

/** JOIN line, topic and names of a room this client is in; with `replay`, its recent history too. */
export async function showChannel(
  gw: IrcGateway,
  client: IrcClient,
  name: string,
  replay: boolean,
  room?: Room,
): Promise<void> {
  const actor = actorOf(client);
  const info =
    room ??
    (
      (await gw.domain.rooms.list(actor, { joined: true, detail: true, query: name, limit: 200 }))
        .rooms as Room[]
    ).find((r) => fold(r.name) === fold(name));
  if (!info) return;
  client.channels.set(fold(info.name), channelView(info));
  client.reply({ source: client.mask, command: "JOIN", params: [`#${info.name}`] });
  sendTopic(gw, client, info.name, true);
  await sendNames(gw, client, info.name);
  if (replay && gw.options.historyReplay > 0) {
    const { messages } = await gw.domain.messages.roomHistory(actor, {
      room: info.name,
      limit: Math.min(HISTORY_MAX, gw.options.historyReplay),
    });
    sendHistory(gw, client, `#${info.name}`, messages);
  }
}

/** What a connection keeps of a room it shows (render.ts turns `room.updated` into its differences). */
export function channelView(room: Room): ChannelView {
  return {
    name: room.name,
    topic: room.description ?? "",
    topicBy: room.topicBy,
    topicAt: room.topicAt,
    topicLocked: room.topicLocked !== false,
    moderated: room.moderated === true,
    secret: room.secret === true,
    locked: room.locked,
    capacity: room.capacity,
  };
}

function sendTopic(gw: IrcGateway, client: IrcClient, room: string, quietIfNone: boolean): void {
  const view = client.channels.get(fold(room));
  if (!view || view.topic === "") {
    if (!quietIfNone) client.numeric(N.RPL_NOTOPIC, `#${room}`, "No topic is set");
    return;
  }
  client.numeric(N.RPL_TOPIC, `#${view.name}`, markdownToIrc(view.topic));
  if (view.topicBy !== undefined && view.topicAt !== undefined) {
    client.numeric(
      N.RPL_TOPICWHOTIME,
      `#${view.name}`,
      view.topicBy,
      String(Math.floor(view.topicAt / 1000)),
    );
  }
}

/** The members an IRC client is shown in a channel: those online, and itself. */
function present<M extends { username: string; online: boolean }>(client: IrcClient, members: M[]): M[] {
  const me = client.username === undefined ? undefined : fold(client.username);
  return members.filter((m) => m.online || fold(m.username) === me);
}

/**
 * A member's prefix in NAMES and WHO: with `--irc-prefixes qo` (the default) the owner is `~` and admins
 * `@`; with `o`, owner and admins are both `@`; a voiced member is `+`. Without multi-prefix only the
 * highest shows; with it all, highest first (`~@+`).
 */
export function memberPrefix(
  gw: IrcGateway,
  member: { role: string; voiced?: boolean | undefined },
  multi: boolean,
): string {
  const owner = gw.options.prefixes === "o" ? "@" : multi ? "~@" : "~";
  const rank = member.role === "owner" ? owner : member.role === "admin" ? "@" : "";
  if (!member.voiced) return rank;
  return multi ? `${rank}+` : rank || "+";
}

/** The NAMES symbol of a channel: `@` for a secret one, `=` for the others (RFC 2812 353). */
export function namesSymbol(view: ChannelView | undefined): string {
  return view?.secret ? "@" : "=";
}

async function sendNames(gw: IrcGateway, client: IrcClient, room: string): Promise<void> {
  const { members } = await gw.domain.rooms.members(actorOf(client), { room });
  const multi = client.has("multi-prefix");
  const userhost = client.has("userhost-in-names");
  // Online members: one who goes offline is shown QUIT, and JOINs again on coming back (render.ts).
  const names = present(client, members).map((m) => {
    const prefix = memberPrefix(gw, m, multi);
    return prefix + (userhost ? userMask(m.username) : m.username);
  });
  const view = client.channels.get(fold(room));
  const channel = `#${view?.name ?? room}`;
  const symbol = namesSymbol(view);
  // 353 lines of at most ~400 bytes of names.
  let line: string[] = [];
  let size = 0;
  for (const n of names) {
    if (size + n.length + 1 > 400 && line.length > 0) {
      client.numeric(N.RPL_NAMREPLY, symbol, channel, line.join(" "));
      line = [];
      size = 0;
    }
    line.push(n);
    size += n.length + 1;
  }
  if (line.length > 0) client.numeric(N.RPL_NAMREPLY, symbol, channel, line.join(" "));
  client.numeric(N.RPL_ENDOFNAMES, channel, "End of /NAMES list");
}

// ---------------------------------------------------------------------------------------------------
// Channels

async function join(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const actor = actorOf(client);
  if (msg.params[0] === "0") {
    for (const view of [...client.channels.values()]) await partOne(ctx, `#${view.name}`, undefined);
    return;
  }
  const channels = msg.params[0]!.split(",");
  const keys = (msg.params[1] ?? "").split(",");
  for (const [i, channel] of channels.entries()) {
    const room = roomOf(channel);
    if (room === undefined) {
      client.numeric(N.ERR_NOSUCHCHANNEL, channel, "No such channel");
      continue;
    }
    const key = fold(room);
    if (client.channels.has(key)) continue;
    client.joining.add(key);
    const started = (conv: ConvId, seq: number) => gw.delivery.follow(client, conv, seq);
    try {
      let history: Message[] = [];
      let info: Room;
      try {
        const password = keys[i] !== undefined && keys[i] !== "" ? keys[i] : undefined;
        const joined = await gw.domain.rooms.join(
          actor,
          { room, ...(password !== undefined && { password }) },
          started,
        );
        history = joined.history.slice(-gw.options.historyReplay);
        info = joined.room;
      } catch (error) {
        // IRC creates a channel by joining it.
        if (!(error instanceof DomainError) || error.code !== "NO_SUCH_ROOM") throw error;
        info = (await gw.domain.rooms.create(actor, { name: room }, started)).room;
      }
      await gw.showChannel(client, info.name, false, info);
      if (gw.options.historyReplay > 0) sendHistory(gw, client, `#${info.name}`, history);
    } catch (error) {
      gw.refuse(ctx, error, channel);
    } finally {
      client.joining.delete(key);
    }
  }
}

async function partOne(ctx: CommandContext, channel: string, reason: string | undefined): Promise<void> {
  const { client, gw } = ctx;
  const room = await joinedRoom(gw, client, channel);
  if (room === undefined) return;
  const view = client.channels.get(fold(room))!;
  // Taken off first: the member.left (or room.deleted) event this causes is this command's own.
  client.channels.delete(fold(room));
  try {
    await gw.domain.rooms.leave(actorOf(client), { room, ...(reason ? { reason } : {}) });
    client.reply({
      source: client.mask,
      command: "PART",
      params: [`#${view.name}`, ...(reason ? [reason] : [])],
    });
  } catch (error) {
    client.channels.set(fold(room), view);
    gw.refuse(ctx, error, channel);
  }
}

async function part(ctx: CommandContext): Promise<void> {
  for (const channel of ctx.msg.params[0]!.split(",")) await partOne(ctx, channel, ctx.msg.params[1]);
}

/** A channel command's room, or a 442 (403 when it does not exist) and undefined when not on it. */
async function joinedRoom(gw: IrcGateway, client: IrcClient, channel: string): Promise<string | undefined> {
  const room = roomOf(channel);
  const view = room === undefined ? undefined : client.channels.get(fold(room));
  if (!view) {
    const exists =
      room !== undefined &&
      (await gw.domain.rooms.find(room).then(
        () => true,
        () => false,
      ));
    if (exists) client.numeric(N.ERR_NOTONCHANNEL, channel, "You're not on that channel");
    else client.numeric(N.ERR_NOSUCHCHANNEL, channel, "No such channel");
    return undefined;
  }
  return view.name;
}

async function topic(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const room = await joinedRoom(gw, client, msg.params[0]!);
  if (room === undefined) return;
  if (msg.params.length < 2) return sendTopic(gw, client, room, false);
  const text = msg.params[1]!;
  await gw.domain.rooms.update(actorOf(client), {
    room,
    description: text === "" ? null : ircToMarkdown(text),
  });
}

async function names(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const channel = (msg.params[0] ?? "").split(",")[0]!;
  const room = roomOf(channel);
  if (room !== undefined && client.isOn(room)) return sendNames(gw, client, room);
  client.numeric(N.RPL_ENDOFNAMES, channel || "*", "End of /NAMES list");
}

/** Users one KICK may name (ISUPPORT TARGMAX); more are dropped, as the spec allows. */
const KICK_TARGETS = 4;

async function kick(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  // `KICK #a u1,u2` kicks both from #a; `KICK #a,#b u1,u2` pairs channels and users (RFC 2812 3.2.8).
  const channels = msg.params[0]!.split(",");
  const users = msg.params[1]!.split(",").slice(0, KICK_TARGETS);
  if (channels.length > 1 && channels.length !== users.length) {
    return client.numeric(N.ERR_NEEDMOREPARAMS, "KICK", "Give one channel, or one channel per user");
  }
  for (const [i, target] of users.entries()) {
    const room = await joinedRoom(gw, client, channels.length === 1 ? channels[0]! : channels[i]!);
    if (room === undefined) continue;
    try {
      await gw.domain.rooms.kick(actorOf(client), {
        room,
        username: target,
        ...(msg.params[2] && { reason: msg.params[2] }),
      });
    } catch (error) {
      if (error instanceof DomainError && error.code === "NOT_MEMBER") {
        client.numeric(N.ERR_USERNOTINCHANNEL, target, `#${room}`, "They aren't on that channel");
      } else gw.refuse(ctx, error, `#${room}`);
    }
  }
}

async function mode(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const target = msg.params[0]!;
  if (!target.startsWith("#")) {
    if (fold(target) !== fold(client.nick))
      return client.numeric(N.ERR_USERSDONTMATCH, "Can't change mode for other users");
    if (msg.params.length > 1 && !/^[+-]?[iw]*$/.test(msg.params[1]!)) {
      return client.numeric(N.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag");
    }
    return client.numeric(N.RPL_UMODEIS, "+");
  }
  const room = roomOf(target)!;
  const view = client.channels.get(fold(room));
  const actor = actorOf(client);
  if (msg.params.length === 1) {
    if (!view) return client.numeric(N.ERR_NOTONCHANNEL, target, "You're not on that channel");
    const flags = `+${view.moderated ? "m" : ""}n${view.secret ? "s" : ""}${view.topicLocked ? "t" : ""}${view.locked ? "k" : ""}${view.capacity !== undefined ? "l" : ""}`;
    const args = [
      ...(view.locked ? ["*"] : []),
      ...(view.capacity !== undefined ? [String(view.capacity)] : []),
    ];
    client.numeric(N.RPL_CHANNELMODEIS, `#${view.name}`, flags, ...args);
    return;
  }
  if (!view) return client.numeric(N.ERR_NOTONCHANNEL, target, "You're not on that channel");
  const channel = `#${view.name}`;
  const modes = msg.params[1]!;
  const args = msg.params.slice(2);
  let sign: "+" | "-" = "+";
  for (const letter of modes) {
    if (letter === "+" || letter === "-") {
      sign = letter;
      continue;
    }
    try {
      switch (letter) {
        case "b": {
          const mask = args.shift();
          if (mask === undefined) {
            const { bans } = await gw.domain.rooms.bans(actor, { room: view.name });
            for (const b of bans) {
              client.numeric(
                N.RPL_BANLIST,
                channel,
                `${b.username}!*@*`,
                b.by,
                String(Math.floor(b.at / 1000)),
              );
            }
            client.numeric(N.RPL_ENDOFBANLIST, channel, "End of channel ban list");
            break;
          }
          // Parley bans by name: a mask may only name a nick (`nick`, `nick!*`, `nick!*@*`).
          const username = banMaskNick(mask);
          if (username === undefined) {
            const why =
              "Parley bans a user by name: give NICK or NICK!*@* (no wildcards in the nick, no user or host)";
            client.numeric(N.ERR_INVALIDMODEPARAM, channel, "b", mask, why);
            break;
          }
          try {
            if (sign === "+") {
              await gw.domain.rooms.ban(actor, { room: view.name, username, byName: true });
            } else await gw.domain.rooms.unban(actor, { room: view.name, username });
          } catch (error) {
            if (!(error instanceof DomainError) || error.code !== "INVALID_USERNAME") throw error;
            client.numeric(N.ERR_INVALIDMODEPARAM, channel, "b", mask, error.message);
            break;
          }
          client.reply({
            source: client.mask,
            command: "MODE",
            params: [channel, `${sign}b`, `${username}!*@*`],
          });
          break;
        }
        case "o":
        case "q": {
          const username = args.shift();
          if (username === undefined) {
            client.numeric(N.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters");
            break;
          }
          if (letter === "q") {
            client.numeric(
              N.ERR_CHANOPRIVSNEEDED,
              channel,
              "Ownership passes by succession; +q cannot be set",
            );
            break;
          }
          if (sign === "+") await gw.domain.rooms.promote(actor, { room: view.name, username });
          else await gw.domain.rooms.demote(actor, { room: view.name, username });
          break;
        }
        case "k": {
          const key = args.shift();
          if (sign === "+" && key === undefined) {
            client.numeric(N.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters");
            break;
          }
          // An IRC key is one word: JOIN could never send one with a space in it.
          if (sign === "+" && (key!.trim() === "" || /[\s,]/.test(key!))) {
            client.numeric(N.ERR_INVALIDMODEPARAM, channel, "k", "*", "A channel key is one word");
            break;
          }
          try {
            await gw.domain.rooms.update(actor, { room: view.name, password: sign === "+" ? key! : null });
          } catch (error) {
            if (!(error instanceof DomainError) || error.code !== "INVALID_PARAMS") throw error;
            client.numeric(N.ERR_INVALIDMODEPARAM, channel, "k", "*", error.message);
          }
          break;
        }
        case "l": {
          if (sign === "-") {
            await gw.domain.rooms.update(actor, { room: view.name, capacity: null });
            break;
          }
          const arg = args.shift();
          if (arg === undefined) {
            client.numeric(N.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters");
            break;
          }
          const n = Number(arg);
          if (!Number.isInteger(n) || n < CAPACITY_MIN || n > CAPACITY_MAX) {
            const why = `A room's capacity is ${CAPACITY_MIN} to ${CAPACITY_MAX}`;
            client.numeric(N.ERR_INVALIDMODEPARAM, channel, "l", arg, why);
            break;
          }
          await gw.domain.rooms.update(actor, { room: view.name, capacity: n });
          break;
        }
        case "t":
          // Only a change makes a room.updated event (and its MODE line).
          if ((sign === "+") !== view.topicLocked) {
            await gw.domain.rooms.update(actor, { room: view.name, topicLocked: sign === "+" });
          }
          break;
        case "m":
        case "s": {
          // Only a change makes a room.updated event (and its MODE line).
          const on = sign === "+";
          if (letter === "m" && on !== view.moderated) {
            await gw.domain.rooms.update(actor, { room: view.name, moderated: on });
          } else if (letter === "s" && on !== view.secret) {
            await gw.domain.rooms.update(actor, { room: view.name, secret: on });
          }
          break;
        }
        case "v": {
          // room.voice; its voice.changed event is the MODE line every member sees (render.ts).
          const username = args.shift();
          if (username === undefined) {
            client.numeric(N.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters");
            break;
          }
          try {
            await gw.domain.rooms.voice(actor, { room: view.name, username, voice: sign === "+" });
          } catch (error) {
            if (!(error instanceof DomainError) || error.code !== "NOT_MEMBER") throw error;
            client.numeric(N.ERR_USERNOTINCHANNEL, username, channel, "They aren't on that channel");
          }
          break;
        }
        case "n":
          break; // always on: only members send
        default:
          client.numeric(N.ERR_UNKNOWNMODE, letter, "is an unknown mode char to me");
      }
    } catch (error) {
      if (error instanceof DomainError && error.code === "NOT_MEMBER") {
        client.numeric(N.ERR_USERNOTINCHANNEL, args[0] ?? "*", channel, "They aren't on that channel");
      } else gw.refuse(ctx, error, channel);
    }
  }
}

/**
 * The nick a ban mask names: `nick`, `nick!*` or `nick!*@*` (Parley bans by name). Undefined for
 * anything else: wildcards in the nick, or a user or host part other than `*`.
 */
function banMaskNick(mask: string): string | undefined {
  const bang = mask.indexOf("!");
  const nick = bang === -1 ? mask : mask.slice(0, bang);
  const rest = bang === -1 ? "" : mask.slice(bang + 1);
  if (nick === "" || /[*?@!]/.test(nick)) return undefined;
  if (rest !== "" && rest !== "*" && rest !== "*@*") return undefined;
  return nick;
}

/** `INVITE nick #chan`: `room.invite`; 341 to the inviter, an INVITE line to the invitee (render.ts). */
async function invite(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const [nickname, channel] = [msg.params[0]!, msg.params[1]!];
  const room = roomOf(channel);
  if (room === undefined) return client.numeric(N.ERR_NOSUCHCHANNEL, channel, "No such channel");
  try {
    await gw.domain.rooms.invite(actorOf(client), { room, username: nickname });
  } catch (error) {
    const code = error instanceof DomainError ? error.code : undefined;
    if (code === "NO_SUCH_USER") client.numeric(N.ERR_NOSUCHNICK, nickname, "No such nick");
    else if (code === "ALREADY_MEMBER") {
      client.numeric(N.ERR_USERONCHANNEL, nickname, channel, "is already on channel");
    } else gw.refuse(ctx, error, channel);
    return;
  }
  client.numeric(N.RPL_INVITING, nickname, channel);
}

async function list(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const only = msg.params[0]?.split(",").map((c) => fold(c.replace(/^#/, "")));
  const { rooms } = await gw.domain.rooms.list(actorOf(client), { detail: true, limit: 200 });
  client.numeric(N.RPL_LISTSTART, "Channel", "Users  Name");
  for (const room of rooms as Room[]) {
    if (only && !only.includes(fold(room.name))) continue;
    const flags = room.locked ? "[+k] " : "";
    client.numeric(
      N.RPL_LIST,
      `#${room.name}`,
      String(room.members),
      flags + markdownToIrc(room.description ?? ""),
    );
  }
  client.numeric(N.RPL_LISTEND, "End of /LIST");
}

// ---------------------------------------------------------------------------------------------------
// Users: WHO, WHOIS, AWAY, MONITOR

/** An IRC mask (`*` any run, `?` one character) as a case-insensitive whole-string RegExp. */
function globRegExp(mask: string): RegExp {
  const body = [...mask]
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "iu");
}

/** WHOX fields (IRCv3 whox), in the fixed order of a 354 reply whatever the order asked. */
const WHOX_FIELDS = "tcuihsnfdlaor";

/**
 * `WHO mask %fields[,token]` (WHOX): the fields asked for, known ones only, and the token (1–3 digits,
 * as the spec has it; another token drops the `t` field). Undefined for a plain WHO.
 */
function whoxRequest(arg: string | undefined): { fields: string; token: string } | undefined {
  if (arg === undefined || !arg.startsWith("%")) return undefined;
  const [asked = "", token = ""] = arg.slice(1).split(",", 2);
  const okToken = /^[0-9]{1,3}$/.test(token);
  const fields = [...WHOX_FIELDS].filter((f) => asked.includes(f) && (f !== "t" || okToken)).join("");
  return { fields, token };
}

async function who(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const mask = msg.params[0]!;
  const room = roomOf(mask);
  const server = gw.options.serverName;
  const whox = whoxRequest(msg.params[1]);
  // A guest is logged in to no account (WHOX `a` is 0 for it, as WHOIS sends it no 330): known from its
  // record, read only when asked for and guests exist at all.
  const accountOf = async (username: string): Promise<string> => {
    if (!gw.options.guests) return username;
    try {
      return isGuest(await gw.domain.accounts.findUser(username)) ? "0" : username;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return "0";
    }
  };
  const row = async (channel: string, username: string, online: boolean, prefix: string) => {
    const who = gw.identOf(username);
    const ident = who?.ident || username;
    const realname = who?.realname || username;
    const flags = `${online ? "H" : "G"}${gw.isOper(username) ? "*" : ""}${prefix}`;
    if (whox === undefined) {
      client.numeric(N.RPL_WHOREPLY, channel, ident, USER_HOST, server, username, flags, `0 ${realname}`);
      return;
    }
    const values: Record<string, () => string | Promise<string>> = {
      t: () => whox.token,
      c: () => channel,
      u: () => ident,
      // Addresses are not shown to other users (as the host is not): the spec's placeholder.
      i: () => "255.255.255.255",
      h: () => USER_HOST,
      s: () => server,
      n: () => username,
      f: () => flags,
      d: () => "0",
      l: () => "0",
      a: () => accountOf(username),
      o: () => "n/a",
      r: () => realname,
    };
    const params: string[] = [];
    for (const f of whox.fields) params.push(await values[f]!());
    client.numeric(N.RPL_WHOSPCRPL, ...params);
  };
  if (room !== undefined) {
    if (client.isOn(room)) {
      const { members } = await gw.domain.rooms.members(actorOf(client), { room });
      const channel = `#${client.channels.get(fold(room))!.name}`;
      for (const m of present(client, members)) {
        const away = gw.awayByName(m.username) !== undefined;
        const prefix = memberPrefix(gw, m, client.has("multi-prefix"));
        await row(channel, m.username, m.online && !away, prefix);
      }
    }
  } else if (/[*?]/.test(mask)) {
    // A mask matches the users who share a channel with the asker, and the asker (as most servers
    // without +i lookups do): the same rooms.members calls as WHO #channel, nothing listed beyond.
    const re = globRegExp(mask);
    const seen = new Map<string, boolean>();
    if (client.username) seen.set(client.username, client.away === undefined);
    for (const view of client.channels.values()) {
      const { members } = await gw.domain.rooms.members(actorOf(client), { room: view.name });
      for (const m of present(client, members))
        seen.set(m.username, m.online && gw.awayByName(m.username) === undefined);
    }
    for (const [username, here] of seen) {
      const who = gw.identOf(username);
      const fields = [username, who?.ident || username, USER_HOST, who?.realname || username];
      if (fields.some((f) => re.test(f))) await row("*", username, here, "");
    }
  } else {
    try {
      const record = await gw.domain.accounts.findUser(mask);
      const view = await gw.domain.accounts.userView(record);
      await row("*", record.username, view.online && gw.localAway(record.id) === undefined, "");
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
  }
  client.numeric(N.RPL_ENDOFWHO, mask, "End of WHO list");
}

async function whois(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const nick = msg.params[msg.params.length - 1]!;
  try {
    const record = await gw.domain.accounts.findUser(nick);
    const view = await gw.domain.accounts.userView(record);
    const name = record.username;
    const who = gw.identOf(name);
    client.numeric(
      N.RPL_WHOISUSER,
      name,
      who?.ident || name,
      USER_HOST,
      "*",
      who?.realname || view.displayName,
    );
    client.numeric(N.RPL_WHOISSERVER, name, gw.options.serverName, `${gw.options.networkName} Parley hub`);
    // The rooms the asker may see them in: a secret room only when the asker is a member too.
    const multi = client.has("multi-prefix");
    const channels = (await gw.domain.rooms.roomsOf(actorOf(client), name)).map(
      (r) => `${memberPrefix(gw, r, multi)}#${r.room}`,
    );
    for (let i = 0; i < channels.length; i += 20) {
      client.numeric(N.RPL_WHOISCHANNELS, name, channels.slice(i, i + 20).join(" "));
    }
    if (gw.isOper(name)) client.numeric(N.RPL_WHOISOPERATOR, name, "is an IRC operator (a server admin)");
    // Guests (--irc-guests) have throwaway accounts: shown as not logged in.
    if (!isGuest(record)) client.numeric(N.RPL_WHOISACCOUNT, name, name, "is logged in as");
    const away = gw.localAway(record.id);
    if (away !== undefined) client.numeric(N.RPL_AWAY, name, away);
    else if (!view.online) client.numeric(N.RPL_AWAY, name, "Offline; messages are kept for them");
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== "NO_SUCH_USER") throw error;
    client.numeric(N.ERR_NOSUCHNICK, nick, "No such nick/channel");
  }
  client.numeric(N.RPL_ENDOFWHOIS, nick, "End of /WHOIS list");
}

function away(ctx: CommandContext): void {
  const { client, msg, gw } = ctx;
  const text = msg.params[0] ?? "";
  client.away = text === "" ? undefined : text.slice(0, 200);
  if (client.away === undefined) client.numeric(N.RPL_UNAWAY, "You are no longer marked as being away");
  else client.numeric(N.RPL_NOWAWAY, "You have been marked as being away");
  // away-notify to the IRC clients on this node that share a channel with this one.
  for (const other of gw.clients.values()) {
    if (other === client || !other.registered || !other.has("away-notify")) continue;
    if (![...other.channels.keys()].some((k) => client.channels.has(k))) continue;
    other.send({
      source: client.mask,
      command: "AWAY",
      params: client.away === undefined ? [] : [client.away],
    });
  }
}

async function monitor(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const sub = msg.params[0]!;
  const targets = (msg.params[1] ?? "").split(",").filter((t) => t !== "");
  switch (sub) {
    case "+": {
      const online: string[] = [];
      const offline: string[] = [];
      for (const [i, t] of targets.entries()) {
        if (client.monitors.size >= gw.options.monitorMax && !client.monitors.has(fold(t))) {
          client.numeric(
            N.ERR_MONLISTFULL,
            String(gw.options.monitorMax),
            targets.slice(i).join(","),
            "Monitor list is full",
          );
          break;
        }
        let status = false;
        let name = t;
        try {
          const record = await gw.domain.accounts.findUser(t);
          name = record.username;
          status = (await gw.domain.accounts.userView(record)).online;
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
        }
        client.monitors.set(fold(t), status);
        (status ? online : offline).push(status ? userMask(name) : t);
      }
      if (online.length > 0) client.numeric(N.RPL_MONONLINE, online.join(","));
      if (offline.length > 0) client.numeric(N.RPL_MONOFFLINE, offline.join(","));
      return;
    }
    case "-":
      for (const t of targets) client.monitors.delete(fold(t));
      return;
    case "C":
    case "c":
      client.monitors.clear();
      return;
    case "L":
    case "l":
      if (client.monitors.size > 0) client.numeric(N.RPL_MONLIST, [...client.monitors.keys()].join(","));
      client.numeric(N.RPL_ENDOFMONLIST, "End of MONITOR list");
      return;
    case "S":
    case "s": {
      const on = [...client.monitors].filter(([, s]) => s).map(([k]) => userMask(k));
      const off = [...client.monitors].filter(([, s]) => !s).map(([k]) => k);
      if (on.length > 0) client.numeric(N.RPL_MONONLINE, on.join(","));
      if (off.length > 0) client.numeric(N.RPL_MONOFFLINE, off.join(","));
      return;
    }
    default:
      client.numeric(N.ERR_UNKNOWNCOMMAND, "MONITOR", "Unknown MONITOR subcommand");
  }
}

// ---------------------------------------------------------------------------------------------------

async function userhost(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const found: string[] = [];
  for (const nick of msg.params.slice(0, 5)) {
    try {
      const record = await gw.domain.accounts.findUser(nick);
      const ident = gw.identOf(record.username)?.ident || record.username;
      const away = gw.localAway(record.id) !== undefined;
      found.push(`${record.username}=${away ? "-" : "+"}${ident}@${USER_HOST}`);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
  }
  client.numeric(N.RPL_USERHOST, found.join(" "));
}

/**
 * `OPER name password`: the credentials of a Parley server admin (checked by the domain as a login is,
 * with the same failure limits). The connection then shows as an operator (`*` in WHO, 313 in WHOIS)
 * and may KILL with that admin's authority.
 */
async function oper(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  try {
    client.oper = await gw.domain.admin.oper(
      { username: msg.params[0]!, password: msg.params[1]! },
      client.address,
    );
  } catch (error) {
    const code = error instanceof DomainError ? error.code : undefined;
    if (code === "FORBIDDEN") return client.numeric(N.ERR_NOOPERHOST, "No O-lines for your host");
    if (code === "BAD_CREDENTIALS" || code === "RATE_LIMITED" || code === "SUSPENDED")
      return client.numeric(N.ERR_PASSWDMISMATCH, `Password incorrect (${(error as DomainError).message})`);
    throw error;
  }
  client.numeric(N.RPL_YOUREOPER, `You are now an IRC operator (server admin ${client.oper.name})`);
  client.reply({ source: client.mask, command: "MODE", params: [client.nick, "+o"] });
}

/** `KILL nick [:reason]`: an operator ends every connection of a user (the admin kick, `admin.kick`). */
async function kill(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  if (!client.oper) {
    return client.numeric(N.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator");
  }
  const nick = msg.params[0]!;
  try {
    // The admin's authority is checked again: a revoked admin's OPER ends here.
    const by = await gw.domain.admin.authorizeUser(client.oper.userId!);
    const reason = msg.params[1] ?? "";
    await gw.domain.admin.kick(by, { username: nick }, `Killed by ${by.name}${reason ? `: ${reason}` : ""}`);
  } catch (error) {
    if (error instanceof DomainError && error.code === "FORBIDDEN") {
      client.oper = undefined;
      return client.numeric(N.ERR_NOPRIVILEGES, "Permission Denied- You are no longer a server admin");
    }
    gw.refuse(ctx, error, nick);
  }
}

function ping(ctx: CommandContext): void {
  const server = ctx.gw.options.serverName;
  ctx.client.reply({ source: server, command: "PONG", params: [server, ctx.msg.params[0]!] });
}

/**
 * `QUIT [:message]`: the connection ends (presence with reason `quit` and the message, a guest's
 * account deleted) before the client is sent `ERROR` and closed, so what follows a QUIT is settled.
 */
async function quit(ctx: CommandContext): Promise<void> {
  const { client, gw, msg } = ctx;
  client.closing = "quit";
  client.quitMessage = msg.params[0];
  await gw.finish(client);
  client.close(`Closing link (${msg.params[0] ?? "Quit"})`);
}

const cmd = (min: number, registered: boolean, run: CommandSpec["run"]): CommandSpec => ({
  min,
  registered,
  run,
});

export const COMMANDS: Record<string, CommandSpec> = {
  CAP: cmd(1, false, cap),
  AUTHENTICATE: cmd(1, false, authenticate),
  PASS: cmd(1, false, pass),
  NICK: cmd(0, false, nick),
  USER: cmd(1, false, user),
  PING: cmd(1, false, ping),
  PONG: cmd(0, false, () => {}),
  QUIT: cmd(0, false, quit),
  JOIN: cmd(1, true, join),
  PART: cmd(1, true, part),
  TOPIC: cmd(1, true, topic),
  NAMES: cmd(0, true, names),
  KICK: cmd(2, true, kick),
  INVITE: cmd(2, true, invite),
  MODE: cmd(1, true, mode),
  LIST: cmd(0, true, list),
  PRIVMSG: cmd(0, true, privmsg),
  NOTICE: cmd(0, true, privmsg),
  TAGMSG: cmd(1, true, tagmsg),
  REDACT: cmd(2, true, redact),
  CHATHISTORY: cmd(1, true, chathistory),
  WHO: cmd(1, true, who),
  WHOIS: cmd(1, true, whois),
  AWAY: cmd(0, true, away),
  MONITOR: cmd(1, true, monitor),
  USERHOST: cmd(1, true, userhost),
  OPER: cmd(2, true, oper),
  KILL: cmd(1, true, kill),
  MOTD: cmd(0, true, (ctx) => ctx.client.numeric(N.ERR_NOMOTD, "MOTD File is missing")),
};

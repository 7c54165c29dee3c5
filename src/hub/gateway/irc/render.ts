/**
 * Parley events → IRC lines, per connection (each has its own capabilities and channels). What has no
 * IRC form (read markers, settings, devices, direct-chat requests) is not shown.
 */
import type { AnyEvent } from "../../../protocol/events.js";
import type { Message, PresenceReason } from "../../../protocol/model.js";
import { fold } from "../../ids.js";
import type { IrcClient } from "./client.js";
import { userMask } from "./client.js";
import { markdownToIrc } from "./format.js";
import type { IrcGateway } from "./gateway.js";
import { buildLine, MAX_BODY_BYTES, splitUtf8, type OutMessage } from "./line.js";

type Tags = Array<[string, string | undefined]>;

/** The message id IRC clients see: the seq first, so CHATHISTORY can page from it without a lookup. */
export function msgidOf(m: { seq: number; id: string }): string {
  return `${m.seq}-${m.id}`;
}

/** The seq inside a msgid made by `msgidOf`, if it is one. */
export function seqOfMsgid(msgid: string): number | undefined {
  const m = /^(\d+)-/.exec(msgid);
  return m ? Number(m[1]) : undefined;
}

/** The message id inside a msgid made by `msgidOf`, if it is one (`<seq>-<digits>`). */
export function idOfMsgid(msgid: string): string | undefined {
  const m = /^\d+-(\d+)$/.exec(msgid);
  return m ? m[1] : undefined;
}

/** Tags of a message for this client: server-time, msgid, account-tag, as negotiated. */
export function messageTags(
  client: IrcClient,
  m: { ts: number; seq: number; id: string; from: string },
): Tags {
  const tags: Tags = [];
  if (client.has("server-time")) tags.push(["time", new Date(m.ts).toISOString()]);
  if (client.has("message-tags")) tags.push(["msgid", msgidOf(m)]);
  if (client.has("account-tag")) tags.push(["account", m.from]);
  return tags;
}

/** A message's client-only tags (`+name`), for a client that negotiated message-tags; none otherwise. */
export function clientTagsFor(
  client: IrcClient,
  clientTags: Readonly<Record<string, string>> | undefined,
): Tags {
  if (!clientTags || !client.has("message-tags")) return [];
  return Object.entries(clientTags);
}

/** The client-only tags (`+name`) among a line's tags: what a PRIVMSG, NOTICE or TAGMSG hands on. */
export function clientTagsOf(tags: ReadonlyMap<string, string>): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const [name, value] of tags) if (name.startsWith("+")) (out ??= {})[name] = value;
  return out;
}

/** Bytes of text that fit one `:source COMMAND target :text` line within IRC's 512 (CR LF included). */
export function textRoom(source: string, command: string, target: string): number {
  return MAX_BODY_BYTES - (`:${source} ${command} ${target} :`.length + 2);
}

/**
 * A Parley message as the PRIVMSG (or, for a notice, NOTICE) lines this client gets: one per line of
 * the body, each cut to fit IRC's 512 bytes; tags (msgid, client tags) on the first.
 */
export function messageLines(client: IrcClient, m: Message, extraTags: Tags = []): OutMessage[] {
  // A deleted message in history: left out for a client with draft/message-redaction (the spec's
  // preferred form); others see the tombstone. A live message is never deleted.
  if (m.deleted && client.has("draft/message-redaction")) return [];
  const me = client.username;
  const fromMe = me !== undefined && fold(m.from) === fold(me);
  const target = m.room !== undefined ? `#${m.room}` : fromMe ? m.user! : me!;
  const source = userMask(m.from);
  const command = m.notice ? "NOTICE" : "PRIVMSG";
  const tags = [...extraTags, ...messageTags(client, m), ...clientTagsFor(client, m.clientTags)];
  // A reply names its original's msgid (`+draft/reply`, for clients with message-tags), unless its
  // IRC sender already put that tag on it.
  const replyTag = m.replyTo !== undefined && m.replyToSeq !== undefined && !m.clientTags?.["+draft/reply"];
  if (replyTag && client.has("message-tags")) {
    tags.push(["+draft/reply", msgidOf({ seq: m.replyToSeq!, id: m.replyTo! })]);
  }
  let text = m.deleted ? "(message deleted)" : m.e2e ? SEALED_TEXT : markdownToIrc(m.body);
  // IRC has no threads: a reply says whom it answers, with the start of the original — for every
  // client, as those without message-tags see no `+draft/reply`. A reply written on IRC with
  // `+draft/reply` is shown as its author wrote it, as IRC servers relay it.
  if (m.quote && !m.deleted && !m.clientTags?.["+draft/reply"]) {
    const quoted = m.quote.deleted ? "a deleted message" : `"${markdownToIrc(m.quote.text)}"`;
    text = `(re ${m.quote.from}: ${quoted}) ${text}`;
  }
  if (m.file && !m.deleted) text = `${text}${text ? " " : ""}[file: ${m.file.name}, ${m.file.size} bytes]`;
  // Room for the prefix, command and target within the 512 bytes.
  const room = textRoom(source, command, target);
  const out: OutMessage[] = [];
  for (const line of text.split("\n")) {
    for (const piece of splitUtf8(line, room)) {
      if (piece === "" && text !== "") continue;
      out.push({
        tags: out.length === 0 ? tags : tags.filter(([k]) => k !== "msgid" && !k.startsWith("+")),
        source,
        command,
        params: [target, piece],
      });
    }
  }
  return out;
}

/**
 * A room message's lines as bytes, built once per capability set that changes them and shared by every
 * IRC client with that set, as the WebSocket path shares one frame among its receivers: rendering per
 * connection cost ~3.4 KiB of garbage per recipient (docs/performance.md, "IRC fan-out"). Keyed by the
 * event object, which the Delivery hands to every sink given the same form of the message; a room
 * message's lines depend on nothing else of the client (its target is the channel, not the nick).
 */
const renderedRoomMessages = new WeakMap<Message, Array<string | undefined>>();

function roomMessageBytes(client: IrcClient, m: Message): string {
  const variant =
    (client.has("server-time") ? 1 : 0) |
    (client.has("message-tags") ? 2 : 0) |
    (client.has("account-tag") ? 4 : 0);
  let forms = renderedRoomMessages.get(m);
  if (forms === undefined) renderedRoomMessages.set(m, (forms = []));
  return (forms[variant] ??= messageLines(client, m).map(buildLine).join(""));
}

/** What an IRC client shows for a message of an end-to-end encrypted room: it holds no device keys. */
export const SEALED_TEXT = "[sealed: end-to-end encrypted, open it in a Parley client]";

/**
 * An edit, deletion or reaction as a plain-text NOTICE from the server, in the channel (or the query)
 * the message is in: what clients without `draft/message-redaction` (deletions) or message-tags
 * (reactions) get, and every client for an edit (IRCv3 has no ratified edit).
 */
function changeNotice(
  gw: IrcGateway,
  client: IrcClient,
  event: { room?: string | undefined; conv?: string | undefined; muted?: boolean | undefined },
  text: string,
): void {
  let target: string;
  let source = gw.options.serverName;
  if (event.room !== undefined) {
    if (!client.isOn(event.room)) return;
    target = `#${event.room}`;
  } else if (event.conv?.startsWith("dm:") && client.username !== undefined) {
    // In the query with the other party, as IRC clients file a notice from them to you.
    source = gw.maskOf(event.conv.slice(3));
    target = client.username;
  } else return;
  if (event.muted) return;
  const room = MAX_BODY_BYTES - (source.length + target.length + 24);
  client.send({ source, command: "NOTICE", params: [target, splitUtf8(`* ${text}`, room)[0] ?? ""] });
}

/** An edit/deletion/reaction's target for this client: the channel, or in a DM the query, as for PRIVMSG. */
function changeTarget(
  client: IrcClient,
  event: { room?: string | undefined; conv?: string | undefined },
  actor: string,
): string | undefined {
  if (event.room !== undefined) return client.isOn(event.room) ? `#${event.room}` : undefined;
  if (!event.conv?.startsWith("dm:") || client.username === undefined) return undefined;
  return fold(actor) === fold(client.username) ? event.conv.slice(3) : client.username;
}

/** time and account tags of a line by `user` at `ts`, as negotiated. */
function serverTags(client: IrcClient, user: string, ts: number | undefined): Tags {
  const tags: Tags = [];
  if (client.has("server-time") && ts !== undefined) tags.push(["time", new Date(ts).toISOString()]);
  if (client.has("account-tag")) tags.push(["account", user]);
  return tags;
}

/**
 * A deletion as `REDACT target msgid` (draft/message-redaction) from the one who deleted it, for a
 * client with the capability; false when this client gets the NOTICE instead (or the event lacks the
 * message's seq, from an older hub).
 */
function redactLine(
  client: IrcClient,
  event: Extract<AnyEvent, { ev: "message.deleted" }>,
): OutMessage | undefined {
  if (!client.has("draft/message-redaction") || event.msgSeq === undefined) return undefined;
  const target = changeTarget(client, event, event.by);
  if (target === undefined) return undefined;
  return {
    tags: serverTags(client, event.by, undefined),
    source: userMask(event.by),
    command: "REDACT",
    params: [target, msgidOf({ seq: event.msgSeq, id: event.id })],
  };
}

/**
 * A reaction as `TAGMSG target` with `+draft/react=<emoji>` (`+draft/unreact` when taken back) and
 * `+draft/reply=<msgid>`, for a client with message-tags; undefined when it gets the NOTICE instead.
 */
function reactionLine(
  client: IrcClient,
  event: Extract<AnyEvent, { ev: "reaction" }>,
): OutMessage | undefined {
  if (!client.has("message-tags") || event.msgSeq === undefined) return undefined;
  const target = changeTarget(client, event, event.user);
  if (target === undefined) return undefined;
  return {
    tags: [
      ...serverTags(client, event.user, undefined),
      [event.on ? "+draft/react" : "+draft/unreact", event.emoji],
      ["+draft/reply", msgidOf({ seq: event.msgSeq, id: event.id })],
    ],
    source: userMask(event.user),
    command: "TAGMSG",
    params: [target],
  };
}

/**
 * Replays messages (on connect and JOIN) as a `chathistory` batch when the client has `batch`, else one
 * by one. Nothing to replay sends nothing (no empty batch: that is for a CHATHISTORY request). Inside a
 * labeled command the replay waits until the labeled reply is sent and follows it, outside its batch
 * (as ergo does: a labeled-response batch holds the command's replies, not a nested history batch).
 */
export function sendHistory(
  gw: IrcGateway,
  client: IrcClient,
  target: string,
  all: readonly Message[],
): void {
  const messages = client.has("draft/message-redaction") ? all.filter((m) => !m.deleted) : all;
  if (messages.length === 0) return;
  if (client.collector) {
    const later = [...messages];
    client.afterReply.push(() => sendHistory(gw, client, target, later));
    return;
  }
  const batched = client.has("batch");
  const id = batched ? `h${++client.nextBatch}` : undefined;
  if (id)
    client.reply({
      source: gw.options.serverName,
      command: "BATCH",
      params: [`+${id}`, "chathistory", target],
    });
  for (const m of messages) {
    for (const line of messageLines(client, m, id ? [["batch", id]] : [])) client.reply(line);
  }
  if (id) client.reply({ source: gw.options.serverName, command: "BATCH", params: [`-${id}`] });
}

/** Users a connection saw QUIT, kept until they come back (bounded: cleared when full). */
const GONE_MAX = 1000;

/** The text of the QUIT others see when a user goes offline. */
function quitText(event: { reason: PresenceReason; message?: string | undefined }): string {
  switch (event.reason) {
    case "quit":
      return event.message ? `Quit: ${event.message}` : "Quit";
    case "timeout":
      return "Ping timeout";
    case "logout":
      return "Logged out";
    default:
      return "Connection closed";
  }
}

/** A member back online: a JOIN (and their MODE, away-notify) in each channel this client shares with them. */
async function showReturn(gw: IrcGateway, client: IrcClient, username: string): Promise<void> {
  if (!client.actor) return;
  const server = gw.options.serverName;
  for (const { room, role, voiced } of await gw.domain.rooms.shared(client.actor, username)) {
    const view = client.channels.get(fold(room));
    if (!view) continue;
    const channel = `#${view.name}`;
    client.send({ source: userMask(username), command: "JOIN", params: [channel] });
    const mode =
      role === "owner" ? (gw.options.prefixes === "o" ? "+o" : "+q") : role === "admin" ? "+o" : "";
    if (mode) client.send({ source: server, command: "MODE", params: [channel, mode, username] });
    if (voiced) client.send({ source: server, command: "MODE", params: [channel, "+v", username] });
    const away = gw.awayByName(username);
    if (away !== undefined && client.has("away-notify")) {
      client.send({ source: userMask(username), command: "AWAY", params: [away] });
    }
  }
}

/**
 * This connection's own message or TAGMSG (its cid is waiting): the echo, only with echo-message and
 * tagged with its command's label; a DM to oneself is also delivered, as a second, unlabeled copy (the
 * echo and the delivery, as IRC servers send them). False for anything else.
 */
function ownEcho(
  client: IrcClient,
  event: { cid?: string | undefined; room?: string | undefined; user?: string | undefined; from: string },
  lines: () => OutMessage[],
  always = false,
): boolean {
  const cid = event.cid;
  if (cid === undefined || !client.pendingEchoes.has(cid)) return false;
  const label = client.pendingEchoes.get(cid);
  client.pendingEchoes.delete(cid);
  const me = client.username!;
  const toSelf = event.room === undefined && event.user !== undefined && fold(event.user) === fold(me);
  if (always || client.has("echo-message")) {
    const echo = lines();
    if (label !== undefined && client.collector?.label === label) {
      for (const l of echo) client.collector.lines.push(l);
    } else {
      echo.forEach((l, i) =>
        client.send(
          label !== undefined && i === 0 ? { ...l, tags: [["label", label], ...(l.tags ?? [])] } : l,
        ),
      );
    }
  }
  if (toSelf) for (const l of lines()) client.send(l);
  return true;
}

/** A `tagmsg` event as a TAGMSG line: the sender's client tags with this client's server tags. */
function tagmsgLine(client: IrcClient, event: Extract<AnyEvent, { ev: "tagmsg" }>): OutMessage {
  const me = client.username!;
  const fromMe = fold(event.from) === fold(me);
  const target = event.room !== undefined ? `#${event.room}` : fromMe ? event.user! : me;
  const tags: Tags = [];
  if (client.has("server-time")) tags.push(["time", new Date(event.ts).toISOString()]);
  tags.push(["msgid", event.id]);
  if (client.has("account-tag")) tags.push(["account", event.from]);
  tags.push(...clientTagsFor(client, event.clientTags));
  return { tags, source: userMask(event.from), command: "TAGMSG", params: [target] };
}

export function renderEvent(gw: IrcGateway, client: IrcClient, event: AnyEvent): void {
  if (!client.registered || !client.username) return;
  const me = client.username;
  const server = gw.options.serverName;
  const isMe = (name: string) => fold(name) === fold(me);
  switch (event.ev) {
    case "message": {
      if (ownEcho(client, event, () => messageLines(client, event))) return;
      if (event.room !== undefined) {
        if (client.isOn(event.room)) client.sendRaw(roomMessageBytes(client, event));
        return;
      }
      for (const l of messageLines(client, event)) client.send(l);
      return;
    }
    case "tagmsg": {
      // Only for clients that asked for tags (message-tags): to the others a TAGMSG is nothing.
      if (!client.has("message-tags")) {
        if (event.cid !== undefined) client.pendingEchoes.delete(event.cid);
        return;
      }
      if (ownEcho(client, event, () => [tagmsgLine(client, event)])) return;
      if (event.room !== undefined && !client.isOn(event.room)) return;
      client.send(tagmsgLine(client, event));
      return;
    }
    case "member.joined": {
      const key = fold(event.room);
      if (isMe(event.username)) {
        // Joined on another device: show the channel here too. A JOIN of this connection is its own.
        if (client.joining.has(key) || client.channels.has(key)) return;
        void gw
          .showChannel(client, event.room, true)
          .catch((error: unknown) =>
            gw.log.warn({ err: error, conn: client.id }, "irc: showing a joined channel failed"),
          );
        return;
      }
      if (!client.channels.has(key)) return;
      client.send({ source: gw.maskOf(event.username), command: "JOIN", params: [`#${event.room}`] });
      // away-notify: someone away (on this node) joining is shown as away at once.
      const away = gw.awayByName(event.username);
      if (away !== undefined && client.has("away-notify")) {
        client.send({ source: gw.maskOf(event.username), command: "AWAY", params: [away] });
      }
      return;
    }
    case "member.left": {
      const key = fold(event.room);
      if (!client.channels.has(key)) return;
      const channel = `#${event.room}`;
      if (event.reason === "left") {
        // Someone this client saw QUIT is in no nick list here (a guest's account ends so).
        if (client.gone.has(fold(event.username))) return;
        client.send({
          source: userMask(event.username),
          command: "PART",
          params: [channel, ...(event.message !== undefined ? [event.message] : [])],
        });
      } else {
        const by = event.by ?? server;
        client.send({
          source: event.by ? userMask(by) : server,
          command: "KICK",
          params: [channel, event.username, event.message ?? by],
        });
      }
      if (isMe(event.username)) client.channels.delete(key);
      return;
    }
    case "invited":
      client.send({
        ...(client.has("account-tag") && { tags: [["account", event.by]] }),
        source: gw.maskOf(event.by),
        command: "INVITE",
        params: [me, `#${event.room}`],
      });
      return;
    case "kicked":
    case "banned":
      // The member.left event already showed it; the reason text is added as a notice.
      if (event.reason) client.notice(`${event.by} ${event.ev} you from #${event.room}: ${event.reason}`);
      return;
    case "role.changed": {
      if (!client.isOn(event.room)) return;
      const owner = gw.options.prefixes === "o" ? "+o" : "+q";
      const mode = event.role === "owner" ? owner : event.role === "admin" ? "+o" : "-o";
      client.send({
        source: event.by ? userMask(event.by) : server,
        command: "MODE",
        params: [`#${event.room}`, mode, event.username],
      });
      return;
    }
    case "voice.changed":
      if (!client.isOn(event.room)) return;
      client.send({
        source: userMask(event.by),
        command: "MODE",
        params: [`#${event.room}`, event.voiced ? "+v" : "-v", event.username],
      });
      return;
    case "room.updated": {
      const key = fold(event.room.name);
      const view = client.channels.get(key);
      if (!view) return;
      const channel = `#${event.room.name}`;
      const source = event.by ? userMask(event.by) : server;
      const topic = event.room.description ?? "";
      view.topicBy = event.room.topicBy;
      view.topicAt = event.room.topicAt;
      if (topic !== view.topic) {
        view.topic = topic;
        client.reply({ source, command: "TOPIC", params: [channel, markdownToIrc(topic)] });
      }
      const topicLocked = event.room.topicLocked !== false;
      if (topicLocked !== view.topicLocked) {
        view.topicLocked = topicLocked;
        client.send({ source, command: "MODE", params: [channel, topicLocked ? "+t" : "-t"] });
      }
      for (const [letter, on] of [
        ["m", event.room.moderated === true],
        ["s", event.room.secret === true],
      ] as const) {
        const key = letter === "m" ? "moderated" : "secret";
        if (on === view[key]) continue;
        view[key] = on;
        client.send({ source, command: "MODE", params: [channel, `${on ? "+" : "-"}${letter}`] });
      }
      if (event.room.locked !== view.locked) {
        view.locked = event.room.locked;
        client.send({
          source,
          command: "MODE",
          params: [channel, view.locked ? "+k" : "-k", ...(view.locked ? ["*"] : [])],
        });
      }
      if (event.room.capacity !== view.capacity) {
        view.capacity = event.room.capacity;
        const cap = view.capacity;
        client.send({
          source,
          command: "MODE",
          params: cap === undefined ? [channel, "-l"] : [channel, "+l", String(cap)],
        });
      }
      return;
    }
    case "room.deleted": {
      const key = fold(event.room);
      if (!client.channels.has(key)) return;
      client.channels.delete(key);
      client.send({
        source: server,
        command: "KICK",
        params: [`#${event.room}`, me, "The room was deleted"],
      });
      return;
    }
    case "user.renamed": {
      if (isMe(event.from)) {
        client.send({ source: client.mask, command: "NICK", params: [event.to] });
        client.nick = event.to;
        client.username = event.to;
        return;
      }
      client.send({ source: userMask(event.from), command: "NICK", params: [event.to] });
      const key = fold(event.from);
      if (client.monitors.has(key)) {
        const status = client.monitors.get(key);
        client.monitors.delete(key);
        client.monitors.set(fold(event.to), status);
      }
      return;
    }
    case "presence": {
      const key = fold(event.username);
      if (client.monitors.has(key) && client.monitors.get(key) !== event.online) {
        client.monitors.set(key, event.online);
        client.send({
          source: server,
          command: event.online ? "730" : "731",
          params: [client.nick, event.online ? userMask(event.username) : event.username],
        });
      }
      if (isMe(event.username)) return;
      // IRC shows a channel's online members: going offline is a QUIT, coming back a JOIN per shared
      // channel (the member stays in the Parley room all along; NAMES lists online members).
      if (!event.online) {
        if (client.gone.size >= GONE_MAX) client.gone.clear();
        client.gone.add(key);
        client.send({ source: userMask(event.username), command: "QUIT", params: [quitText(event)] });
        return;
      }
      client.gone.delete(key);
      if (client.channels.size === 0) return;
      void showReturn(gw, client, event.username).catch((error: unknown) =>
        gw.log.warn({ err: error, conn: client.id }, "irc: showing a returning member failed"),
      );
      return;
    }
    case "message.edited": {
      const first = markdownToIrc(event.body).split("\n", 1)[0] ?? "";
      changeNotice(gw, client, event, `${event.from} edited a message: ${first}`);
      return;
    }
    case "message.deleted": {
      const redact = redactLine(client, event);
      if (!redact) {
        if (event.cid !== undefined) client.pendingEchoes.delete(event.cid);
        changeNotice(gw, client, event, `${event.by} deleted a message`);
        return;
      }
      // The deleter's own REDACT comes back to it (with its label), as the spec has it, echo-message or not.
      const own = { cid: event.cid, from: event.by };
      if (ownEcho(client, own, () => [redact], true)) return;
      client.send(redact);
      return;
    }
    case "reaction": {
      const react = reactionLine(client, event);
      if (react) {
        // An IRC client's own TAGMSG reaction: its echo (echo-message), labeled.
        const own = { cid: event.cid, from: event.user };
        if (ownEcho(client, own, () => [react])) return;
        client.send(react);
        return;
      }
      if (event.cid !== undefined) client.pendingEchoes.delete(event.cid);
      changeNotice(
        gw,
        client,
        event,
        event.on ? `${event.user} reacted ${event.emoji}` : `${event.user} took back ${event.emoji}`,
      );
      return;
    }
    case "session.ended":
    case "user.updated":
    case "settings.changed":
    case "read.changed":
    case "p2p.request":
    case "p2p.answered":
    case "p2p.cancelled":
    case "devices.changed":
      return;
  }
}

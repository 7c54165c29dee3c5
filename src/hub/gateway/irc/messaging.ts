/**
 * PRIVMSG, NOTICE, TAGMSG and REDACT: IRC's ways to send, as `msg.send` (a notice with `notice`),
 * `msg.tagmsg`, `msg.react` (a TAGMSG with `+draft/react` or `+draft/unreact` and `+draft/reply`) and
 * `msg.delete` (REDACT, draft/message-redaction). Client-only tags (`+name`) go along as the message's
 * `clientTags`; a `+draft/reply` naming a Parley msgid also makes the message a reply (`replyTo`). The
 * domain bounds them and decides who may send, react or delete where. Each send remembers its cid, so
 * its echo (echo-message) comes back with the command's label (render.ts).
 */
import { isReactionEmoji } from "../../../protocol/reactions.js";
import { DomainError } from "../../domain/errors.js";
import { fold } from "../../ids.js";
import { userMask, type IrcClient } from "./client.js";
import type { CommandContext } from "./commands.js";
import { ircToMarkdown } from "./format.js";
import type { IrcGateway } from "./gateway.js";
import { N } from "./numerics.js";
import { clientTagsOf, idOfMsgid, textRoom } from "./render.js";

function roomOf(channel: string): string | undefined {
  return channel.startsWith("#") && channel.length > 1 ? channel.slice(1) : undefined;
}

/** A cid for one send of this connection, remembered with the command's label until its echo comes. */
function pendingCid(ctx: CommandContext): string {
  const cid = `irc-${ctx.client.id}-${++ctx.client.nextCid}`;
  ctx.client.pendingEchoes.set(cid, ctx.label);
  return cid;
}

export async function privmsg(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const notice = msg.command === "NOTICE";
  if (msg.params.length < 2 || msg.params[1] === "") {
    if (!notice) {
      if (msg.params.length < 1) client.numeric(N.ERR_NORECIPIENT, `No recipient given (${msg.command})`);
      else client.numeric(N.ERR_NOTEXTTOSEND, "No text to send");
    }
    return;
  }
  let text = msg.params[1]!;
  // CTCP: ACTION becomes an italic line; other CTCP requests have no Parley counterpart.
  if (text.startsWith("\x01")) {
    const inner = text.slice(1, text.endsWith("\x01") ? -1 : undefined);
    if (!inner.startsWith("ACTION ")) return;
    text = `\x1d${inner.slice(7)}\x1d`;
  }
  const body = ircToMarkdown(text);
  const clientTags = clientTagsOf(msg.tags);
  const replyMsgid = clientTags?.["+draft/reply"];
  const replyTo = replyMsgid === undefined ? undefined : idOfMsgid(replyMsgid);
  const actor = client.actor!;
  const me = client.username!;
  for (const target of msg.params[0]!.split(",")) {
    // What cannot reach the others in one line is refused, not cut: the spec's reason for 417.
    if (Buffer.byteLength(text) > textRoom(userMask(me), msg.command, target)) {
      if (!notice) client.numeric(N.ERR_INPUTTOOLONG, "Input line was too long to relay");
      continue;
    }
    const room = roomOf(target);
    if (room !== undefined && !client.isOn(room)) {
      if (!notice) client.numeric(N.ERR_CANNOTSENDTOCHAN, target, "Cannot send to channel (join it first)");
      continue;
    }
    const cid = pendingCid(ctx);
    const params = {
      body,
      cid,
      ...(notice && { notice: true }),
      ...(clientTags && { clientTags }),
      ...(replyTo !== undefined && { replyTo }),
    };
    try {
      if (room !== undefined) {
        await gw.domain.messages.send(actor, { room, ...params });
      } else {
        await gw.domain.messages.send(actor, { user: target, ...params });
        if (!notice && fold(target) !== fold(me)) await tellAway(gw, client, target);
      }
    } catch (error) {
      client.pendingEchoes.delete(cid);
      gw.refuse(ctx, error, target);
    }
  }
}

/**
 * TAGMSG (IRCv3 message-tags): client-only tags without a message, to channels or users. Not stored;
 * only clients with message-tags get it. One without client tags has nothing to carry and is dropped.
 */
export async function tagmsg(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const clientTags = clientTagsOf(msg.tags);
  if (!clientTags) return;
  const actor = client.actor!;
  const reaction = reactionOf(clientTags);
  for (const target of msg.params[0]!.split(",")) {
    const room = roomOf(target);
    if (room !== undefined && !client.isOn(room)) {
      client.numeric(N.ERR_CANNOTSENDTOCHAN, target, "Cannot send to channel (join it first)");
      continue;
    }
    const cid = pendingCid(ctx);
    try {
      if (reaction) {
        // A reaction to a Parley message: stored and shown to everyone (render.ts shows it back).
        const result = await gw.domain.changes.react(actor, { ...reaction, cid });
        // Nothing changed (already on, or off): no event comes, so there is no echo to wait for.
        if (result.seq === undefined) client.pendingEchoes.delete(cid);
        continue;
      }
      await gw.domain.messages.tagmsg(
        actor,
        room !== undefined ? { room, clientTags, cid } : { user: target, clientTags, cid },
      );
    } catch (error) {
      client.pendingEchoes.delete(cid);
      gw.refuse(ctx, error, target);
    }
  }
}

/**
 * The reaction a TAGMSG's tags ask for: `+draft/react` (or `+draft/unreact`) with one emoji and a
 * `+draft/reply` naming a Parley msgid. Anything else (another tag, an emoji the hub does not take, a
 * msgid of no Parley form) is an ordinary TAGMSG, relayed live as before.
 */
function reactionOf(
  tags: Readonly<Record<string, string>>,
): { messageId: string; emoji: string; on: boolean } | undefined {
  const on = tags["+draft/react"] !== undefined;
  const emoji = tags["+draft/react"] ?? tags["+draft/unreact"];
  const messageId = idOfMsgid(tags["+draft/reply"] ?? "");
  if (emoji === undefined || messageId === undefined || !isReactionEmoji(emoji)) return undefined;
  return { messageId, emoji, on };
}

/**
 * REDACT target msgid [:reason] (draft/message-redaction): `msg.delete` of the message; the domain
 * decides who may (the author, a room admin above them). Refusals are FAIL REDACT lines per the spec:
 * INVALID_TARGET (not a channel this client is on), UNKNOWN_MSGID (no such message, or no Parley
 * msgid), REDACT_FORBIDDEN. Parley keeps no reason: it is not relayed. Only for clients that
 * negotiated the capability (to others REDACT is an unknown command).
 */
export async function redact(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  if (!client.has("draft/message-redaction")) {
    client.numeric(N.ERR_UNKNOWNCOMMAND, msg.command, "Unknown command");
    return;
  }
  const [target, msgid] = [msg.params[0]!, msg.params[1]!];
  const fail = (code: string, text: string, withMsgid = true) =>
    client.reply({
      source: gw.options.serverName,
      command: "FAIL",
      params: ["REDACT", code, target, ...(withMsgid ? [msgid] : []), text],
    });
  const room = roomOf(target);
  if (target.startsWith("#") && (room === undefined || !client.isOn(room))) {
    return fail("INVALID_TARGET", "You are not on that channel", false);
  }
  const messageId = idOfMsgid(msgid);
  if (messageId === undefined) return fail("UNKNOWN_MSGID", "There is no such message");
  const cid = pendingCid(ctx);
  try {
    const result = await gw.domain.changes.delete(client.actor!, { messageId, cid });
    if (result.seq === undefined) client.pendingEchoes.delete(cid);
  } catch (error) {
    client.pendingEchoes.delete(cid);
    if (error instanceof DomainError && error.code === "NO_SUCH_MESSAGE") {
      return fail("UNKNOWN_MSGID", "There is no such message");
    }
    if (error instanceof DomainError && error.code === "FORBIDDEN") {
      return fail("REDACT_FORBIDDEN", error.message);
    }
    gw.refuse(ctx, error, target);
  }
}

/** RPL_AWAY for a DM to someone away on this node or offline (the message is kept for them). */
async function tellAway(gw: IrcGateway, client: IrcClient, nick: string): Promise<void> {
  const record = await gw.domain.accounts.findUser(nick);
  const away = gw.localAway(record.id);
  if (away !== undefined) return client.numeric(N.RPL_AWAY, record.username, away);
  const view = await gw.domain.accounts.userView(record);
  if (!view.online)
    client.numeric(N.RPL_AWAY, record.username, "Offline; they will get your message when they connect");
}

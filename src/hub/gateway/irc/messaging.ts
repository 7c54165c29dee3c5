/**
 * PRIVMSG, NOTICE and TAGMSG: IRC's ways to send, as `msg.send` (a notice with `notice`) and
 * `msg.tagmsg`. Client-only tags (`+name`) go along as the message's `clientTags`; the domain bounds
 * them and decides who may send where. Each send remembers its cid, so its echo (echo-message) comes
 * back with the command's label (render.ts).
 */
import { fold } from "../../ids.js";
import { userMask, type IrcClient } from "./client.js";
import type { CommandContext } from "./commands.js";
import { ircToMarkdown } from "./format.js";
import type { IrcGateway } from "./gateway.js";
import { N } from "./numerics.js";
import { clientTagsOf, textRoom } from "./render.js";

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
  for (const target of msg.params[0]!.split(",")) {
    const room = roomOf(target);
    if (room !== undefined && !client.isOn(room)) {
      client.numeric(N.ERR_CANNOTSENDTOCHAN, target, "Cannot send to channel (join it first)");
      continue;
    }
    const cid = pendingCid(ctx);
    try {
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

/** RPL_AWAY for a DM to someone away on this node or offline (the message is kept for them). */
async function tellAway(gw: IrcGateway, client: IrcClient, nick: string): Promise<void> {
  const record = await gw.domain.accounts.findUser(nick);
  const away = gw.localAway(record.id);
  if (away !== undefined) return client.numeric(N.RPL_AWAY, record.username, away);
  const view = await gw.domain.accounts.userView(record);
  if (!view.online)
    client.numeric(N.RPL_AWAY, record.username, "Offline; they will get your message when they connect");
}

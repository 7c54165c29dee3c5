/**
 * `CHATHISTORY` (IRCv3 draft/chathistory) over the hub's history: LATEST, BEFORE and AFTER page the
 * store by seq when given a msgid; timestamps, BETWEEN and AROUND are answered from the latest
 * HISTORY_MAX messages of the conversation (docs/irc.md); TARGETS lists the rooms and DMs with
 * messages between two times. History is the domain's (`room.history`, `dm.history`): membership and
 * hidden messages are its rules.
 */
import { HISTORY_MAX } from "../../../protocol/limits.js";
import type { Message, Room } from "../../../protocol/model.js";
import { DomainError } from "../../domain/errors.js";
import type { CommandContext } from "./commands.js";
import { messageLines, seqOfMsgid } from "./render.js";

type Ref = { seq: number; ts?: undefined } | { ts: number; seq?: undefined };

function parseRef(ref: string): Ref | undefined {
  if (ref.startsWith("msgid=")) {
    const seq = seqOfMsgid(ref.slice(6));
    return seq === undefined ? undefined : { seq };
  }
  if (ref.startsWith("timestamp=")) {
    const ts = Date.parse(ref.slice(10));
    return Number.isNaN(ts) ? undefined : { ts };
  }
  return undefined;
}

const isAfter = (m: Message, r: Ref) => (r.seq !== undefined ? m.seq > r.seq : m.ts > r.ts!);
const isBefore = (m: Message, r: Ref) => (r.seq !== undefined ? m.seq < r.seq : m.ts < r.ts!);

export async function chathistory(ctx: CommandContext): Promise<void> {
  const { client, msg, gw } = ctx;
  const sub = msg.params[0]!.toUpperCase();
  const server = gw.options.serverName;
  const fail = (code: string, text: string) =>
    client.reply({
      source: server,
      command: "FAIL",
      params: ["CHATHISTORY", code, ...msg.params.slice(0, 2), text],
    });
  const actor = client.actor!;
  if (sub === "TARGETS") return targets(ctx, fail);
  if (!["LATEST", "BEFORE", "AFTER", "BETWEEN", "AROUND"].includes(sub)) {
    return fail("INVALID_PARAMS", "Use LATEST, BEFORE, AFTER, BETWEEN, AROUND or TARGETS");
  }
  const needed = sub === "BETWEEN" ? 5 : 4;
  if (msg.params.length < needed) return fail("INVALID_PARAMS", "Not enough parameters");
  const target = msg.params[1]!;
  const limit = Math.min(HISTORY_MAX, Math.max(1, Number(msg.params[needed - 1]) || 1));
  const room = target.startsWith("#") ? target.slice(1) : undefined;
  const fetch = (q: { before?: number; after?: number; limit: number }) =>
    room !== undefined
      ? gw.domain.messages.roomHistory(actor, { room, ...q })
      : gw.domain.messages.dmHistory(actor, { user: target, ...q });
  const raw = msg.params[2]!;
  const ref = sub === "LATEST" && raw === "*" ? undefined : parseRef(raw);
  if (ref === undefined && !(sub === "LATEST" && raw === "*"))
    return fail("INVALID_MSGREFTYPE", "Use msgid= or timestamp=");
  const ref2 = sub === "BETWEEN" ? parseRef(msg.params[3]!) : undefined;
  if (sub === "BETWEEN" && ref2 === undefined) return fail("INVALID_MSGREFTYPE", "Use msgid= or timestamp=");
  let messages: Message[];
  try {
    if (ref?.seq !== undefined && (sub === "LATEST" || sub === "BEFORE" || sub === "AFTER")) {
      // By seq: straight from the store.
      if (sub === "BEFORE") messages = (await fetch({ limit, before: ref.seq })).messages;
      else if (sub === "AFTER") messages = (await fetch({ limit, after: ref.seq })).messages;
      else messages = (await fetch({ limit })).messages.filter((m) => m.seq > ref.seq);
    } else if (ref === undefined) {
      messages = (await fetch({ limit })).messages;
    } else {
      const { messages: recent } = await fetch({ limit: HISTORY_MAX });
      switch (sub) {
        case "LATEST":
          messages = recent.filter((m) => isAfter(m, ref)).slice(-limit);
          break;
        case "BEFORE":
          messages = recent.filter((m) => isBefore(m, ref)).slice(-limit);
          break;
        case "AFTER":
          messages = recent.filter((m) => isAfter(m, ref)).slice(0, limit);
          break;
        case "AROUND": {
          // slice(-0) would be the whole list: AROUND 1 is the message itself, nothing before it.
          const half = Math.floor(limit / 2);
          const before = half === 0 ? [] : recent.filter((m) => isBefore(m, ref)).slice(-half);
          const rest = recent.filter((m) => !isBefore(m, ref)).slice(0, limit - before.length);
          messages = [...before, ...rest];
          break;
        }
        default: {
          const b = ref2!;
          // A msgid is placed in time by its message, so a msgid and a timestamp can be compared.
          const timeOf = (r: Ref) => r.ts ?? recent.find((m) => m.seq === r.seq)?.ts ?? 0;
          const ascending =
            ref.seq !== undefined && b.seq !== undefined ? ref.seq < b.seq : timeOf(ref) <= timeOf(b);
          const inside = recent.filter((m) =>
            ascending ? isAfter(m, ref) && isBefore(m, b) : isBefore(m, ref) && isAfter(m, b),
          );
          messages = ascending ? inside.slice(0, limit) : inside.slice(-limit);
        }
      }
    }
  } catch (error) {
    if (
      error instanceof DomainError &&
      ["NOT_MEMBER", "NO_SUCH_ROOM", "NO_SUCH_USER", "INVALID_PARAMS"].includes(error.code)
    ) {
      return fail("INVALID_TARGET", "No such target, or not a member");
    }
    throw error;
  }
  const batched = client.has("batch");
  const id = `c${++client.nextBatch}`;
  if (batched) client.reply({ source: server, command: "BATCH", params: [`+${id}`, "chathistory", target] });
  for (const m of messages) {
    for (const line of messageLines(client, m, batched ? [["batch", id]] : [])) client.reply(line);
  }
  if (batched) client.reply({ source: server, command: "BATCH", params: [`-${id}`] });
}

/** `CHATHISTORY TARGETS timestamp=A timestamp=B limit`: conversations with messages between A and B. */
async function targets(ctx: CommandContext, fail: (code: string, text: string) => void): Promise<void> {
  const { client, msg, gw } = ctx;
  const a = parseRef(msg.params[1] ?? "");
  const b = parseRef(msg.params[2] ?? "");
  if (a?.ts === undefined || b?.ts === undefined)
    return fail("INVALID_PARAMS", "TARGETS takes two timestamps");
  const [low, high] = a.ts < b.ts ? [a.ts, b.ts] : [b.ts, a.ts];
  const limit = Math.min(HISTORY_MAX, Math.max(1, Number(msg.params[3]) || 1));
  const actor = client.actor!;
  const found: Array<{ target: string; ts: number }> = [];
  const { conversations } = await gw.domain.messages.dmList(actor);
  for (const c of conversations) {
    const last = (await gw.domain.messages.dmHistory(actor, { user: c.user, limit: 1 })).messages.at(-1);
    if (last && last.ts > low && last.ts < high) found.push({ target: c.user, ts: last.ts });
  }
  const { rooms } = await gw.domain.rooms.list(actor, { joined: true, detail: true, limit: 200 });
  for (const r of rooms as Room[]) {
    const last = (await gw.domain.messages.roomHistory(actor, { room: r.name, limit: 1 })).messages.at(-1);
    if (last && last.ts > low && last.ts < high) found.push({ target: `#${r.name}`, ts: last.ts });
  }
  found.sort((x, y) => x.ts - y.ts);
  const server = gw.options.serverName;
  const batched = client.has("batch");
  const id = `t${++client.nextBatch}`;
  if (batched)
    client.reply({ source: server, command: "BATCH", params: [`+${id}`, "draft/chathistory-targets"] });
  for (const f of found.slice(0, limit)) {
    client.reply({
      ...(batched && { tags: [["batch", id]] as Array<[string, string]> }),
      source: server,
      command: "CHATHISTORY",
      params: ["TARGETS", f.target, new Date(f.ts).toISOString()],
    });
  }
  if (batched) client.reply({ source: server, command: "BATCH", params: [`-${id}`] });
}

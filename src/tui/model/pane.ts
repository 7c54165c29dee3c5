/** The lines of one view, built from the client state and the app's notices (memoised per input). */
import { mentions, parseKey, type ClientState } from "../../client/index.js";
import type { ViewKey } from "../../ui/view-keys.js";
import { mergeByTime, messageLine, noticeLine, pendingLine, type Notice, type PaneLine } from "./lines.js";
import { directLine, type DirectViews } from "../p2p/lines.js";

export interface PaneSource {
  client: ClientState;
  notices: Readonly<Record<string, readonly Notice[]>>;
  /** Direct chats, shown in their DM views. */
  direct?: DirectViews;
}

const cache = new WeakMap<
  object,
  { notices: readonly Notice[] | undefined; outbox: unknown; direct: unknown; lines: PaneLine[] }
>();
const NO_NOTICES: readonly Notice[] = [];

export function buildPane(source: PaneSource, view: ViewKey): PaneLine[] {
  const notices = source.notices[view] ?? NO_NOTICES;
  const parsed = parseKey(view);
  const conv = parsed
    ? parsed.kind === "room"
      ? source.client.rooms[parsed.name]
      : source.client.dms[parsed.name]
    : undefined;
  const direct = parsed?.kind === "dm" ? source.direct?.[parsed.name]?.messages : undefined;
  const directLines = (direct ?? []).map(directLine);
  if (!conv)
    return directLines.length > 0
      ? mergeByTime(directLines, notices.map(noticeLine))
      : notices.map(noticeLine);
  const hit = cache.get(conv);
  if (hit && hit.notices === notices && hit.outbox === source.client.outbox && hit.direct === direct)
    return hit.lines;

  const me = source.client.me?.username ?? null;
  const mention = (body: string): boolean => me !== null && mentions(body, me);
  const cids = new Set(conv.messages.map((m) => m.cid).filter((c) => c !== undefined));
  const messages: PaneLine[] = conv.messages.map((m) => messageLine(m, me, mention));
  for (const e of source.client.outbox) {
    if (e.key === view && !cids.has(e.cid)) messages.push(pendingLine(e, me ?? "you"));
  }
  const lines = mergeByTime(mergeByTime(messages, directLines), notices.map(noticeLine));
  cache.set(conv, { notices, outbox: source.client.outbox, direct, lines });
  return lines;
}

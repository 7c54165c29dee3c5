/** The lines of one view, built from the client state and the app's notices (memoised per input). */
import { mentions, parseKey, type ClientState } from "../../client/index.js";
import type { Message } from "../../protocol/index.js";
import type { ViewKey } from "../../ui/view-keys.js";
import { mergeByTime, messageLine, noticeLine, pendingLine, type Notice, type PaneLine } from "./lines.js";
import { directLine, type DirectViews } from "../p2p/lines.js";

export interface PaneSource {
  client: ClientState;
  notices: Readonly<Record<string, readonly Notice[]>>;
  /** Direct chats, shown in their DM views. */
  direct?: DirectViews;
  /** The selected message (↑ in an empty input), shown with its number. */
  selected?: { view: string; id: string } | null;
}

/**
 * Messages are numbered from the newest (1) back, among the conversation's loaded messages: what
 * /edit N, /reply N, /react N … take, and what a selected message shows.
 */
export function messageNumber(messages: readonly Message[], id: string): number | undefined {
  const i = messages.findIndex((m) => m.id === id);
  return i < 0 ? undefined : messages.length - i;
}

export function messageByNumber(messages: readonly Message[], n: number): Message | undefined {
  return Number.isInteger(n) && n >= 1 ? messages[messages.length - n] : undefined;
}

const cache = new WeakMap<
  object,
  {
    notices: readonly Notice[] | undefined;
    outbox: unknown;
    direct: unknown;
    selected: string | undefined;
    lines: PaneLine[];
  }
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
  const selected = source.selected?.view === view ? source.selected.id : undefined;
  const hit = cache.get(conv);
  if (
    hit &&
    hit.notices === notices &&
    hit.outbox === source.client.outbox &&
    hit.direct === direct &&
    hit.selected === selected
  )
    return hit.lines;

  const me = source.client.me?.username ?? null;
  const mention = (body: string): boolean => me !== null && mentions(body, me);
  const cids = new Set(conv.messages.map((m) => m.cid).filter((c) => c !== undefined));
  const messages: PaneLine[] = conv.messages.map((m, i) => {
    const line = messageLine(m, me, mention);
    return m.id === selected ? { ...line, number: conv.messages.length - i } : line;
  });
  for (const e of source.client.outbox) {
    if (e.key === view && !cids.has(e.cid)) messages.push(pendingLine(e, me ?? "you"));
  }
  const lines = mergeByTime(mergeByTime(messages, directLines), notices.map(noticeLine));
  cache.set(conv, { notices, outbox: source.client.outbox, direct, selected, lines });
  return lines;
}

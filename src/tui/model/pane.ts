/** The lines of one view, built from the client state and the app's notices (memoised per input). */
import { mentions, parseKey, type ClientState } from "../../client/index.js";
import type { Message } from "../../protocol/index.js";
import type { ViewKey } from "../../ui/view-keys.js";
import {
  directCopyLine,
  mergeByTime,
  messageLine,
  noticeLine,
  pendingLine,
  sealedLine,
  type Notice,
  type PaneLine,
} from "./lines.js";
import type { DirectCopy, E2eView } from "../../client/index.js";

/** End-to-end encrypted rooms' checked messages and direct copies (E2eRooms). */
export interface SealedSource {
  view(message: Message): E2eView | undefined;
  pendingDirect(room: string): readonly DirectCopy[];
}
import { directLine, type DirectViews } from "../p2p/lines.js";

export interface PaneSource {
  client: ClientState;
  notices: Readonly<Record<string, readonly Notice[]>>;
  /** Direct chats, shown in their DM views. */
  direct?: DirectViews;
  /** Sealed messages of e2e rooms; `sealedVersion` changes whenever one was checked. */
  sealed?: SealedSource | null;
  sealedVersion?: number;
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
    sealedVersion: number | undefined;
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
    hit.sealedVersion === source.sealedVersion &&
    hit.selected === selected
  )
    return hit.lines;

  const me = source.client.me?.username ?? null;
  const mention = (body: string): boolean => me !== null && mentions(body, me);
  const cids = new Set(conv.messages.map((m) => m.cid).filter((c) => c !== undefined));
  const sealed = source.sealed;
  const messages: PaneLine[] = conv.messages.map((m, i) => {
    const line =
      m.e2e === undefined ? messageLine(m, me, mention) : sealedLine(m, sealedText(m, sealed), me, mention);
    return m.id === selected ? { ...line, number: conv.messages.length - i } : line;
  });
  // Direct copies of sealed messages wait after the messages the hub ordered, until their hub copy comes.
  const roomDirect =
    parsed?.kind === "room" && sealed ? sealed.pendingDirect(parsed.name).map(directCopyLine) : [];
  for (const e of source.client.outbox) {
    if (e.key === view && !cids.has(e.cid)) messages.push(pendingLine(e, me ?? "you"));
  }
  const lines = mergeByTime(mergeByTime([...messages, ...roomDirect], directLines), notices.map(noticeLine));
  cache.set(conv, {
    notices,
    outbox: source.client.outbox,
    direct,
    sealedVersion: source.sealedVersion,
    selected,
    lines,
  });
  return lines;
}

const CHECKING = { text: "[sealed: checking…]", rejected: true, source: {} };
const NO_KEYS = {
  text: "[sealed: this terminal has no device keys (direct chats are off), so it cannot open it]",
  rejected: true,
  source: {},
};

function sealedText(m: Message, sealed: SealedSource | null | undefined) {
  if (!sealed) return NO_KEYS;
  const view = sealed.view(m);
  if (!view) return CHECKING;
  if (view.state === "ok") return { text: view.text ?? "", rejected: false, source: view };
  return { text: `[not shown: ${view.warning ?? "rejected"}]`, rejected: true, source: view };
}

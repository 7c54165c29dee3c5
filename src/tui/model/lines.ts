/**
 * What the message pane shows for one view: the conversation's messages, the messages still in the
 * outbox, and the client's own notices (joins, kicks, command output …), merged in time order.
 * Everything that came from the network is sanitized here, once, before anything measures or prints it.
 */
import type { Message } from "../../protocol/index.js";
import type { OutboxEntry } from "../../client/index.js";
import { parseRichText, type RichText } from "../../ui/markdown.js";
import { sanitize } from "../render/sanitize.js";
import { formatBytes } from "../files/progress.js";
import type { FileInfo } from "../../protocol/index.js";

/** `file: NAME (SIZE, TYPE)`, sanitized: name and type come from other users. */
export function fileLabel(file: FileInfo): string {
  return sanitize(`file: ${file.name} (${formatBytes(file.size)}, ${file.type})`);
}

/** What /open and /save find under a number that is a file rather than a link. */
export const FILE_LINK = "parley-file:";

export type { NoticeLevel } from "../../ui/notices.js";
import type { NoticeLevel } from "../../ui/notices.js";

export interface Notice {
  id: number;
  ts: number;
  level: NoticeLevel;
  text: string;
}

export interface MessageLine {
  kind: "message";
  key: string;
  ts: number;
  from: string;
  rich: RichText;
  own: boolean;
  mention: boolean;
  /** Still in the outbox: not yet acknowledged by the hub (or, in a direct chat, by the peer). */
  pending: boolean;
  /** A direct-chat message the peer acknowledged: shown with a tick. */
  tick?: boolean;
  /** The message's file: numbered after the body's links, for /save and /open. */
  file?: { id: string; label: string };
  /** The hub's message id (absent for pending and direct-chat lines). */
  id?: string;
  /** Shown while selected (↑ in an empty input): the number /edit, /reply, /react … take. */
  number?: number;
  edited?: boolean;
  /** A tombstone: shown as "(message deleted)". */
  deleted?: boolean;
  /** A reply's one-line quote of its original, sanitized: "bob: first line". */
  quote?: string;
  /** Reactions, sanitized: "👍 3  🎉 1" (yours marked with *). */
  reactions?: string;
  /** A notice (IRC NOTICE, bots): shown `-alice- text`, dim. */
  notice?: boolean;
}

export interface NoticeLine {
  kind: "notice";
  key: string;
  ts: number;
  level: NoticeLevel;
  text: string;
}

export type PaneLine = MessageLine | NoticeLine;

// Messages are immutable snapshots from the SDK, so a parse can be kept as long as the object lives.
const parsed = new WeakMap<object, RichText>();

function richOf(source: Message | OutboxEntry): RichText {
  let rich = parsed.get(source);
  if (!rich) {
    rich = parseRichText(sanitize(source.body, { multiline: true }));
    parsed.set(source, rich);
  }
  return rich;
}

export function messageLine(m: Message, me: string | null, mention: (body: string) => boolean): MessageLine {
  const own = me !== null && m.from.toLowerCase() === me.toLowerCase();
  const line: MessageLine = {
    kind: "message",
    key: `m${m.id}`,
    ts: m.ts,
    from: sanitize(m.from),
    rich: richOf(m),
    own,
    mention: !own && !m.deleted && mention(m.body),
    pending: false,
    id: m.id,
    ...(m.file && !m.deleted && { file: { id: m.file.id, label: fileLabel(m.file) } }),
  };
  if (m.editedAt !== undefined && !m.deleted) line.edited = true;
  if (m.deleted) line.deleted = true;
  if (m.notice) line.notice = true;
  if (m.quote) {
    const text = m.quote.deleted ? "(message deleted)" : m.quote.text;
    line.quote = sanitize(`${m.quote.from}: ${text}`);
  }
  if (m.reactions && !m.deleted) {
    const parts = Object.entries(m.reactions).map(([emoji, r]) => `${emoji} ${r.count}${r.me ? "*" : ""}`);
    if (parts.length > 0) line.reactions = sanitize(parts.join("  "));
  }
  return line;
}

/** What a sealed message shows: its text once every check passed, else why not (never its text). */
export interface SealedText {
  text: string;
  rejected: boolean;
}

const sealedParsed = new WeakMap<object, RichText>();

/** A message of an end-to-end encrypted room, shown as `shown` says (src/client/e2e-rooms.ts). */
export function sealedLine(
  m: Message,
  shown: SealedText & { source: object },
  me: string | null,
  mention: (body: string) => boolean,
): MessageLine {
  const own = me !== null && m.from.toLowerCase() === me.toLowerCase();
  let rich = sealedParsed.get(shown.source);
  if (!rich) {
    rich = parseRichText(sanitize(shown.text, { multiline: true }));
    sealedParsed.set(shown.source, rich);
  }
  return {
    kind: "message",
    key: `m${m.id}`,
    ts: m.ts,
    from: sanitize(m.from),
    rich,
    own,
    mention: !own && !shown.rejected && mention(shown.text),
    pending: false,
  };
}

/** A sealed message given directly by its sender, shown until the hub's copy takes its place. */
export function directCopyLine(d: {
  mid: string;
  from: string;
  text: string;
  receivedAt: number;
}): MessageLine {
  let rich = sealedParsed.get(d);
  if (!rich) {
    rich = parseRichText(sanitize(`${d.text}  (direct)`, { multiline: true }));
    sealedParsed.set(d, rich);
  }
  return {
    kind: "message",
    key: `d${d.mid}`,
    ts: d.receivedAt,
    from: sanitize(d.from),
    rich,
    own: false,
    mention: false,
    pending: true,
  };
}

export function pendingLine(e: OutboxEntry, me: string): MessageLine {
  return {
    kind: "message",
    key: `p${e.cid}`,
    ts: e.createdAt,
    from: sanitize(me),
    rich: richOf(e),
    own: true,
    mention: false,
    pending: true,
    ...(e.file && { file: { id: e.file.id, label: fileLabel(e.file) } }),
  };
}

export function noticeLine(n: Notice): NoticeLine {
  return { kind: "notice", key: `n${n.id}`, ts: n.ts, level: n.level, text: sanitize(n.text) };
}

/** Merges two lists already in time order; on equal times messages come first (a notice reacts to them). */
export function mergeByTime(messages: readonly PaneLine[], notices: readonly PaneLine[]): PaneLine[] {
  const out: PaneLine[] = [];
  let i = 0;
  let j = 0;
  while (i < messages.length || j < notices.length) {
    const a = messages[i];
    const b = notices[j];
    if (b === undefined || (a !== undefined && a.ts <= b.ts)) {
      if (a !== undefined) out.push(a);
      i += 1;
    } else {
      out.push(b);
      j += 1;
    }
  }
  return out;
}

/**
 * The link targets of the lines, in the numbering the pane shows (1-based: `/open 1` is the first). A
 * message's file counts after its links, as `parley-file:ID`.
 */
export function linksOf(lines: readonly PaneLine[]): string[] {
  const links: string[] = [];
  for (const line of lines) {
    if (line.kind !== "message") continue;
    links.push(...line.rich.links);
    if (line.file) links.push(`${FILE_LINK}${line.file.id}`);
  }
  return links;
}

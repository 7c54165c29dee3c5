/**
 * How many terminal rows a pane line takes at a given width, so the pane can show exactly the newest
 * lines that fit (and scroll by rows' worth of lines). Uses the same wrapping as Ink's <Text> (wrap-ansi,
 * hard, untrimmed) on the same visible text, so the count matches what Ink draws.
 */
import wrapAnsi from "wrap-ansi";
import type { PaneLine } from "./lines.js";

export const NOTICE_MARK = { system: "-!-", info: "---", error: "!!!" } as const;
export const DELETED_TEXT = "(message deleted)";
export const EDITED_TEXT = "(edited)";
/** Before a reply's quote of its original. */
export const QUOTE_MARK = "┌";

/** The sender as a line shows it: `<alice>`, or `-alice-` for a notice (as IRC clients show them). */
export function senderMark(line: { from: string; notice?: boolean | undefined }): string {
  return line.notice ? `-${line.from}-` : `<${line.from}>`;
}

/** How a selected message shows its number. */
export function selectionMark(n: number): string {
  return `▶${n}`;
}

/** The visible text of a line's content column (everything after the time). */
export function contentText(line: PaneLine, firstLinkNumber: number): string {
  if (line.kind === "notice") return `${NOTICE_MARK[line.level]} ${line.text}`;
  let body = "";
  line.rich.segments.forEach((seg, i) => {
    body += seg.text;
    const last = seg.link !== undefined && line.rich.segments[i + 1]?.link !== seg.link;
    if (last && seg.link !== undefined) body += `[${firstLinkNumber + seg.link}]`;
  });
  if (line.file) {
    body += `${body === "" ? "" : " "}${line.file.label}[${firstLinkNumber + line.rich.links.length}]`;
  }
  if (line.deleted) body = DELETED_TEXT;
  const head = line.number !== undefined ? `${selectionMark(line.number)} ` : "";
  const quote = line.quote !== undefined ? `${QUOTE_MARK} ${line.quote}\n` : "";
  const reactions = line.reactions !== undefined ? `\n${line.reactions}` : "";
  return `${quote}${head}${senderMark(line)} ${body}${line.edited ? ` ${EDITED_TEXT}` : ""}${line.pending ? " …" : ""}${reactions}`;
}

export function rowsOf(text: string, width: number): number {
  if (width < 1) return 1;
  return wrapAnsi(text, width, { trim: false, hard: true }).split("\n").length;
}

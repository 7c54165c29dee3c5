/**
 * The formatting subset of DESIGN.md: `**bold**`, `*italic*` / `_italic_`, `` `code` ``, `~~strike~~`,
 * plus links found by linkify-it. Turns a (sanitized) message body into styled segments; it never
 * produces escape sequences itself, so the renderer alone decides how a style looks.
 *
 * Rules, chosen to leave ordinary text alone:
 * - a delimiter opens only before a non-space and closes only after one, and the span is not empty,
 *   so `2 * 3 * 4` stays as typed;
 * - `_` does not open or close inside a word, so `snake_case_name` stays as typed;
 * - nothing is formatted inside a code span;
 * - delimiters inside a link do not count, so `https://x.org/a_b_c` stays one link;
 * - an unmatched delimiter is plain text.
 */
import { findLinks, type LinkMatch } from "./links.js";

export interface Style {
  bold?: boolean;
  italic?: boolean;
  code?: boolean;
  strike?: boolean;
}

export interface Segment {
  text: string;
  style: Style;
  /** Index into `RichText.links` when this segment is (part of) a link. */
  link?: number;
}

export interface RichText {
  segments: Segment[];
  /** Targets of the links in the order they appear. */
  links: string[];
}

type Delimiter = "`" | "**" | "~~" | "*" | "_";
const STYLE_OF: Record<Exclude<Delimiter, "`">, keyof Style> = {
  "**": "bold",
  "~~": "strike",
  "*": "italic",
  _: "italic",
};

interface Source {
  text: string;
  /** true at positions inside a link, where delimiters are ordinary characters. */
  inLink: boolean[];
}

interface Piece {
  start: number;
  end: number;
  style: Style;
}

/** Parses a message body (already sanitized) into styled segments with numbered links. */
export function parseRichText(text: string): RichText {
  const matches = findLinks(text);
  const inLink = new Array<boolean>(text.length).fill(false);
  for (const m of matches) inLink.fill(true, m.index, m.lastIndex);
  const pieces: Piece[] = [];
  parseInline({ text, inLink }, 0, text.length, {}, pieces);
  return { segments: splitByLinks(text, pieces, matches), links: matches.map((m) => m.url) };
}

function parseInline(src: Source, from: number, to: number, style: Style, out: Piece[]): void {
  let runStart = from;
  let i = from;
  while (i < to) {
    const d = src.inLink[i] ? undefined : delimiterAt(src.text, i, to);
    if (d !== undefined && canOpen(src.text, i, d, to)) {
      const close = findClose(src, i + d.length, to, d);
      if (close !== -1) {
        if (i > runStart) out.push({ start: runStart, end: i, style });
        if (d === "`") out.push({ start: i + 1, end: close, style: { ...style, code: true } });
        else parseInline(src, i + d.length, close, { ...style, [STYLE_OF[d]]: true }, out);
        i = close + d.length;
        runStart = i;
        continue;
      }
    }
    i += d === "**" || d === "~~" ? 2 : 1;
  }
  if (to > runStart) out.push({ start: runStart, end: to, style });
}

function delimiterAt(text: string, i: number, to: number): Delimiter | undefined {
  const c = text[i];
  if (c === "`" || c === "_") return c;
  if (c === "*") return i + 1 < to && text[i + 1] === "*" ? "**" : "*";
  if (c === "~" && i + 1 < to && text[i + 1] === "~") return "~~";
  return undefined;
}

const isSpace = (c: string | undefined): boolean => c === undefined || /\s/u.test(c);
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}]/u.test(c);

function canOpen(text: string, i: number, d: Delimiter, to: number): boolean {
  if (d === "`") return true;
  const after = i + d.length < to ? text[i + d.length] : undefined;
  if (isSpace(after)) return false;
  if (d === "_" && isWordChar(text[i - 1])) return false;
  return true;
}

function canClose(text: string, j: number, d: Delimiter, to: number): boolean {
  if (d === "`") return true;
  if (isSpace(text[j - 1])) return false;
  if (d === "_" && j + 1 < to && isWordChar(text[j + 1])) return false;
  return true;
}

/** Index of the delimiter that closes `d` opened just before `from`, or -1. */
function findClose(src: Source, from: number, to: number, d: Delimiter): number {
  const { text } = src;
  if (d === "`") {
    const j = text.indexOf("`", from);
    return j !== -1 && j < to && j > from ? j : -1;
  }
  let j = from;
  while (j < to) {
    if (src.inLink[j]) {
      j += 1;
      continue;
    }
    const here = delimiterAt(text, j, to);
    if (here === "`") {
      // A code span inside the span: its contents cannot close us.
      const end = text.indexOf("`", j + 1);
      if (end !== -1 && end < to) {
        j = end + 1;
        continue;
      }
    }
    if (here === d && j > from && canClose(text, j, d, to)) {
      // In a longer run (`***` closing `**bold *italic***`) the outer span takes the last two markers,
      // so the inner span can close on the first.
      let end = j + d.length;
      if (d.length === 2) while (end < to && text[end] === text[j] && !src.inLink[end]) end += 1;
      return end - d.length;
    }
    j += here === "**" || here === "~~" ? 2 : 1;
  }
  return -1;
}

function splitByLinks(text: string, pieces: Piece[], links: LinkMatch[]): Segment[] {
  const segments: Segment[] = [];
  for (const p of pieces) {
    let pos = p.start;
    links.forEach((m, index) => {
      const a = Math.max(m.index, p.start);
      const b = Math.min(m.lastIndex, p.end);
      if (a >= b) return;
      if (a > pos) segments.push({ text: text.slice(pos, a), style: p.style });
      segments.push({ text: text.slice(a, b), style: p.style, link: index });
      pos = b;
    });
    if (p.end > pos) segments.push({ text: text.slice(pos, p.end), style: p.style });
  }
  return segments;
}

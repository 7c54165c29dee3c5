/**
 * The `search` query syntax, parsed without I/O: words (all must match), `word*` for a prefix,
 * `"a phrase"`, `from:alice`, `in:#room` (or `in:room`). Anything else is a word.
 */
import type { SearchTerm } from "../store/store.js";

export interface ParsedQuery {
  terms: SearchTerm[];
  from?: string;
  room?: string;
}

/** More terms than this are ignored: each one is a doclist to intersect. */
export const MAX_TERMS = 16;

// A term must hold a letter or digit to mean anything to a full-text index.
const MEANINGFUL = /[\p{L}\p{N}]/u;

export function parseSearchQuery(query: string): ParsedQuery {
  const parsed: ParsedQuery = { terms: [] };
  // A quote left open runs to the end of the query.
  const tokens = query.matchAll(/"([^"]*)"?|(\S+)/g);
  for (const [, phrase, word] of tokens) {
    if (phrase !== undefined) {
      const text = phrase.trim().replace(/\s+/g, " ");
      if (MEANINGFUL.test(text)) parsed.terms.push({ kind: "phrase", text });
      continue;
    }
    const w = word!;
    const from = /^from:@?(.+)$/i.exec(w);
    if (from) {
      parsed.from = from[1]!;
      continue;
    }
    const room = /^in:#?(.+)$/i.exec(w);
    if (room) {
      parsed.room = room[1]!;
      continue;
    }
    if (w.endsWith("*")) {
      const text = w.replace(/\*+$/, "");
      if (MEANINGFUL.test(text)) parsed.terms.push({ kind: "prefix", text });
    } else if (MEANINGFUL.test(w)) {
      parsed.terms.push({ kind: "word", text: w });
    }
  }
  parsed.terms = parsed.terms.slice(0, MAX_TERMS);
  return parsed;
}

/** An FTS snippet with its matches between U+0001 and U+0002 → the plain text and the matches' ranges. */
export function splitSnippet(marked: string): { snippet: string; highlights: Array<[number, number]> } {
  let snippet = "";
  const highlights: Array<[number, number]> = [];
  let start = -1;
  for (const ch of marked) {
    if (ch === "\u0001") start = snippet.length;
    else if (ch === "\u0002") {
      if (start >= 0 && snippet.length > start) highlights.push([start, snippet.length]);
      start = -1;
    } else snippet += ch;
  }
  return { snippet, highlights };
}

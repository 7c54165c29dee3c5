/**
 * The input line's editing rules as a pure function (value + cursor in, value + cursor out), apart from
 * the UI so they are tested without a terminal. Written here rather than taken from ink-text-input
 * because the app's own keys (Alt+number, Ctrl+N/P, PgUp/PgDn, Up/Down history) must not reach the
 * text, and that component inserts them.
 */
import type { Key } from "ink";
import { sanitize } from "../render/sanitize.js";

export interface EditorState {
  value: string;
  /** 0 … value.length, in UTF-16 units, always on a code point boundary. */
  cursor: number;
}

export const EMPTY: EditorState = { value: "", cursor: 0 };

/** The key changed the text or cursor: the new state. `null`: not an editing key (leave it to the app). */
export function edit(state: EditorState, input: string, key: Key): EditorState | null {
  const { value, cursor } = state;
  if (key.leftArrow) return { value, cursor: prevBoundary(value, cursor) };
  if (key.rightArrow) return { value, cursor: nextBoundary(value, cursor) };
  if (key.home || (key.ctrl && input === "a")) return { value, cursor: 0 };
  if (key.end || (key.ctrl && input === "e")) return { value, cursor: value.length };
  if (key.backspace || key.delete) {
    // Terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`: both erase backwards.
    if (cursor === 0) return state;
    const at = prevBoundary(value, cursor);
    return { value: value.slice(0, at) + value.slice(cursor), cursor: at };
  }
  if (key.ctrl && input === "u") return { value: value.slice(cursor), cursor: 0 };
  if (key.ctrl && input === "k") return { value: value.slice(0, cursor), cursor };
  if (key.ctrl && input === "w") {
    const before = value.slice(0, cursor).replace(/\S+\s*$/u, "");
    return { value: before + value.slice(cursor), cursor: before.length };
  }
  if (key.ctrl || key.meta || key.return || key.tab || key.escape) return null;
  if (key.upArrow || key.downArrow || key.pageUp || key.pageDown) return null;
  // Typed or pasted text: a paste may carry line breaks and other controls; the line holds one line.
  const text = sanitize(input);
  if (text === "") return null;
  return { value: value.slice(0, cursor) + text + value.slice(cursor), cursor: cursor + text.length };
}

function prevBoundary(value: string, cursor: number): number {
  if (cursor <= 0) return 0;
  const code = value.charCodeAt(cursor - 1);
  return code >= 0xdc00 && code <= 0xdfff && cursor >= 2 ? cursor - 2 : cursor - 1;
}

function nextBoundary(value: string, cursor: number): number {
  if (cursor >= value.length) return value.length;
  const code = value.charCodeAt(cursor);
  return code >= 0xd800 && code <= 0xdbff && cursor + 2 <= value.length ? cursor + 2 : cursor + 1;
}

/** Input history for Up/Down, newest last; `index === entries.length` means "the line being typed". */
export interface History {
  entries: readonly string[];
  index: number;
  draft: string;
}

export const NO_HISTORY: History = { entries: [], index: 0, draft: "" };
const HISTORY_MAX = 200;

export function remember(h: History, line: string): History {
  const entries =
    line.trim() === "" || h.entries.at(-1) === line ? h.entries : [...h.entries, line].slice(-HISTORY_MAX);
  return { entries, index: entries.length, draft: "" };
}

/** Moves through history; returns the new history and the text to show. */
export function recall(h: History, current: string, delta: -1 | 1): { history: History; value: string } {
  const index = Math.min(h.entries.length, Math.max(0, h.index + delta));
  const draft = h.index === h.entries.length ? current : h.draft;
  const value = index === h.entries.length ? draft : (h.entries[index] ?? "");
  return { history: { ...h, index, draft }, value };
}

/**
 * Ink hands over a chunk of input at once when it arrives together (a paste, or keys sent faster than
 * a frame): "alice\r" is one event. Splits such a chunk into typed text and Enter (and Tab) presses, in
 * order, so that each line is submitted, and each Tab completes, as if typed one key at a time.
 */
export function splitLines(input: string, key: Key, handle: (input: string, key: Key) => void): void {
  if (key.return || key.tab || input.length <= 1 || !/[\r\n\t]/.test(input)) {
    handle(input, key);
    return;
  }
  for (const part of input.split(/(\r\n|\r|\n|\t)/)) {
    if (part === "") continue;
    if (part === "\t") handle("\t", { ...key, tab: true, return: false });
    else if (/^[\r\n]+$/.test(part)) handle("\r", { ...key, return: true, tab: false });
    else handle(part, { ...key, return: false, tab: false });
  }
}

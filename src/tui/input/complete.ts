/**
 * Tab completion on the input line, as a pure function: the word before the cursor is completed from
 * candidates (command names, room names with #, usernames with or without @). One match completes the
 * word (a nick at the start of the line gets ": ", like irssi); several extend it to what they share.
 */
import type { EditorState } from "./line-editor.js";

export function complete(state: EditorState, candidates: readonly string[]): EditorState | null {
  const before = state.value.slice(0, state.cursor);
  const start = before.search(/\S+$/);
  if (start === -1) return null;
  const word = before.slice(start);
  const sigil =
    /^[@#]/.test(word) && !candidates.some((c) => c.startsWith(word[0] ?? "")) ? (word[0] ?? "") : "";
  const stem = word.slice(sigil.length).toLowerCase();
  const matches = [...new Set(candidates)].filter((c) => c.toLowerCase().startsWith(stem) && c.length > 0);
  if (matches.length === 0) return null;
  let replacement: string;
  if (matches.length === 1) {
    const only = matches[0] as string;
    const atLineStart = start === 0 && !only.startsWith("/") && !only.startsWith("#") && sigil === "";
    replacement = `${sigil}${only}${atLineStart ? ": " : " "}`;
  } else {
    const shared = commonPrefix(matches.map((m) => m.toLowerCase()));
    if (shared.length <= stem.length) return null;
    replacement = `${sigil}${(matches[0] as string).slice(0, shared.length)}`;
  }
  const value = state.value.slice(0, start) + replacement + state.value.slice(state.cursor);
  return { value, cursor: start + replacement.length };
}

function commonPrefix(words: readonly string[]): string {
  let prefix = words[0] ?? "";
  for (const w of words) while (!w.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

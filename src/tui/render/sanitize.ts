/**
 * Terminal-injection defence: everything that came from the network goes through `sanitize`
 * before it reaches the screen. A chat message that carries an escape sequence could otherwise
 * move the cursor, rewrite what the user sees, set the window title, plant a hyperlink that lies
 * about its target, or (on some terminals) make the terminal answer with keystrokes.
 *
 * A small state machine rather than a regular expression, so that unterminated sequences
 * (an OSC with no terminator, a CSI cut off at the end) are dropped up to the end of the text
 * instead of leaking their tail onto the screen.
 */

const ESC = 0x1b;
const BEL = 0x07;
const C1_CSI = 0x9b;
const C1_ST = 0x9c;
/** C1 controls that open a string terminated by ST (or BEL): DCS, SOS, OSC, PM, APC. */
const C1_STRING_OPENERS = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
/** The byte after ESC that opens a string of the same kind: P (DCS), X (SOS), ] (OSC), ^ (PM), _ (APC). */
const ESC_STRING_OPENERS = new Set(["P", "X", "]", "^", "_"]);

const TAB_WIDTH = 4;

/**
 * Characters that reorder or hide text without being controls in the C0/C1 sense:
 * bidirectional embeddings, overrides and isolates (the "Trojan Source" trick), the Arabic letter
 * mark, and the line/paragraph separators that some terminals treat as line breaks.
 */
function isInvisibleFormatting(code: number): boolean {
  return (
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0xfeff
  );
}

export interface SanitizeOptions {
  /** Keep line breaks (message bodies) or turn them into spaces (names, topics, one-line notices). */
  multiline?: boolean;
}

/** Returns `text` with every control character and escape sequence removed; tabs become spaces. */
export function sanitize(text: string, options: SanitizeOptions = {}): string {
  const multiline = options.multiline ?? false;
  let out = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (code === ESC) {
      i = skipEscape(text, i + 1);
      continue;
    }
    if (code === C1_CSI) {
      i = skipCsiBody(text, i + 1);
      continue;
    }
    if (C1_STRING_OPENERS.has(code)) {
      i = skipString(text, i + 1);
      continue;
    }
    if (code === 0x0a) {
      out += multiline ? "\n" : " ";
    } else if (code === 0x09) {
      out += " ".repeat(TAB_WIDTH);
    } else if (code === 0x0d) {
      // A CR of a CRLF pair disappears; a lone CR (which would return the cursor and let the
      // rest of the line overprint the start) becomes a line break.
      if (text.charCodeAt(i + 1) !== 0x0a) out += multiline ? "\n" : " ";
    } else if (
      code < 0x20 ||
      code === 0x7f ||
      (code >= 0x80 && code <= 0x9f) ||
      isInvisibleFormatting(code)
    ) {
      // dropped
    } else {
      out += text[i];
    }
    i += 1;
  }
  return out;
}

/** `i` points just after an ESC; returns the index after the whole sequence. */
function skipEscape(text: string, i: number): number {
  const next = text[i];
  if (next === undefined) return i;
  if (next === "[") return skipCsiBody(text, i + 1);
  if (ESC_STRING_OPENERS.has(next)) return skipString(text, i + 1);
  // nF sequences: intermediates 0x20–0x2f, then one final byte. Otherwise a two-byte sequence.
  let j = i;
  while (j < text.length && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j += 1;
  return j < text.length ? j + 1 : j;
}

/** CSI: parameter bytes 0x30–0x3f, intermediate bytes 0x20–0x2f, one final byte 0x40–0x7e. */
function skipCsiBody(text: string, i: number): number {
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c >= 0x40 && c <= 0x7e) return j + 1;
    if (c < 0x20 || c > 0x3f) return j; // malformed: drop what we have, keep the offending char for the main loop
    j += 1;
  }
  return j;
}

/** OSC/DCS/SOS/PM/APC bodies run to BEL, ESC \ or C1 ST; an unterminated one runs to the end. */
function skipString(text: string, i: number): number {
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === BEL || c === C1_ST) return j + 1;
    // ESC \ is the terminator; any other ESC aborts the string and starts a sequence of its own.
    if (c === ESC) return text[j + 1] === "\\" ? j + 2 : j;
    j += 1;
  }
  return j;
}

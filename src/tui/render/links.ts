/** OSC 8 terminal hyperlinks (link detection itself is shared: src/ui/links.ts). */
export { findLinks, isOpenable, type LinkMatch } from "../../ui/links.js";

/**
 * Wraps `text` in an OSC 8 hyperlink to `url` (terminals without support show just the text).
 * `url` comes from sanitized text, so it holds no control characters that could end the sequence early.
 */
export function hyperlink(url: string, text: string): string {
  return `\u001b]8;;${url}\u0007${text}\u001b]8;;\u0007`;
}

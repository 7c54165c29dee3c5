/** Link detection (linkify-it, the detector markdown-it uses) and which links a client may open. */
import LinkifyIt from "linkify-it";

export interface LinkMatch {
  index: number;
  lastIndex: number;
  url: string;
}

const linkify = new LinkifyIt(undefined, { fuzzyEmail: false });

/**
 * Links in `text`, in order. Bare domains (`example.org`, `www.example.org`) count; `https://` is then
 * assumed (linkify-it would assume http, which sends the first request in the clear).
 */
export function findLinks(text: string): LinkMatch[] {
  const matches = linkify.match(text) ?? [];
  return matches.map((m) => {
    const url = m.schema === "" ? m.url.replace(/^http:\/\//, "https://") : m.url;
    // Formatting markers right after a link (`**https://x.org**`) close the formatting, not the link.
    const trailing = /[*_~`]+$/.exec(m.raw)?.[0].length ?? 0;
    if (trailing === 0 || trailing >= m.raw.length) return { index: m.index, lastIndex: m.lastIndex, url };
    return {
      index: m.index,
      lastIndex: m.lastIndex - trailing,
      url: url.slice(0, url.length - trailing),
    };
  });
}

/** Only these schemes may be handed to a browser (`/open`, a click), whatever a message says. */
const OPENABLE = /^(https?|mailto):/i;

export function isOpenable(url: string): boolean {
  return OPENABLE.test(url);
}

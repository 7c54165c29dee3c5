/**
 * A message body in the Markdown subset both clients share (src/ui/markdown.ts). Every piece of user
 * text becomes a text node; links get an href only for http(s) and mailto, and open in a new tab
 * without handing over this page.
 */
import { parseRichText, type RichText as Rich } from "../../ui/markdown.js";
import { isOpenable } from "../../ui/links.js";
import type { JSX } from "preact";

const cache = new Map<string, Rich>();

function parsed(body: string): Rich {
  let rich = cache.get(body);
  if (!rich) {
    rich = parseRichText(body);
    if (cache.size > 5000) cache.clear();
    cache.set(body, rich);
  }
  return rich;
}

export function RichText({ body }: { body: string }): JSX.Element {
  const rich = parsed(body);
  return (
    <>
      {rich.segments.map((seg, i) => {
        let node: JSX.Element | string = seg.text;
        if (seg.style.code) node = <code>{node}</code>;
        if (seg.style.bold) node = <strong>{node}</strong>;
        if (seg.style.italic) node = <em>{node}</em>;
        if (seg.style.strike) node = <s>{node}</s>;
        const url = seg.link !== undefined ? rich.links[seg.link] : undefined;
        if (url !== undefined && isOpenable(url)) {
          node = (
            <a href={url} target="_blank" rel="noopener noreferrer">
              {node}
            </a>
          );
        }
        return <span key={i}>{node}</span>;
      })}
    </>
  );
}

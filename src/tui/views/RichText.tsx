/** A message body: sanitized, parsed into formatting segments, links numbered and wrapped in OSC 8. */
import React from "react";
import { Text } from "ink";
import { hyperlink } from "../render/links.js";
import type { RichText as Rich } from "../../ui/markdown.js";
import type { Theme } from "../render/theme.js";

export interface RichTextProps {
  rich: Rich;
  theme: Theme;
  /** Number shown for this body's first link; links count up from it across the pane. */
  firstLinkNumber: number;
}

export function RichText({ rich, theme, firstLinkNumber }: RichTextProps): React.JSX.Element {
  const { segments } = rich;
  return (
    <>
      {segments.map((seg, i) => {
        const style = theme.format(seg.style);
        if (seg.link === undefined) {
          return (
            <Text key={i} {...style}>
              {seg.text}
            </Text>
          );
        }
        const url = rich.links[seg.link] ?? "";
        // A link split by formatting shows its number once, after its last piece.
        const last = segments[i + 1]?.link !== seg.link;
        return (
          <React.Fragment key={i}>
            <Text {...style} {...theme.link}>
              {theme.hyperlinks ? hyperlink(url, seg.text) : seg.text}
            </Text>
            {last ? <Text {...theme.linkNumber}>{`[${firstLinkNumber + seg.link}]`}</Text> : null}
          </React.Fragment>
        );
      })}
    </>
  );
}

/**
 * The message pane: the newest lines that fit, bottom-aligned, scrolled back by `scroll` lines. Line
 * heights are measured (model/layout.ts) so the newest line is always the one at the bottom; a line
 * too tall for what is left at the top is left out rather than cut.
 */
import React from "react";
import { Box, Text } from "ink";
import type { PaneLine } from "../model/lines.js";
import { contentText, rowsOf } from "../model/layout.js";
import type { Theme } from "../render/theme.js";
import { Line, timeWidth } from "./Line.js";

export interface MessagePaneProps {
  lines: readonly PaneLine[];
  theme: Theme;
  width: number;
  height: number;
  /** Lines scrolled up from the bottom. */
  scroll: number;
  now?: number;
}

/** Link numbers of each line: they count up over the whole view, oldest first. */
function firstLinkNumbers(lines: readonly PaneLine[]): number[] {
  const firsts: number[] = [];
  let n = 1;
  for (const l of lines) {
    firsts.push(n);
    if (l.kind === "message") n += l.rich.links.length + (l.file ? 1 : 0);
  }
  return firsts;
}

export function MessagePane({
  lines,
  theme,
  width,
  height,
  scroll,
  now,
}: MessagePaneProps): React.JSX.Element {
  const end = Math.max(0, lines.length - scroll);
  const rows = scroll > 0 ? height - 1 : height;
  const firsts = firstLinkNumbers(lines);
  let used = 0;
  let start = end;
  while (start > 0) {
    const line = lines[start - 1] as PaneLine;
    const h = rowsOf(contentText(line, firsts[start - 1] ?? 1), width - timeWidth(line, now));
    if (used + h > rows) break;
    used += h;
    start -= 1;
  }
  // Always show the newest line, even if it alone is taller than the pane (the box clips its end).
  if (start === end && end > 0) start = end - 1;
  const shown = lines
    .slice(start, end)
    .map((line, i) => (
      <Line
        key={line.key}
        line={line}
        theme={theme}
        firstLinkNumber={firsts[start + i] ?? 1}
        {...(now !== undefined ? { now } : {})}
      />
    ));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box flexDirection="column" justifyContent="flex-end" height={rows} overflow="hidden">
        {shown}
      </Box>
      {scroll > 0 ? (
        <Text {...theme.system}>{`-- ${scroll} more line${scroll === 1 ? "" : "s"} below: PgDn --`}</Text>
      ) : null}
    </Box>
  );
}

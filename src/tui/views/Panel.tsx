/**
 * A listing (/users, /rooms, /help …) typed in a room or DM, shown over the bottom of that conversation
 * instead of inside it: a title row, then the listing's first lines, each cut to the width. Esc, the
 * next input line or a view switch closes it; the whole listing is also in the status view.
 */
import React from "react";
import { Box, Text } from "ink";
import type { Panel as PanelState } from "../controller/controller.js";
import { sanitize } from "../render/sanitize.js";
import type { Theme } from "../render/theme.js";

/** Rows a panel with `lines` takes in a pane `height` rows high: as many as it needs, up to most of it. */
export function panelRows(lines: number, height: number): number {
  return Math.min(lines + 1, Math.max(3, Math.floor(height * 0.7)));
}

export interface PanelProps {
  panel: PanelState;
  theme: Theme;
  width: number;
  height: number;
}

export function Panel({ panel, theme, width, height }: PanelProps): React.JSX.Element {
  const room = height - 1;
  const cut = panel.lines.length > room;
  // Search results keep the one pointed at in sight.
  const from = panel.search
    ? Math.max(0, Math.min(panel.search.index - (room - 2), panel.lines.length - room + 1))
    : 0;
  const shown = cut ? panel.lines.slice(from, from + room - 1) : panel.lines;
  const pointed = panel.search ? panel.lines[panel.search.index]?.id : undefined;
  const title = `── ${sanitize(panel.title)} — Esc closes `;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate" {...theme.heading}>
        {title.padEnd(width, "─")}
      </Text>
      {shown.map((line) => (
        <Text
          key={line.id}
          wrap="truncate"
          {...(line.level === "error" ? theme.error : line.id === pointed ? theme.mention : {})}
        >
          {line.id === pointed ? `▶ ${sanitize(line.text)}` : sanitize(line.text)}
        </Text>
      ))}
      {cut ? (
        <Text wrap="truncate" {...theme.system}>
          {`… ${panel.lines.length - shown.length} more lines: all of it is in the status view (Alt+1)`}
        </Text>
      ) : null}
    </Box>
  );
}

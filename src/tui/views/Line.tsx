/**
 * One line of the message pane: the time in its own column, then a message (coloured name, formatted
 * body) or a notice. Wrapped rows hang under the content, not under the time, as in irssi or weechat.
 */
import React from "react";
import { Box, Text } from "ink";
import type { PaneLine } from "../model/lines.js";
import {
  DELETED_TEXT,
  EDITED_TEXT,
  NOTICE_MARK,
  QUOTE_MARK,
  selectionMark,
  senderMark,
} from "../model/layout.js";
import { formatTime } from "../render/time.js";
import type { Theme } from "../render/theme.js";
import { RichText } from "./RichText.js";

export interface LineProps {
  line: PaneLine;
  theme: Theme;
  firstLinkNumber: number;
  now?: number;
}

/** Width of the time column for a line: its time and one space. */
export function timeWidth(line: PaneLine, now?: number): number {
  return formatTime(line.ts, now).length + 1;
}

export function Line({ line, theme, firstLinkNumber, now }: LineProps): React.JSX.Element {
  const time = formatTime(line.ts, now);
  return (
    <Box flexDirection="row">
      <Box width={time.length + 1} flexShrink={0}>
        <Text {...theme.timestamp}>{time}</Text>
      </Box>
      <Box flexGrow={1} flexShrink={1}>
        <Content line={line} theme={theme} firstLinkNumber={firstLinkNumber} />
      </Box>
    </Box>
  );
}

function Content({ line, theme, firstLinkNumber }: LineProps): React.JSX.Element {
  if (line.kind === "notice") {
    const style = line.level === "error" ? theme.error : theme.system;
    return (
      <Text wrap="wrap" {...style}>
        {NOTICE_MARK[line.level]} {line.text}
      </Text>
    );
  }
  // A notice is dim: informational, from bots and automated senders.
  const body = line.pending || line.notice ? theme.muted : line.own ? theme.ownBody : {};
  return (
    <Text wrap="wrap">
      {line.quote !== undefined ? <Text {...theme.muted}>{`${QUOTE_MARK} ${line.quote}\n`}</Text> : null}
      {line.number !== undefined ? <Text {...theme.mention}>{`${selectionMark(line.number)} `}</Text> : null}
      <Text {...(line.mention ? theme.mention : theme.user(line.from, line.own))}>{senderMark(line)}</Text>
      {line.deleted ? <Text {...theme.muted}>{` ${DELETED_TEXT}`}</Text> : null}
      <Text {...body}>
        {line.deleted ? null : " "}
        {line.deleted ? null : <RichText rich={line.rich} theme={theme} firstLinkNumber={firstLinkNumber} />}
        {line.edited ? <Text {...theme.muted}>{` ${EDITED_TEXT}`}</Text> : null}
        {line.file ? (
          <Text>
            {line.rich.segments.some((seg) => seg.text !== "") ? " " : ""}
            <Text {...theme.link}>{line.file.label}</Text>
            <Text {...theme.linkNumber}>{`[${firstLinkNumber + line.rich.links.length}]`}</Text>
          </Text>
        ) : null}
        {line.pending ? <Text {...theme.muted}> …</Text> : null}
        {line.tick ? <Text {...theme.muted}> ✓</Text> : null}
      </Text>
      {line.reactions !== undefined ? <Text {...theme.system}>{`\n${line.reactions}`}</Text> : null}
    </Text>
  );
}

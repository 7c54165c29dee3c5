/**
 * The left column: numbered views (status, rooms, DMs) with unread counts, muted ones dimmed; then who
 * is online among the people you share a room or a DM with.
 */
import React from "react";
import { Box, Text } from "ink";
import { parseKey, type ClientState } from "../../client/index.js";
import { sanitize } from "../render/sanitize.js";
import type { Theme } from "../render/theme.js";
import { viewTitle, type ViewKey } from "../../ui/view-keys.js";

export const ONLINE_HEADING = "Online here";

export interface SidebarProps {
  client: ClientState;
  views: readonly ViewKey[];
  current: ViewKey;
  theme: Theme;
  width: number;
  height: number;
}

export function Sidebar({ client, views, current, theme, width, height }: SidebarProps): React.JSX.Element {
  const rows: React.JSX.Element[] = [];
  let section = "";
  views.forEach((view, i) => {
    const parsed = parseKey(view);
    const kind = parsed?.kind ?? "status";
    if (kind !== section && kind !== "status") {
      section = kind;
      rows.push(
        <Text key={`h-${kind}`} {...theme.heading}>
          {kind === "room" ? "Rooms" : "Direct"}
        </Text>,
      );
    }
    const conv = parsed
      ? parsed.kind === "room"
        ? client.rooms[parsed.name]
        : client.dms[parsed.name]
      : undefined;
    const unread = conv?.unread ?? 0;
    const muted = conv?.muted ?? false;
    const number = i < 9 ? `${i + 1}` : " ";
    const title = sanitize(viewTitle(view));
    const count = unread > 0 ? ` ${unread}` : "";
    const nameWidth = Math.max(1, width - number.length - 1 - count.length);
    const name = title.length > nameWidth ? `${title.slice(0, nameWidth - 1)}…` : title.padEnd(nameWidth);
    const style = view === current ? theme.selected : muted ? theme.muted : {};
    rows.push(
      <Text key={view} wrap="truncate" {...style}>
        <Text {...theme.timestamp}>{number}</Text> {name}
        {count ? <Text {...(muted ? theme.muted : theme.unread)}>{count}</Text> : null}
      </Text>,
    );
  });
  const online = client.online;
  // Only the people the hub keeps us posted about (rooms and DMs we share); /users lists everyone.
  rows.push(<Text key="h-online" {...theme.heading}>{`${ONLINE_HEADING} (${online.length})`}</Text>);
  const room = Math.max(0, height - rows.length);
  for (const name of online.slice(0, room)) {
    const me = client.me?.username === name;
    rows.push(
      <Text key={`u-${name}`} wrap="truncate" {...theme.user(name, me)}>
        {"  "}
        {sanitize(name)}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {rows.slice(0, height)}
    </Box>
  );
}

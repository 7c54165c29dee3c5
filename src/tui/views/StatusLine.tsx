/** The status line: connection state, current view (and your role there), your name. */
import React from "react";
import { Text } from "ink";
import type { ConnectionStatus, ClientState } from "../../client/index.js";
import { parseKey } from "../../client/index.js";
import { sanitize } from "../render/sanitize.js";
import type { Theme } from "../render/theme.js";
import { viewTitle, type ViewKey } from "../../ui/view-keys.js";
import { connectionText } from "../../ui/status-text.js";

export { connectionText };

export interface StatusLineProps {
  status: ConnectionStatus;
  client: ClientState;
  view: ViewKey;
  theme: Theme;
  width: number;
  /** How the current view's direct chat travels ("p2p direct", "p2p relayed" …), if it has one. */
  path?: string | undefined;
  /** How the current view's user's device stands ("verified", "unverified", "KEY CHANGED"), if known. */
  trust?: string | undefined;
}

export function StatusLine({
  status,
  client,
  view,
  theme,
  width,
  path,
  trust,
}: StatusLineProps): React.JSX.Element {
  const parsed = parseKey(view);
  const role = parsed?.kind === "room" ? client.rooms[parsed.name]?.myRole : null;
  const sealed = parsed?.kind === "room" && client.rooms[parsed.name]?.info.e2e === true;
  const me = client.me;
  const who = me
    ? `${me.username}${me.displayName && me.displayName !== me.username ? ` (${me.displayName})` : ""}`
    : "not logged in";
  const parts = [
    `[${connectionText(status)}]`,
    `${viewTitle(view)}${sealed ? " [e2e]" : ""}${role ? ` (${role})` : ""}${path ? ` [${path}]` : ""}${trust ? ` [${trust}]` : ""}`,
    who,
  ];
  const text = sanitize(` ${parts.join("  ")}`);
  const color = theme.color
    ? { color: status.state === "online" ? "green" : status.state === "offline" ? "red" : "yellow" }
    : {};
  return (
    <Text wrap="truncate" {...theme.status} {...color}>
      {text.padEnd(width)}
    </Text>
  );
}

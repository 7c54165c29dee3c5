/** The main screen: header, sidebar + message pane, notice bar, status line, input line; and its keys. */
import React, { useMemo } from "react";
import { Box, Text, useInput, type Key } from "ink";
import type { ChatController, ViewState } from "../controller/controller.js";
import { viewTitle } from "../../ui/view-keys.js";
import {
  EMPTY,
  NO_HISTORY,
  edit,
  recall,
  remember,
  splitLines,
  type EditorState,
  type History,
} from "../input/line-editor.js";
import { buildPane } from "../model/pane.js";
import { complete } from "../input/complete.js";
import { COMMANDS } from "../commands/registry.js";
import { sanitize } from "../render/sanitize.js";
import type { Theme } from "../render/theme.js";
import { InputLine } from "./InputLine.js";
import { MessagePane } from "./MessagePane.js";
import { Panel, panelRows } from "./Panel.js";
import { Sidebar } from "./Sidebar.js";
import { StatusLine } from "./StatusLine.js";
import type { Size } from "./use-terminal-size.js";
import { useLatest } from "./use-latest.js";
import { pathLabel, trustLabel } from "../p2p/lines.js";

export const SIDEBAR_WIDTH = 22;

export interface ChatScreenProps {
  controller: ChatController;
  state: ViewState;
  theme: Theme;
  size: Size;
}

function header(state: ViewState): string {
  const view = state.view;
  const title = viewTitle(view);
  if (view.startsWith("room:")) {
    const room = state.client.rooms[view.slice(5)];
    const topic = room?.info.description;
    const members = room ? Object.keys(room.members).length : 0;
    return `${title} — ${members} member${members === 1 ? "" : "s"}${room?.info.locked ? ", password" : ""}${room?.info.moderated ? ", moderated" : ""}${room?.info.secret ? ", secret" : ""}${topic ? ` — ${topic}` : ""}`;
  }
  if (view.startsWith("dm:")) return `${title} — direct messages`;
  return "status — hub notices and command output; /help lists the commands";
}

/** What Tab completes from: commands, your rooms, and the people you can see. */
function completions(state: ViewState): string[] {
  const client = state.client;
  const commands = COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]).map((n) => `/${n}`);
  const rooms = Object.keys(client.rooms).map((r) => `#${r}`);
  const current = state.view.startsWith("room:") ? client.rooms[state.view.slice(5)] : undefined;
  const people = [...Object.keys(current?.members ?? {}), ...client.online, ...Object.keys(client.dms)];
  return [...commands, ...rooms, ...people];
}

export function ChatScreen({ controller, state, theme, size }: ChatScreenProps): React.JSX.Element {
  const [editorRef, setEditor] = useLatest<EditorState>(EMPTY);
  const [historyRef, setHistory] = useLatest<History>(NO_HISTORY);
  const bodyHeight = Math.max(3, size.rows - 4);
  const paneWidth = Math.max(20, size.columns - SIDEBAR_WIDTH - 1);
  const views = controller.views(state.client);
  const lines = useMemo(() => buildPane(state, state.view), [state]);
  const scroll = state.scroll[state.view] ?? 0;
  const page = Math.max(1, bodyHeight - 2);

  const onKey = (input: string, key: Key): void => {
    const editor = editorRef.current;
    const history = historyRef.current;
    if (key.ctrl && input === "c") {
      controller.requestQuit();
      return;
    }
    if (controller.getSnapshot().prompt) {
      if (key.escape) {
        controller.cancelPrompt();
        setEditor(EMPTY);
        return;
      }
      if (key.return) {
        const answer = editor.value;
        setEditor(EMPTY);
        void controller.submit(answer);
        return;
      }
      const next = edit(editor, input, key);
      if (next) setEditor(next);
      return;
    }
    if (key.escape && controller.cancelTransfer()) return;
    if (key.escape && controller.clearSelection()) return;
    if (key.escape) return controller.closePanel();
    if (key.meta && /^[1-9]$/.test(input)) return controller.selectIndex(Number(input));
    if (key.ctrl && input === "n") return controller.cycle(1);
    if (key.ctrl && input === "p") return controller.cycle(-1);
    if (key.pageUp) return controller.scrollBy(page, bodyHeight);
    if (key.pageDown) return controller.scrollBy(-page, bodyHeight);
    if (key.upArrow || key.downArrow) {
      // In an empty input (not while recalling earlier lines) the arrows select messages, or results.
      const recalling = history.index < history.entries.length;
      if (editor.value === "" && !recalling && controller.moveSelection(key.upArrow ? 1 : -1)) return;
      const r = recall(history, editor.value, key.upArrow ? -1 : 1);
      setHistory(r.history);
      setEditor({ value: r.value, cursor: r.value.length });
      return;
    }
    if (key.tab) {
      const next = complete(editor, completions(controller.getSnapshot()));
      if (next) setEditor(next);
      return;
    }
    if (key.return) {
      const line = editor.value;
      setHistory(remember(history, line));
      setEditor(EMPTY);
      void controller.submit(line);
      return;
    }
    const next = edit(editor, input, key);
    if (next) setEditor(next);
  };
  useInput((input, key) => splitLines(input, key, onKey));

  const flash = state.flash;
  const panel = state.panel;
  const rows = panel ? panelRows(panel.lines.length, bodyHeight) : 0;
  return (
    <Box flexDirection="column" width={size.columns} height={size.rows}>
      <Text wrap="truncate" {...theme.heading}>
        {sanitize(header(state))}
      </Text>
      <Box flexDirection="row" height={bodyHeight}>
        <Sidebar
          client={state.client}
          views={views}
          current={state.view}
          theme={theme}
          width={SIDEBAR_WIDTH}
          height={bodyHeight}
        />
        <Box width={1} height={bodyHeight} flexDirection="column">
          <Text {...theme.timestamp}>{"│\n".repeat(bodyHeight).trimEnd()}</Text>
        </Box>
        <Box flexDirection="column" width={paneWidth} height={bodyHeight}>
          <MessagePane
            lines={lines}
            theme={theme}
            width={paneWidth}
            height={bodyHeight - rows}
            scroll={scroll}
          />
          {panel ? <Panel panel={panel} theme={theme} width={paneWidth} height={rows} /> : null}
        </Box>
      </Box>
      <Text wrap="truncate" {...(flash?.level === "error" ? theme.error : theme.mention)}>
        {flash ? `» ${flash.text}` : " "}
      </Text>
      <StatusLine
        status={state.status}
        client={state.client}
        view={state.view}
        theme={theme}
        width={size.columns}
        path={state.view.startsWith("dm:") ? pathLabel(state.direct[state.view.slice(3)]) : undefined}
        trust={state.view.startsWith("dm:") ? trustLabel(state.direct[state.view.slice(3)]) : undefined}
      />
      <InputLine
        label={state.prompt ? `${sanitize(state.prompt.label)}:` : `[${viewTitle(state.view)}]`}
        editor={editorRef.current}
        secret={state.prompt !== null}
        width={size.columns}
        theme={theme}
      />
    </Box>
  );
}

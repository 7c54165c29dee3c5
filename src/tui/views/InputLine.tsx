/** The input line: a label, the text (dots when secret), and a block cursor. Scrolls sideways when long. */
import React from "react";
import { Text } from "ink";
import type { EditorState } from "../input/line-editor.js";
import type { Theme } from "../render/theme.js";

export interface InputLineProps {
  label: string;
  editor: EditorState;
  secret?: boolean;
  width: number;
  theme: Theme;
  /** Show the cursor (false while a request is in flight). */
  active?: boolean;
}

export function InputLine({
  label,
  editor,
  secret,
  width,
  theme,
  active = true,
}: InputLineProps): React.JSX.Element {
  const shown = secret ? "•".repeat([...editor.value].length) : editor.value;
  const cursor = secret ? [...editor.value.slice(0, editor.cursor)].length : editor.cursor;
  const room = Math.max(10, width - label.length - 2);
  // Keep the cursor in sight: show the window of `room` characters that ends just after it.
  const start = Math.max(0, cursor - room + 1);
  const visible = shown.slice(start, start + room);
  const at = cursor - start;
  const under = visible[at] ?? " ";
  return (
    <Text wrap="truncate">
      <Text {...theme.heading}>{label}</Text>
      <Text> </Text>
      {visible.slice(0, at)}
      {active ? <Text inverse>{under}</Text> : under}
      {visible.slice(at + 1)}
    </Text>
  );
}

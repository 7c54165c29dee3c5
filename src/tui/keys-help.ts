/**
 * The key bindings, for /help (docs/terminal-client.md has the same table; a test keeps them in step).
 * The bindings themselves are in views/ChatScreen.tsx and input/line-editor.ts.
 */
export const KEY_HELP: ReadonlyArray<readonly [string, string]> = [
  ["Alt+1 … Alt+9", "switch to view 1–9 of the sidebar"],
  ["Ctrl+N / Ctrl+P", "next / previous view"],
  ["PgUp / PgDn", "scroll the message pane (older history loads at the top)"],
  [
    "Up / Down",
    "in an empty input: select a message (its number shows) or a search result; else recall earlier input lines",
  ],
  ["Tab", "complete a command, #room or name"],
  ["Left / Right, Home / End", "move in the input line (also Ctrl+A / Ctrl+E)"],
  ["Ctrl+U / Ctrl+K / Ctrl+W", "delete to the start / to the end of the line / the word before the cursor"],
  ["Enter", "in an empty input with search results open: show the result pointed at"],
  ["Esc", "cancel a password question or a file transfer; drop the selection; close a listing panel"],
  ["Ctrl+C", "quit"],
];

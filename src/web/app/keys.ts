/** The browser client's key bindings, for `?`, Alt+/ and /help (the handler is in views/App.tsx). */
export const WEB_KEY_HELP: ReadonlyArray<readonly [string, string]> = [
  ["Alt+↑ / Alt+↓", "previous / next conversation"],
  ["Alt+Shift+↑ / Alt+Shift+↓", "previous / next conversation with unread messages"],
  ["Ctrl+K", "quick switcher: type a name, Enter to open"],
  ["Esc", "close a panel or dialog"],
  ["? or Alt+/", "show these keys"],
  ["Enter / Shift+Enter", "send / new line in the message"],
  ["Page Up", "scroll back (older history loads at the top)"],
];

/**
 * How each kind of text looks, as Ink <Text> props. The one place that knows colours: with colour off
 * (`--no-color` or `NO_COLOR`, see https://no-color.org) every style here drops its colour and keeps
 * only attributes such as bold and italic, so kinds of text stay distinguishable without colour.
 */
import type { Style } from "../../ui/markdown.js";

/** The subset of Ink's <Text> props we style with. */
export interface TextStyle {
  color?: string;
  backgroundColor?: string;
  bold?: boolean;
  italic?: boolean;
  underline?: boolean;
  strikethrough?: boolean;
  dimColor?: boolean;
  inverse?: boolean;
}

export interface Theme {
  color: boolean;
  /** Emit OSC 8 hyperlinks around links. */
  hyperlinks: boolean;
  /** A username: a stable colour of its own, or the "own" style for the user at this terminal. */
  user(username: string, own: boolean): TextStyle;
  ownBody: TextStyle;
  system: TextStyle;
  error: TextStyle;
  timestamp: TextStyle;
  /** The `[n]` after a link. */
  linkNumber: TextStyle;
  link: TextStyle;
  mention: TextStyle;
  muted: TextStyle;
  unread: TextStyle;
  selected: TextStyle;
  heading: TextStyle;
  status: TextStyle;
  format(style: Style): TextStyle;
}

/**
 * Username colours: readable on dark and light backgrounds, and none of them the colours that mean
 * something else here (red = error, gray = system notice).
 */
export const USER_PALETTE = [
  "cyan",
  "green",
  "yellow",
  "blue",
  "magenta",
  "cyanBright",
  "greenBright",
  "yellowBright",
  "blueBright",
  "magentaBright",
] as const;

/** FNV-1a over the lower-cased name: cheap, stable across runs and machines, spreads short names well. */
export function userColor(username: string): (typeof USER_PALETTE)[number] {
  let hash = 0x811c9dc5;
  for (const ch of username.toLowerCase()) {
    hash ^= ch.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return USER_PALETTE[hash % USER_PALETTE.length] ?? "cyan";
}

export interface ThemeOptions {
  color: boolean;
  hyperlinks?: boolean;
}

export function createTheme(options: ThemeOptions): Theme {
  const on = options.color;
  const c = (color: string): { color?: string } => (on ? { color } : {});
  return {
    color: on,
    hyperlinks: options.hyperlinks ?? true,
    user: (username, own) =>
      own ? { bold: true, ...c("whiteBright") } : { bold: true, ...c(userColor(username)) },
    ownBody: c("white"),
    system: { italic: true, ...c("gray") },
    error: { bold: true, ...c("red") },
    timestamp: { dimColor: true },
    linkNumber: { dimColor: true },
    link: { underline: true, ...c("blueBright") },
    mention: { bold: true, ...c("yellowBright") },
    muted: { dimColor: true },
    unread: { bold: true, ...c("yellow") },
    selected: { inverse: true },
    heading: { bold: true, ...c("gray") },
    status: { inverse: true },
    format: (style) => ({
      ...(style.bold ? { bold: true } : {}),
      ...(style.italic ? { italic: true } : {}),
      ...(style.strike ? { strikethrough: true } : {}),
      ...(style.code ? (on ? { color: "yellow" } : { inverse: true }) : {}),
    }),
  };
}

/** Colour is on unless `--no-color` was given or NO_COLOR is set to anything non-empty. */
export function colorWanted(flag: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!flag) return false;
  const noColor = env["NO_COLOR"];
  return noColor === undefined || noColor === "";
}

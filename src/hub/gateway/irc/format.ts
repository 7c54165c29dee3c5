/**
 * Formatting between IRC and Parley: mIRC control codes (bold ^B, italic ^], monospace ^Q,
 * strikethrough ^^) ↔ Parley's Markdown subset (`**bold**`, `*italic*`, `` `code` ``, `~~strike~~`).
 * Markdown is read with the one parser both Parley clients use (src/ui/markdown.ts), so a message
 * looks the same in WeeChat as in the terminal client. What has no counterpart (colours, underline,
 * reverse) is dropped: Parley bodies may not carry control characters.
 */
import { parseRichText, type Style } from "../../../ui/markdown.js";
import { FORBIDDEN_IN_BODY } from "../../../protocol/text.js";

const BOLD = "\x02";
const ITALIC = "\x1d";
const MONO = "\x11";
const STRIKE = "\x1e";
const UNDERLINE = "\x1f";
const COLOR = "\x03";
const HEX_COLOR = "\x04";
const REVERSE = "\x16";
const RESET = "\x0f";

type StyleKey = "bold" | "italic" | "code" | "strike";
const KEYS: StyleKey[] = ["code", "bold", "italic", "strike"];
const CODE_OF: Record<StyleKey, string> = { bold: BOLD, italic: ITALIC, code: MONO, strike: STRIKE };
const MARK_OF: Record<StyleKey, string> = { bold: "**", italic: "*", code: "`", strike: "~~" };

/** Parley body (Markdown subset) → IRC text with mIRC codes. */
export function markdownToIrc(body: string): string {
  const { segments } = parseRichText(body);
  let out = "";
  for (const seg of segments) {
    const codes = KEYS.filter((k) => seg.style[k]).map((k) => CODE_OF[k]);
    out += codes.length === 0 ? seg.text : codes.join("") + seg.text + [...codes].reverse().join("");
  }
  return out;
}

interface Run {
  text: string;
  style: Style;
}

/**
 * IRC text → Parley body: mIRC styles become Markdown, colours and the rest are dropped, and any
 * control character left is removed (the hub refuses them in bodies).
 */
export function ircToMarkdown(text: string): string {
  const runs: Run[] = [];
  let style: Style = {};
  let current = "";
  const flush = () => {
    if (current !== "") runs.push({ text: current, style: { ...style } });
    current = "";
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    switch (c) {
      case BOLD:
      case ITALIC:
      case MONO:
      case STRIKE: {
        flush();
        const key: StyleKey = c === BOLD ? "bold" : c === ITALIC ? "italic" : c === MONO ? "code" : "strike";
        style = { ...style, [key]: !style[key] };
        break;
      }
      case RESET:
        flush();
        style = {};
        break;
      case UNDERLINE:
      case REVERSE:
        break;
      case COLOR: {
        // ^C, then up to two digits, then optionally a comma and up to two more.
        const m = /^\d{1,2}(?:,\d{1,2})?/.exec(text.slice(i + 1, i + 6));
        if (m) i += m[0].length;
        break;
      }
      case HEX_COLOR: {
        const m = /^[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?/.exec(text.slice(i + 1, i + 15));
        if (m) i += m[0].length;
        break;
      }
      default:
        current += c;
    }
  }
  flush();
  let out = "";
  for (const run of runs) {
    const keys = KEYS.filter((k) => run.style[k]);
    // Markdown delimiters must touch the text: spaces at the edges go outside them.
    const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(run.text)!;
    const [, lead, core, trail] = m as unknown as [string, string, string, string];
    if (keys.length === 0 || core === "") {
      out += run.text;
      continue;
    }
    // Code spans cannot hold other styles in Parley's subset: code wins.
    const used = keys.includes("code") ? (["code"] as StyleKey[]) : keys;
    const open = used.map((k) => MARK_OF[k]).join("");
    const close = [...used]
      .reverse()
      .map((k) => MARK_OF[k])
      .join("");
    out += lead + open + core + close + trail;
  }
  return stripControls(out);
}

const FORBIDDEN_GLOBAL = new RegExp(FORBIDDEN_IN_BODY.source, "g");

/** Removes the characters a Parley body may not hold (after formatting codes were translated). */
export function stripControls(text: string): string {
  return text.replace(FORBIDDEN_GLOBAL, "");
}

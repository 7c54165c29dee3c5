/**
 * IRC lines on the wire: splitting a byte stream into lines, parsing one line, and building one.
 * Pure (no sockets), so its tests feed raw bytes.
 *
 * Limits (modern.ircdocs.horse, IRCv3 message-tags): a client's tag section may take up to 4096 bytes
 * (4094 of tag data, the leading `@` and the space after it; 8191 is the whole section once a server
 * adds its own tags, so the splitter reads that far before refusing), the rest of the line 512 bytes
 * including CR LF.
 * A longer line is refused as a whole (the caller answers ERR_INPUTTOOLONG) and the stream resyncs at
 * the next LF; nothing is ever truncated and parsed, so half a command never runs.
 */

export const MAX_TAGS_BYTES = 8191;
/** A client's tag section at most, `@` and the space included (IRCv3 message-tags: 4094 of data). */
export const MAX_CLIENT_TAGS_BYTES = 4096;
export const MAX_BODY_BYTES = 512;
/** Bytes a line may take at most before it is refused unread (tags + body + CR LF). */
export const MAX_LINE_BYTES = MAX_TAGS_BYTES + MAX_BODY_BYTES;
/** Middle parameters a line may carry (RFC 1459: 14 middle + trailing). */
export const MAX_PARAMS = 15;

export interface IrcMessage {
  tags: Map<string, string>;
  source: string | undefined;
  /** Upper-cased. */
  command: string;
  params: string[];
}

export type LineProblem =
  { kind: "too-long"; part: "tags" | "body" } | { kind: "bad-utf8" } | { kind: "malformed"; reason: string };

export type ParsedLine = { ok: true; message: IrcMessage } | { ok: false; problem: LineProblem };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Accumulates bytes and yields whole lines (without CR LF). An over-long line is reported once, its
 * bytes dropped up to the next LF, so a client flooding one endless line costs bounded memory.
 */
export class LineSplitter {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Inside a line already reported too long: drop bytes until LF. */
  private discarding = false;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /** Feeds bytes; returns the complete lines in them (or `too-long` markers), in order. */
  push(data: Buffer): Array<Buffer | "too-long"> {
    const out: Array<Buffer | "too-long"> = [];
    let start = 0;
    while (start < data.length) {
      const lf = data.indexOf(0x0a, start);
      const end = lf === -1 ? data.length : lf;
      if (this.discarding) {
        if (lf !== -1) this.discarding = false;
      } else if (this.size + (end - start) > this.maxLineBytes) {
        this.chunks = [];
        this.size = 0;
        out.push("too-long");
        this.discarding = lf === -1;
      } else {
        this.chunks.push(data.subarray(start, end));
        this.size += end - start;
        if (lf !== -1) {
          let line = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
          if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
          // Copied: the caller may keep the line after the socket's buffer is reused.
          out.push(Buffer.from(line));
          this.chunks = [];
          this.size = 0;
        }
      }
      if (lf === -1) break;
      start = lf + 1;
    }
    return out;
  }
}

function unescapeTagValue(value: string): string {
  if (!value.includes("\\")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = value[++i];
    if (next === undefined) break; // a lone trailing backslash is dropped
    out += next === ":" ? ";" : next === "s" ? " " : next === "r" ? "\r" : next === "n" ? "\n" : next;
  }
  return out;
}

export function escapeTagValue(value: string): string {
  return value.replace(/[\\; \r\n]/g, (c) =>
    c === "\\" ? "\\\\" : c === ";" ? "\\:" : c === " " ? "\\s" : c === "\r" ? "\\r" : "\\n",
  );
}

// Lenient on purpose: a word that is no known command still gets its 421 (with its label), not a
// "malformed line" that loses the tags.
const COMMAND_RE = /^[A-Za-z0-9_-]+$/;
const TAG_KEY_RE = /^\+?(?:[A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;

/** Parses one line (without CR LF) from raw bytes. Never throws. */
export function parseLine(bytes: Buffer): ParsedLine {
  let tagsEnd = 0;
  if (bytes[0] === 0x40 /* @ */) {
    const space = bytes.indexOf(0x20);
    tagsEnd = space === -1 ? bytes.length : space + 1;
    if (tagsEnd > MAX_CLIENT_TAGS_BYTES) return { ok: false, problem: { kind: "too-long", part: "tags" } };
  }
  // The body's 512 bytes include the CR LF the splitter took off.
  if (bytes.length - tagsEnd + 2 > MAX_BODY_BYTES) {
    return { ok: false, problem: { kind: "too-long", part: "body" } };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, problem: { kind: "bad-utf8" } };
  }
  if (text.includes("\0") || text.includes("\r") || text.includes("\n")) {
    return { ok: false, problem: { kind: "malformed", reason: "NUL, CR or LF inside a line" } };
  }
  let rest = text;
  const tags = new Map<string, string>();
  if (rest.startsWith("@")) {
    const space = rest.indexOf(" ");
    if (space === -1) return { ok: false, problem: { kind: "malformed", reason: "tags without a command" } };
    for (const item of rest.slice(1, space).split(";")) {
      if (item === "") continue;
      const eq = item.indexOf("=");
      const key = eq === -1 ? item : item.slice(0, eq);
      if (!TAG_KEY_RE.test(key)) {
        return { ok: false, problem: { kind: "malformed", reason: "invalid tag name" } };
      }
      tags.set(key, eq === -1 ? "" : unescapeTagValue(item.slice(eq + 1)));
    }
    rest = rest.slice(space + 1);
  }
  rest = rest.replace(/^ +/, "");
  let source: string | undefined;
  if (rest.startsWith(":")) {
    const space = rest.indexOf(" ");
    if (space === -1)
      return { ok: false, problem: { kind: "malformed", reason: "source without a command" } };
    source = rest.slice(1, space);
    rest = rest.slice(space + 1).replace(/^ +/, "");
  }
  if (rest === "") return { ok: false, problem: { kind: "malformed", reason: "empty line" } };
  const params: string[] = [];
  const space = rest.indexOf(" ");
  const command = space === -1 ? rest : rest.slice(0, space);
  if (!COMMAND_RE.test(command))
    return { ok: false, problem: { kind: "malformed", reason: "invalid command" } };
  rest = space === -1 ? "" : rest.slice(space + 1);
  while (rest !== "") {
    if (rest.startsWith(" ")) {
      rest = rest.replace(/^ +/, "");
      continue;
    }
    if (rest.startsWith(":") || params.length === MAX_PARAMS - 1) {
      params.push(rest.startsWith(":") ? rest.slice(1) : rest);
      break;
    }
    const next = rest.indexOf(" ");
    params.push(next === -1 ? rest : rest.slice(0, next));
    rest = next === -1 ? "" : rest.slice(next + 1);
  }
  return { ok: true, message: { tags, source, command: command.toUpperCase(), params } };
}

/** Whether a line is only whitespace (clients send empty lines as keep-alives; they are ignored). */
export function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09) return false;
  return true;
}

export interface OutMessage {
  tags?: ReadonlyArray<readonly [string, string | undefined]>;
  source?: string;
  command: string;
  params: readonly string[];
}

/** Characters that must never reach a client inside a parameter: they would end or split the line. */
const LINE_BREAKING = /[\0\r\n]/g;

/**
 * Builds one line (with CR LF). The last parameter is sent as trailing (`:`) when it needs it; any
 * NUL/CR/LF inside a parameter becomes a space, so a value can never inject a second line.
 */
export function buildLine(m: OutMessage): string {
  let line = "";
  if (m.tags && m.tags.length > 0) {
    line +=
      "@" +
      m.tags.map(([k, v]) => (v === undefined || v === "" ? k : `${k}=${escapeTagValue(v)}`)).join(";") +
      " ";
  }
  if (m.source !== undefined) line += `:${m.source} `;
  line += m.command;
  const last = m.params.length - 1;
  m.params.forEach((raw, i) => {
    let p = raw.replace(LINE_BREAKING, " ");
    if (i < last) p = p.replace(/ /g, "_") || "*";
    const trailing = i === last && (p === "" || p.includes(" ") || p.startsWith(":"));
    line += trailing ? ` :${p}` : ` ${p}`;
  });
  return line + "\r\n";
}

/**
 * Cuts `text` into pieces of at most `maxBytes` UTF-8 bytes, at spaces when possible, never inside a
 * character: a long Parley message becomes several IRC lines.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (Buffer.byteLength(rest) > maxBytes) {
    // Largest prefix that fits.
    let lo = 0;
    let hi = rest.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (Buffer.byteLength(rest.slice(0, mid)) <= maxBytes) lo = mid;
      else hi = mid - 1;
    }
    let cut = lo;
    // Not between the halves of a surrogate pair.
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--;
    const space = rest.lastIndexOf(" ", cut);
    if (space > cut / 2) cut = space + 1;
    if (cut <= 0) cut = 1;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

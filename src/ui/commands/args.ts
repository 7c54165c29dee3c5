/**
 * The slash-command line parser, pure and apart from the UI: `/name args…` → positional arguments and
 * `--flags`, shell-like quoting ("two words", 'two words', backslash escapes). A command may take the
 * raw remainder of the line as its last argument (`/msg bob I *mean* it`), so message text is sent
 * exactly as typed, quotes and spacing included.
 */

export class ArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArgsError";
  }
}

export interface Token {
  text: string;
  /** Offset of the token's first character (its opening quote, if quoted) in the input. */
  start: number;
}

export type FlagKind = "string" | "number" | "boolean";
export type FlagValue = string | number | boolean;

export interface ArgSpec {
  flags?: Readonly<Record<string, FlagKind>>;
  /** Positional index from which the rest of the line is taken raw (not split, no flags). */
  restFrom?: number;
}

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, FlagValue>;
}

export interface CommandLine {
  name: string;
  /** Everything after the name, leading spaces removed. */
  args: string;
}

/**
 * Reads `/name args` from an input line; null when the line is a message, not a command.
 * A line starting with `//` is a message that starts with `/` (the first slash is dropped by the caller).
 */
export function splitCommand(line: string): CommandLine | null {
  if (!line.startsWith("/") || line.startsWith("//")) return null;
  const m = /^\/(\S*)\s*([\s\S]*)$/.exec(line);
  if (!m) return null;
  return { name: (m[1] ?? "").toLowerCase(), args: m[2] ?? "" };
}

/** Splits on whitespace, honouring "double" and 'single' quotes and backslash escapes. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = input.length;
  while (i < n) {
    while (i < n && /\s/.test(input[i] ?? "")) i += 1;
    if (i >= n) break;
    const start = i;
    let text = "";
    while (i < n && !/\s/.test(input[i] ?? "")) {
      const c = input[i] ?? "";
      if (c === '"' || c === "'") {
        const close = findQuoteEnd(input, i + 1, c);
        if (close === -1) throw new ArgsError(`missing closing ${c} quote`);
        text += unescape(input.slice(i + 1, close), c);
        i = close + 1;
      } else if (c === "\\" && i + 1 < n) {
        text += input[i + 1];
        i += 2;
      } else {
        text += c;
        i += 1;
      }
    }
    tokens.push({ text, start });
  }
  return tokens;
}

function findQuoteEnd(input: string, from: number, quote: string): number {
  for (let i = from; i < input.length; i += 1) {
    if (input[i] === "\\" && quote === '"') i += 1;
    else if (input[i] === quote) return i;
  }
  return -1;
}

/** Inside double quotes a backslash escapes the next character; single quotes are literal. */
function unescape(text: string, quote: string): string {
  return quote === '"' ? text.replace(/\\([\s\S])/g, "$1") : text;
}

/** Parses a command's argument text against its spec. Throws ArgsError on bad flags or quoting. */
export function parseArgs(input: string, spec: ArgSpec = {}): ParsedArgs {
  const flagKinds = spec.flags ?? {};
  const tokens = tokenize(input);
  const positional: string[] = [];
  const flags: Record<string, FlagValue> = {};
  let flagsEnded = false;
  for (let i = 0; i < tokens.length; i += 1) {
    const tok = tokens[i];
    if (tok === undefined) break;
    if (spec.restFrom !== undefined && positional.length === spec.restFrom) {
      positional.push(input.slice(tok.start).trim());
      break;
    }
    const raw = input.slice(tok.start, tok.start + 2);
    if (!flagsEnded && raw === "--" && tok.text === "--") {
      flagsEnded = true;
      continue;
    }
    if (!flagsEnded && raw === "--" && tok.text.startsWith("--")) {
      const eq = tok.text.indexOf("=");
      const name = tok.text.slice(2, eq === -1 ? undefined : eq);
      const kind = flagKinds[name];
      if (kind === undefined) {
        const known = Object.keys(flagKinds);
        throw new ArgsError(
          known.length > 0
            ? `unknown option --${name} (options: ${known.map((k) => `--${k}`).join(", ")})`
            : `this command takes no options (--${name})`,
        );
      }
      if (kind === "boolean") {
        if (eq !== -1) throw new ArgsError(`--${name} takes no value`);
        flags[name] = true;
        continue;
      }
      let value: string;
      if (eq !== -1) value = tok.text.slice(eq + 1);
      else {
        const next = tokens[i + 1];
        if (next === undefined) throw new ArgsError(`--${name} needs a value`);
        value = next.text;
        i += 1;
      }
      if (kind === "number") {
        const num = Number(value);
        if (value.trim() === "" || !Number.isInteger(num))
          throw new ArgsError(`--${name} needs a whole number, got "${value}"`);
        flags[name] = num;
      } else flags[name] = value;
      continue;
    }
    positional.push(tok.text);
  }
  return { positional, flags };
}

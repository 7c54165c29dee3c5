/** Pure checks of names, passwords and message bodies. */
import {
  DESCRIPTION_MAX,
  DISPLAY_NAME_MAX,
  MAX_BODY_CHARS,
  PASSWORD_MAX,
  ROOM_NAME_RE,
  USERNAME_RE,
} from "../../protocol/limits.js";
import { FORBIDDEN_IN_BODY, FORBIDDEN_IN_NAME } from "../../protocol/text.js";
import { passwordProblem } from "../../protocol/passwords.js";
import { CLIENT_TAGS_MAX_BYTES, CLIENT_TAG_NAME_RE, clientTagsBytes } from "../../protocol/tags.js";
import { fold } from "../ids.js";
import { fail } from "./errors.js";

export function checkUsername(username: string): string {
  if (!USERNAME_RE.test(fold(username))) {
    fail("INVALID_USERNAME", "usernames are 3–32 characters of a-z, 0-9, _ and -", { field: "username" });
  }
  return username;
}

export function checkPassword(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem !== null) fail("WEAK_PASSWORD", problem, { field: "password" });
}

export function checkRoomName(name: string): string {
  if (!ROOM_NAME_RE.test(fold(name))) {
    fail("INVALID_NAME", "room names are 1–48 characters of a-z, 0-9, _ and -", { field: "name" });
  }
  return name;
}

/** Code points in `s`, without spreading it into an array (this runs on every message). */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Returns the body trimmed; the stored body is the trimmed one. */
export function checkBody(body: string, maxChars = MAX_BODY_CHARS): string {
  const trimmed = body.trim();
  if (trimmed.length === 0) fail("EMPTY_BODY", "the message is empty", { field: "body" });
  // Characters are code points; only a body longer in UTF-16 units than the limit can exceed it.
  if (trimmed.length > maxChars && codePoints(trimmed) > maxChars) {
    fail("BODY_TOO_LONG", `messages may have at most ${maxChars} characters`, { field: "body" });
  }
  if (FORBIDDEN_IN_BODY.test(trimmed)) {
    fail("INVALID_PARAMS", "body: control characters other than newline and tab are not allowed", {
      field: "body",
    });
  }
  return trimmed;
}

/**
 * Client-only tags (src/protocol/tags.ts): names `+…`, no NUL in values, at most CLIENT_TAGS_MAX_BYTES in
 * their IRC form. Undefined for none, so a message without tags stores nothing for them.
 */
export function checkClientTags(
  tags: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  if (tags === undefined) return undefined;
  const names = Object.keys(tags);
  if (names.length === 0) return undefined;
  for (const name of names) {
    if (!CLIENT_TAG_NAME_RE.test(name) || tags[name]!.includes("\0")) {
      fail("INVALID_PARAMS", `clientTags: ${name.slice(0, 64)} is not a client tag`, { field: "clientTags" });
    }
  }
  if (clientTagsBytes(tags) > CLIENT_TAGS_MAX_BYTES) {
    fail("TAGS_TOO_LONG", `client tags may take at most ${CLIENT_TAGS_MAX_BYTES} bytes`, {
      field: "clientTags",
    });
  }
  return { ...tags };
}

/** Display, first and last names: trimmed, no control characters, bounded. */
export function checkPersonName(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed.length === 0 || [...trimmed].length > DISPLAY_NAME_MAX || FORBIDDEN_IN_NAME.test(trimmed)) {
    fail("INVALID_PARAMS", `${field}: 1–${DISPLAY_NAME_MAX} printable characters`, { field });
  }
  return trimmed;
}

export function checkDescription(value: string): string {
  const trimmed = value.trim();
  if ([...trimmed].length > DESCRIPTION_MAX || FORBIDDEN_IN_BODY.test(trimmed)) {
    fail("INVALID_PARAMS", `description: at most ${DESCRIPTION_MAX} printable characters`, {
      field: "description",
    });
  }
  return trimmed;
}

/**
 * A free-text reason (leaving a room): every control character becomes a space, then trimmed and cut to
 * `max` characters; undefined when nothing is left. Cleaned rather than refused: a reason is a courtesy,
 * a leave must not fail over it.
 */
export function cleanReason(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const cleaned = value.replace(new RegExp(FORBIDDEN_IN_NAME.source, "g"), " ").trim();
  const chars = [...cleaned];
  const cut = (chars.length > max ? chars.slice(0, max).join("") : cleaned).trim();
  return cut === "" ? undefined : cut;
}

export function checkRoomPassword(value: string): string {
  if (value.length < 1 || value.length > PASSWORD_MAX) {
    fail("INVALID_PARAMS", `password: 1–${PASSWORD_MAX} characters`, { field: "password" });
  }
  return value;
}

/**
 * Free text of one line that is shown but not stored as a message (a QUIT message, a KILL reason):
 * never refused, made safe — control characters become spaces, trimmed, cut to `max` characters.
 */
export function cleanLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return [...line].slice(0, max).join("").trim();
}

/**
 * One line for every way a command can fail, saying what to do next. Hub error codes map to advice
 * here, so no command repeats its own try/catch.
 */
import {
  HubError,
  NotConnectedError,
  RequestTimeoutError,
  ClientClosedError,
} from "../../client/core/index.js";
import type { ErrorCode } from "../../protocol/index.js";
import { ArgsError } from "./args.js";
import { UsageError } from "./types.js";

const ADVICE: Partial<Record<ErrorCode, string>> = {
  RATE_LIMITED: "slow down and try again in a moment",
  USERNAME_TAKEN: "pick another username",
  INVALID_USERNAME: "usernames are 3–32 characters of a-z, 0-9, _ and -",
  WEAK_PASSWORD: "use 8 or more characters, not a common password and not your username",
  BAD_CREDENTIALS: "check the username and password",
  SESSION_EXPIRED: "log in again",
  NO_SUCH_USER: "check the username (/search PREFIX finds people)",
  NOT_ONLINE: "try again when they are online",
  BLOCKED: "this user does not accept that from you",
  ROOM_EXISTS: "pick another name, or /join it",
  INVALID_NAME: "room names are 1–48 characters of a-z, 0-9, _ and -",
  NO_SUCH_ROOM: "check the name (/rooms lists them) or /create it",
  WRONG_PASSWORD: "the room needs its password: /join ROOM PASSWORD",
  ROOM_FULL: "the room is at capacity; ask an admin to raise it",
  BANNED: "ask an admin of the room to /unban you",
  ALREADY_MEMBER: "you are in it already: switch with Alt+number",
  NOT_MEMBER: "join the room first (/join ROOM), or check the username",
  NOT_BANNED: "nothing to lift (/bans lists the bans)",
  FORBIDDEN: "your role in this room does not allow it (/who shows roles)",
  EMPTY_BODY: "type something to send",
  BODY_TOO_LONG: "the message is too long; split it",
  INVALID_PARAMS: "check the command's arguments (/help COMMAND)",
  UNAVAILABLE: "the hub cannot store anything right now; try again in a moment",
  INTERNAL: "the hub failed; tell its operator the id in this message",
};

/** A one-line explanation of `error` for the user, with what to do about it. */
export function describeError(error: unknown, usage?: string): string {
  if (error instanceof UsageError || error instanceof ArgsError) {
    return usage ? `${error.message} — usage: ${usage}` : error.message;
  }
  if (error instanceof HubError) {
    const advice = ADVICE[error.code];
    const retry = error.retryAfterMs ? ` (retry in ${Math.ceil(error.retryAfterMs / 1000)} s)` : "";
    return `${error.message}${retry}${advice ? ` — ${advice}` : ""}`;
  }
  if (error instanceof NotConnectedError || error instanceof RequestTimeoutError) {
    return `${error.message} — the client reconnects by itself; try again when the status line says online`;
  }
  if (error instanceof ClientClosedError) return "the client is closed — restart parley chat";
  if (error instanceof Error) return error.message;
  return String(error);
}

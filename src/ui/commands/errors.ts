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
import { CommandError, UsageError } from "./types.js";

/**
 * What to do next, added after the hub's own message — so each says something the hub's texts (in
 * src/hub/domain) do not already say. Codes whose message is complete on its own have none.
 */
const ADVICE: Partial<Record<ErrorCode, string>> = {
  USERNAME_TAKEN: "pick another one",
  WEAK_PASSWORD: "choose another",
  NO_SUCH_USER: "/search PREFIX finds people",
  NOT_ONLINE: "/msg leaves a stored message they get when they are back",
  ROOM_EXISTS: "pick another name, or /join it",
  NO_SUCH_ROOM: "/rooms lists them; /create makes one",
  ROOM_FULL: "an admin can raise the limit",
  BANNED: "ask an admin of the room to /unban you",
  ALREADY_MEMBER: "switch to it with Alt+number",
  NOT_MEMBER: "/join ROOM to join it; /who ROOM lists who is in it",
  NOT_BANNED: "/bans lists the bans",
  FORBIDDEN: "/who shows everyone's role",
  EMPTY_BODY: "type something to send",
  BODY_TOO_LONG: "split it into several",
  UNAVAILABLE: "the hub cannot store anything right now; try again in a moment",
  INTERNAL: "the hub failed; tell its operator the id in this message",
};

/** A one-line explanation of `error` for the user, with what to do about it. */
export function describeError(error: unknown, usage?: string): string {
  if (error instanceof UsageError || error instanceof ArgsError) {
    return usage ? `${error.message} — usage: ${usage}` : error.message;
  }
  if (error instanceof CommandError) return error.message;
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

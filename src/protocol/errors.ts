/** Every error code the hub may put in an error reply. Stable: clients and outside tests match on them. */
export const ERROR_CODES = [
  "BAD_FRAME",
  "UNKNOWN_OP",
  "INVALID_PARAMS",
  "UNSUPPORTED_PROTOCOL",
  "UNAUTHENTICATED",
  "RATE_LIMITED",
  "USERNAME_TAKEN",
  "INVALID_USERNAME",
  "WEAK_PASSWORD",
  "BAD_CREDENTIALS",
  "SESSION_EXPIRED",
  "NO_SUCH_USER",
  "NOT_ONLINE",
  "BLOCKED",
  "ROOM_EXISTS",
  "INVALID_NAME",
  "NO_SUCH_ROOM",
  "WRONG_PASSWORD",
  "ROOM_FULL",
  "BANNED",
  "ALREADY_MEMBER",
  "NOT_MEMBER",
  "NOT_BANNED",
  "FORBIDDEN",
  "EMPTY_BODY",
  "BODY_TOO_LONG",
  "TAGS_TOO_LONG",
  "NO_SUCH_REQUEST",
  "SUSPENDED",
  "NO_SUCH_DEVICE",
  "UNAVAILABLE",
  "FILE_TOO_LARGE",
  "QUOTA_EXCEEDED",
  "STORAGE_FULL",
  "NO_SUCH_FILE",
  "UPLOAD_CLOSED",
  "SIZE_MISMATCH",
  "NO_SUCH_MESSAGE",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** What each code means, for docs and for clients that want a default text. */
export const ERROR_DESCRIPTIONS: Record<ErrorCode, string> = {
  BAD_FRAME: "The frame is not a JSON object with `id` and `op`.",
  UNKNOWN_OP: "The hub does not know this op.",
  INVALID_PARAMS: "A parameter has the wrong type or shape; the message names the field.",
  UNSUPPORTED_PROTOCOL: "The client asked for a protocol version this hub does not speak.",
  UNAUTHENTICATED: "This op needs a logged-in session (login, register or resume first).",
  RATE_LIMITED: "Too many requests or failed logins; `retryAfterMs` says when to try again.",
  USERNAME_TAKEN: "Another account has this username (ignoring case).",
  INVALID_USERNAME: "Usernames are 3–32 characters of a-z, 0-9, _ and -.",
  WEAK_PASSWORD: "Passwords need 8+ characters, not a common password, not the username.",
  BAD_CREDENTIALS: "Username or password is wrong (never says which).",
  SESSION_EXPIRED: "The session token is unknown, revoked or expired; log in again.",
  NO_SUCH_USER: "No account has this username.",
  NOT_ONLINE: "The user is not online.",
  BLOCKED: "The user does not accept this from you.",
  ROOM_EXISTS: "A room with this name exists (ignoring case).",
  INVALID_NAME: "Room names are 1–48 characters of a-z, 0-9, _ and -.",
  NO_SUCH_ROOM: "No room has this name.",
  WRONG_PASSWORD: "The room password is missing or wrong.",
  ROOM_FULL: "The room is at capacity.",
  BANNED: "You are banned from this room.",
  ALREADY_MEMBER: "You are already a member of this room.",
  NOT_MEMBER: "You (or the named user) are not a member of this room.",
  NOT_BANNED: "The user is not banned from this room.",
  FORBIDDEN:
    "Your role in this room does not allow this (for `admin.*` ops: you are not a server admin of this hub).",
  EMPTY_BODY: "The message is empty after trimming.",
  BODY_TOO_LONG: "The message is longer than the hub's limit.",
  TAGS_TOO_LONG:
    "The client tags take more than 4094 bytes in their IRC form (`+name=value;…`, the IRCv3 message-tags limit).",
  NO_SUCH_REQUEST: "No pending peer-to-peer request has this id.",
  SUSPENDED:
    "The account is suspended by the hub's administrators; the message gives their reason. Logging in and resuming fail until it is lifted.",
  NO_SUCH_DEVICE: "The user has no (unrevoked) device with this id.",
  UNAVAILABLE:
    "The hub cannot do this right now (e.g. its storage refuses writes); nothing was stored. Retry after `retryAfterMs`.",
  FILE_TOO_LARGE: "The file is larger than the hub's limit (`--max-file-bytes`), or file sharing is off.",
  QUOTA_EXCEEDED: "The file would take you over your daily upload quota (`--file-quota-bytes`).",
  STORAGE_FULL: "The hub's file storage is at its cap (`--file-storage-bytes`); nothing was stored.",
  NO_SUCH_FILE: "No file has this id, or you may not see it (not in the conversation, not uploaded yet).",
  UPLOAD_CLOSED: "The upload slot expired or was already used; prepare a new one.",
  SIZE_MISMATCH: "The uploaded bytes are not the size given to `file.prepare`; nothing was stored.",
  NO_SUCH_MESSAGE:
    "No message has this id in a conversation you can read, or it was deleted (for `msg.edit` and `msg.react`).",
  INTERNAL: "The hub failed; the message carries a correlation id that is in the hub's log.",
};

/** The error object inside an error reply. */
export interface WireError {
  code: ErrorCode;
  message: string;
  field?: string;
  retryAfterMs?: number;
  correlationId?: string;
}

/** Protocol-wide limits and timings. Hubs may be configured below these, never above the frame cap. */
export const PROTOCOL_VERSION = 1;
export const SUBPROTOCOL = "parley.v1";
export const WS_PATH = "/v1";
export const DEFAULT_PORT = 7447;
export const DEFAULT_HOST = "127.0.0.1";

export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_BODY_CHARS = 4000;
export const HISTORY_PAGE = 50;
export const HISTORY_MAX = 200;
/** How many missed messages per conversation `resume` replays before the client must page with history. */
export const RESUME_REPLAY_MAX = 1000;
export const SEARCH_MAX = 20;
/** `search` (messages): results per page by default and at most; the longest query. */
export const MESSAGE_SEARCH_PAGE = 20;
export const MESSAGE_SEARCH_PAGE_MAX = 50;
export const MESSAGE_SEARCH_QUERY_MAX = 256;
/** How long after sending its author may edit a message, by default (`--edit-window`; 0: no limit). */
export const DEFAULT_EDIT_WINDOW_MS = 24 * 3600 * 1000;
/** A reply's quote of the original: its first line, cut to this many characters. */
export const QUOTE_CHARS = 100;
/** Different emoji one user may have on one message at once (`--max-reactions`). */
export const DEFAULT_MAX_REACTIONS_PER_USER = 20;
/** A short emoji name, as `:name:`. */
export const EMOJI_NAME_RE = /^:[a-z0-9_+-]{1,32}:$/;
/** `rooms.list` page size: the default, and the most one request may ask for. */
export const ROOMS_PAGE = 50;
export const ROOMS_PAGE_MAX = 200;
/** `users.online` lists at most this many (`users.search` finds anyone). */
export const ONLINE_MAX = 1000;
/** `room.bans` lists at most this many; a room holds at most this many name bans (`room.ban` with `byName`). */
export const BANS_MAX = 1000;
/** A reason given when leaving a room (`room.leave`): longer ones are cut, control characters dropped. */
export const LEAVE_REASON_MAX = 300;
/** How long an invitation to a room (`room.invite`) lets its user join past the password and the capacity. */
export const ROOM_INVITE_TTL_MS = 24 * 3600 * 1000;
/** Unexpired invitations one room may hold at once; more are refused until some are used or expire. */
export const ROOM_INVITES_MAX = 100;

export const USERNAME_RE = /^[a-z0-9_-]{3,32}$/;
export const ROOM_NAME_RE = /^[a-z0-9_-]{1,48}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;
export const DISPLAY_NAME_MAX = 64;
export const DESCRIPTION_MAX = 500;
export const CID_MAX = 64;
/** A quit message carried by a `presence` event (an IRC client's `QUIT :text`), in characters. */
export const QUIT_MESSAGE_MAX = 200;
export const CAPACITY_MIN = 1;
export const CAPACITY_MAX = 10_000;

/** Files: HTTP path prefix (same host and port as WS_PATH), defaults and fixed timings. */
export const FILES_PATH = "/v1/files";
export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;
export const DEFAULT_FILE_QUOTA_BYTES = 250 * 1024 * 1024;
export const DEFAULT_FILE_STORAGE_BYTES = 10 * 1024 * 1024 * 1024;
export const FILE_NAME_MAX = 255;
export const FILE_TYPE_MAX = 255;
/** How long after `file.prepare` the PUT may start. */
export const UPLOAD_SLOT_MS = 10 * 60 * 1000;
/** An uploaded file never attached to a message is deleted after this. */
export const UNATTACHED_FILE_TTL_MS = 60 * 60 * 1000;
/** How long a signed download URL from `file.url` works. */
export const SIGNED_URL_TTL_MS = 15 * 60 * 1000;
/** Thumbnails fit in a square of this many pixels (WebP); made once at upload for images. */
export const THUMBNAIL_BOX = 320;

export const PING_INTERVAL_MS = 15_000;
/** A connection that misses this many pongs in a row is closed (reason `timeout`). */
export const MISSED_PONGS_LIMIT = 2;
export const HELLO_TIMEOUT_MS = 10_000;
export const AUTH_TIMEOUT_MS = 60_000;

export const RATE_PER_SECOND = 20;
export const RATE_BURST = 60;
export const BAD_FRAMES_PER_MINUTE = 20;

/** Devices (peer identities) one account may have listed at once; more must revoke one first. */
export const MAX_DEVICES_PER_USER = 32;
/** Addresses one peer announces or one answer carries, at most; clients dial no more per request. */
export const MAX_PEER_ENDPOINTS = 16;
export const DEVICE_NAME_MAX = 64;

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** How long a password-reset token from `admin.password` stays valid (it works once). */
export const RESET_TOKEN_TTL_MS = 24 * 3600 * 1000;
/** Largest page of `admin.users` and `admin.audit`. */
export const ADMIN_PAGE_MAX = 500;

/** WebSocket close codes used by the hub. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
} as const;

export interface HubLimits {
  maxFrameBytes: number;
  maxBodyChars: number;
  historyPage: number;
}

/**
 * The op table: every request a client may send, its params and its result.
 * The gateway validates with these schemas, the docs are generated from them,
 * and the client SDK takes its types from them, so a rule about a frame's shape lives here only.
 */
import { z } from "zod";
import {
  adminConnectionSchema,
  adminRoomSchema,
  adminUserSchema,
  auditEntrySchema,
  banSchema,
  briefRoomSchema,
  cancelReasonSchema,
  conversationSchema,
  deviceIdSchema,
  deviceSchema,
  endpointSchema,
  memberSchema,
  messageSchema,
  publicKeySchema,
  roomSchema,
  searchResultSchema,
  sessionSchema,
  userDevicesSchema,
  userSchema,
} from "./model.js";
import { e2eEnvelopeSchema } from "./e2e.js";
import { clientTagsSchema } from "./tags.js";
import {
  ADMIN_PAGE_MAX,
  BANS_MAX,
  CAPACITY_MAX,
  CAPACITY_MIN,
  CID_MAX,
  DEVICE_NAME_MAX,
  FILE_NAME_MAX,
  FILE_TYPE_MAX,
  HISTORY_MAX,
  LEAVE_REASON_MAX,
  MESSAGE_SEARCH_PAGE_MAX,
  MESSAGE_SEARCH_QUERY_MAX,
  MAX_PEER_ENDPOINTS,
  ONLINE_MAX,
  ROOMS_PAGE,
  ROOMS_PAGE_MAX,
  ROOM_INVITE_TTL_MS,
  ROOM_INVITES_MAX,
} from "./limits.js";

const BODY_MAX = 100_000;
const NAME_MAX = 256;

// Loose bounds only: the domain owns the real rules (and their specific error codes).
const name = z.string().max(NAME_MAX);
const text = z.string().max(1024);
const seq = z.number().int().min(0);
const limit = z.number().int().min(1).max(HISTORY_MAX);
const target = { room: name.optional(), user: name.optional() };
const FILE_ID_MAX = 64;
const MESSAGE_ID_MAX = 32;
/** A message named in a request (`id` is the request's own). */
const messageId = z.string().min(1).max(MESSAGE_ID_MAX).describe("a message's `id`");
/** Makes a retried edit, delete or reaction (an outbox resend) count once. */
const entryCid = z.string().min(1).max(CID_MAX).optional();
const entryResult = z.object({
  seq: seq
    .optional()
    .describe(
      "the conversation seq this change took; absent when it changed nothing (e.g. the same reaction twice)",
    ),
});
const fileId = z.string().min(1).max(FILE_ID_MAX);
const empty = z.object({});
const reason = z.string().max(500);
const adminPage = z.number().int().min(1).max(ADMIN_PAGE_MAX);
/** Every admin op may answer these besides its own. */
const ADMIN_ERRORS = ["FORBIDDEN"] as const;

export interface OpSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  params: P;
  result: R;
  /** false for the ops allowed before authentication. */
  auth: boolean;
  summary: string;
  errors: readonly string[];
  /**
   * A hand-written check of the op's usual shape, for ops on the hot path: true when `params` already
   * is what `params.parse` would return (no unknown keys but the envelope's `id` and `op`), so the
   * schema walk is skipped; false sends it through the schema, which also words any error. It must
   * never pass what the schema refuses (test/unit/protocol-fast-params.test.ts checks).
   */
  fast?: (params: Record<string, unknown>) => boolean;
}

function op<P extends z.ZodType, R extends z.ZodType>(spec: OpSpec<P, R>): OpSpec<P, R> {
  return spec;
}

/** `msg.send`'s shape, as its schema says, without the schema walk (see OpSpec.fast). */
function fastSend(p: Record<string, unknown>): boolean {
  for (const key in p) {
    if (
      key !== "id" &&
      key !== "op" &&
      key !== "room" &&
      key !== "user" &&
      key !== "body" &&
      key !== "cid" &&
      key !== "file" &&
      key !== "replyTo" &&
      key !== "notice"
    ) {
      return false;
    }
  }
  const { room, user, body, cid, file, replyTo, notice } = p;
  return (
    (notice === undefined || typeof notice === "boolean") &&
    typeof body === "string" &&
    body.length <= BODY_MAX &&
    typeof cid === "string" &&
    cid.length >= 1 &&
    cid.length <= CID_MAX &&
    (room === undefined || (typeof room === "string" && room.length <= NAME_MAX)) &&
    (user === undefined || (typeof user === "string" && user.length <= NAME_MAX)) &&
    (file === undefined || (typeof file === "string" && file.length >= 1 && file.length <= FILE_ID_MAX)) &&
    (replyTo === undefined ||
      (typeof replyTo === "string" && replyTo.length >= 1 && replyTo.length <= MESSAGE_ID_MAX))
  );
}

export const ops = {
  hello: op({
    params: z.object({ client: z.string().max(200), protocol: z.number().int() }),
    result: z.object({
      server: z.string(),
      protocol: z.number().int(),
      limits: z.object({
        maxFrameBytes: z.number().int(),
        maxBodyChars: z.number().int(),
        historyPage: z.number().int(),
      }),
      passwordRule: z
        .object({
          minLength: z.number().int(),
          maxLength: z.number().int(),
          description: z.string(),
        })
        .describe(
          "The account password rule (register, me.password), so a client can refuse a weak password before sending it: these lengths, not a common password, not the username.",
        ),
    }),
    auth: false,
    summary: "Opens the conversation; must be the first frame.",
    errors: ["UNSUPPORTED_PROTOCOL"],
  }),
  register: op({
    params: z.object({
      username: name,
      password: text,
      displayName: name.optional(),
      firstName: name.optional(),
      lastName: name.optional(),
    }),
    result: z.object({ user: userSchema }),
    auth: false,
    summary: "Creates an account. Does not log in.",
    errors: ["USERNAME_TAKEN", "INVALID_USERNAME", "WEAK_PASSWORD", "RATE_LIMITED"],
  }),
  login: op({
    params: z.object({ username: name, password: text, device: name.optional() }),
    result: z.object({ user: userSchema, session: sessionSchema }),
    auth: false,
    summary: "Logs in and opens a session on this connection.",
    errors: ["BAD_CREDENTIALS", "SUSPENDED", "RATE_LIMITED"],
  }),
  resume: op({
    params: z.object({
      token: z.string().max(256),
      cursors: z.record(z.string().max(300), seq).optional(),
    }),
    result: z.object({ user: userSchema, session: sessionSchema }),
    auth: false,
    summary:
      'Resumes a session by token; then replays missed `message` events, oldest first, for each cursor ("room:NAME" or "dm:USER" → last seq seen) and for conversations without a cursor from the read marker.',
    errors: ["SESSION_EXPIRED", "SUSPENDED"],
  }),
  "password.reset": op({
    params: z.object({ username: name, token: z.string().max(256), password: text }),
    result: empty,
    auth: false,
    summary:
      "Sets a new password with the one-time token a server admin gave you (`admin.password`); ends every session of the account. Does not log in.",
    errors: ["BAD_CREDENTIALS", "WEAK_PASSWORD", "RATE_LIMITED"],
  }),
  logout: op({
    params: empty,
    result: empty,
    auth: true,
    summary: "Ends this session (the token stops working).",
    errors: [],
  }),
  "users.online": op({
    params: empty,
    result: z.object({ users: z.array(userSchema) }),
    auth: true,
    summary: `Everyone online now, at most ${ONLINE_MAX} (users.search finds anyone).`,
    errors: [],
  }),
  "users.search": op({
    params: z.object({ query: z.string().max(64) }),
    result: z.object({ users: z.array(userSchema) }),
    auth: true,
    summary: "Users whose username or display name starts with `query` (case-insensitive), at most 20.",
    errors: [],
  }),
  "me.update": op({
    params: z.object({
      displayName: name.optional(),
      firstName: name.nullable().optional(),
      lastName: name.nullable().optional(),
    }),
    result: z.object({ user: userSchema }),
    auth: true,
    summary: "Changes your profile; null clears a name.",
    errors: ["INVALID_PARAMS"],
  }),
  "me.rename": op({
    params: z.object({ username: name, password: text }),
    result: z.object({ user: userSchema }),
    auth: true,
    summary:
      "Changes your username, keeping history, memberships and roles. A display name never chosen (still the old username) becomes the new username, announced with `user.updated` after `user.renamed`.",
    errors: ["USERNAME_TAKEN", "INVALID_USERNAME", "BAD_CREDENTIALS"],
  }),
  "me.password": op({
    params: z.object({ old: text, new: text }),
    result: empty,
    auth: true,
    summary: "Changes your password; other sessions are ended.",
    errors: ["BAD_CREDENTIALS", "WEAK_PASSWORD"],
  }),
  "rooms.list": op({
    params: z.object({
      detail: z.boolean().optional(),
      query: z.string().max(64).optional(),
      joined: z.boolean().optional().describe("only the rooms you are a member of"),
      limit: z
        .number()
        .int()
        .min(1)
        .max(ROOMS_PAGE_MAX)
        .optional()
        .describe(`page size (default ${ROOMS_PAGE})`),
      cursor: z.string().max(256).optional().describe("the previous page's `nextCursor`"),
    }),
    result: z.object({
      rooms: z.array(z.union([roomSchema, briefRoomSchema])),
      nextCursor: z.string().optional().describe("present when more rooms follow: pass it as `cursor`"),
    }),
    auth: true,
    summary:
      "Rooms on the hub, a page at a time in name order; `detail` adds description, counts, capacity and (for your rooms) your read marker; `query` filters by name prefix; `joined` keeps only yours. Secret rooms are listed only to their members.",
    errors: ["INVALID_PARAMS"],
  }),
  "room.create": op({
    params: z.object({
      name,
      description: z.string().max(2000).optional(),
      password: text.optional(),
      capacity: z.number().int().min(CAPACITY_MIN).max(CAPACITY_MAX).optional(),
      e2e: z
        .boolean()
        .optional()
        .describe(
          "end-to-end encrypted: members seal each message to each other's devices; fixed for the room's life",
        ),
    }),
    result: z.object({ room: roomSchema }),
    auth: true,
    summary:
      "Creates a room; you become its owner and first member. A user may own a limited number of rooms and create them at a limited rate.",
    errors: ["ROOM_EXISTS", "INVALID_NAME", "INVALID_PARAMS", "FORBIDDEN", "RATE_LIMITED"],
  }),
  "room.join": op({
    params: z.object({ room: name, password: text.optional() }),
    result: z.object({
      room: roomSchema,
      members: z.array(memberSchema),
      history: z.array(messageSchema),
      lastSeq: seq,
    }),
    auth: true,
    summary: "Joins a room; returns its members, the latest page of history and its last seq.",
    errors: ["NO_SUCH_ROOM", "WRONG_PASSWORD", "ROOM_FULL", "BANNED", "ALREADY_MEMBER"],
  }),
  "room.leave": op({
    params: z.object({
      room: name,
      reason: reason
        .optional()
        .describe(
          `shown to the other members (\`member.left\` \`message\`); control characters dropped, cut to ${LEAVE_REASON_MAX} characters`,
        ),
    }),
    result: empty,
    auth: true,
    summary: "Leaves a room (owner leaving triggers succession; the last member leaving deletes it).",
    errors: ["NOT_MEMBER"],
  }),
  "room.invite": op({
    params: z.object({ room: name, username: name }),
    result: z.object({ expiresAt: z.number().int().describe("when the invitation lapses if unused") }),
    auth: true,
    summary: `Invites a user: their next \`room.join\` within ${ROOM_INVITE_TTL_MS / 3_600_000} h passes the password and the capacity (once). Admins and owner; in a room without a password, any member. A room holds at most ${ROOM_INVITES_MAX} open invitations. The user gets \`invited\`.`,
    errors: ["NO_SUCH_ROOM", "FORBIDDEN", "NOT_MEMBER", "NO_SUCH_USER", "ALREADY_MEMBER", "BANNED"],
  }),
  "room.members": op({
    params: z.object({ room: name }),
    result: z.object({ members: z.array(memberSchema) }),
    auth: true,
    summary: "Members with roles and presence.",
    errors: ["NOT_MEMBER"],
  }),
  "room.devices": op({
    params: z.object({ room: name }),
    result: z.object({
      members: z.array(userDevicesSchema),
      maxDevices: z.number().int().describe("the most member devices one message may be sealed to"),
    }),
    auth: true,
    summary:
      "Every member's devices with their master key and signatures: whom a sender seals an end-to-end encrypted room's message to (the client checks the signatures).",
    errors: ["NO_SUCH_ROOM", "NOT_MEMBER"],
  }),
  "room.history": op({
    params: z.object({ room: name, before: seq.optional(), after: seq.optional(), limit: limit.optional() }),
    result: z.object({ messages: z.array(messageSchema) }),
    auth: true,
    summary: "A page of room messages, oldest first: before a seq, after a seq, or the latest.",
    errors: ["NOT_MEMBER", "INVALID_PARAMS"],
  }),
  "room.kick": op({
    params: z.object({ room: name, username: name, reason: z.string().max(500).optional() }),
    result: empty,
    auth: true,
    summary: "Removes a member of lower rank; they may rejoin.",
    errors: ["FORBIDDEN", "NOT_MEMBER", "NO_SUCH_USER"],
  }),
  "room.ban": op({
    params: z.object({
      room: name,
      username: name,
      reason: z.string().max(500).optional(),
      byName: z
        .boolean()
        .optional()
        .describe(
          "when no account has this name, ban the name itself (instead of `NO_SUCH_USER`): whoever holds it later, ignoring case, cannot join",
        ),
    }),
    result: empty,
    auth: true,
    summary:
      "Bans a user of lower rank (removing them if present). A ban of an account follows it through renames; a name ban (`byName`) keeps out whoever holds the name.",
    errors: ["FORBIDDEN", "NO_SUCH_USER", "INVALID_USERNAME"],
  }),
  "room.unban": op({
    params: z.object({ room: name, username: name }),
    result: empty,
    auth: true,
    summary: "Lifts a ban.",
    errors: ["FORBIDDEN", "NOT_BANNED"],
  }),
  "room.bans": op({
    params: z.object({ room: name }),
    result: z.object({ bans: z.array(banSchema) }),
    auth: true,
    summary: `The room's bans (admins and owner only), at most ${BANS_MAX}.`,
    errors: ["FORBIDDEN"],
  }),
  "room.promote": op({
    params: z.object({ room: name, username: name }),
    result: empty,
    auth: true,
    summary: "Member → admin (admins and owner).",
    errors: ["FORBIDDEN", "NOT_MEMBER"],
  }),
  "room.demote": op({
    params: z.object({ room: name, username: name }),
    result: empty,
    auth: true,
    summary: "Admin → member (owner only).",
    errors: ["FORBIDDEN", "NOT_MEMBER"],
  }),
  "room.voice": op({
    params: z.object({
      room: name,
      username: name,
      voice: z.boolean().describe("true gives voice, false takes it"),
    }),
    result: empty,
    auth: true,
    summary:
      "Gives or takes a member's voice: in a moderated room only the owner, admins and voiced members post. Admins and owner. Members hear `voice.changed`; leaving, a kick or a ban ends the voice, a promotion or demotion keeps it.",
    errors: ["FORBIDDEN", "NOT_MEMBER", "NO_SUCH_USER"],
  }),
  "room.update": op({
    params: z.object({
      room: name,
      description: z.string().max(2000).nullable().optional(),
      password: text.nullable().optional(),
      capacity: z.number().int().min(CAPACITY_MIN).max(CAPACITY_MAX).nullable().optional(),
      topicLocked: z
        .boolean()
        .optional()
        .describe(
          "false lets any member set the description; true (the default) keeps it to admins and owner",
        ),
      moderated: z
        .boolean()
        .optional()
        .describe("true: only the owner, admins and voiced members may post (`room.voice`)"),
      secret: z
        .boolean()
        .optional()
        .describe("true: left out of `rooms.list` for users who are not members (still joined by name)"),
    }),
    result: z.object({ room: roomSchema }),
    auth: true,
    summary:
      "Changes description, password, capacity, topic lock, moderation or secrecy (null removes). Admins and owner; the description alone also any member when the topic is not locked.",
    errors: ["FORBIDDEN", "INVALID_PARAMS"],
  }),
  "room.delete": op({
    params: z.object({ room: name }),
    result: empty,
    auth: true,
    summary: "Deletes the room and its history (owner only).",
    errors: ["FORBIDDEN"],
  }),
  "msg.send": op({
    params: z.object({
      ...target,
      body: z.string().max(BODY_MAX),
      cid: z.string().min(1).max(CID_MAX),
      file: fileId.optional().describe("a fileId from `file.prepare`, uploaded, for the same room or user"),
      e2e: e2eEnvelopeSchema
        .optional()
        .describe("required in (and only in) an end-to-end encrypted room, with an empty `body`"),
      replyTo: messageId.optional().describe("answers this message of the same conversation"),
      notice: z
        .boolean()
        .optional()
        .describe(
          "send it as a notice (IRC NOTICE): what bots and automated senders use; stored and shown as such",
        ),
      clientTags: clientTagsSchema.optional().describe("stored with the message and handed on with it"),
    }),
    fast: fastSend,
    result: z.object({ id: z.string(), seq, ts: z.number().int() }),
    auth: true,
    summary:
      "Sends to a room or a user, optionally with an uploaded file (`body` may then be empty). Stored before the reply; a repeated cid returns the first result. In a moderated room only the owner, admins and voiced members may send (`FORBIDDEN`).",
    errors: [
      "NO_SUCH_ROOM",
      "NOT_MEMBER",
      "FORBIDDEN",
      "NO_SUCH_USER",
      "EMPTY_BODY",
      "BODY_TOO_LONG",
      "RATE_LIMITED",
      "INVALID_PARAMS",
      "NO_SUCH_FILE",
      "TAGS_TOO_LONG",
    ],
  }),
  "msg.tagmsg": op({
    params: z.object({
      ...target,
      clientTags: clientTagsSchema.describe("at least one tag"),
      cid: z.string().min(1).max(CID_MAX).optional().describe("comes back on your own copies of the event"),
    }),
    result: z.object({ id: z.string(), ts: z.number().int() }),
    auth: true,
    summary:
      "Sends client tags without a message (IRC `TAGMSG`: typing notices, reactions of IRC clients) to a room or a user, under the same rules as `msg.send`. Not stored: the room's members online now (or the user, and your other devices) get a `tagmsg` event. Rate limited apart from messages.",
    errors: ["NO_SUCH_ROOM", "NOT_MEMBER", "NO_SUCH_USER", "RATE_LIMITED", "INVALID_PARAMS", "TAGS_TOO_LONG"],
  }),
  "msg.edit": op({
    params: z.object({ messageId, body: z.string().max(BODY_MAX), cid: entryCid }),
    result: entryResult,
    auth: true,
    summary:
      "Replaces the body of your own message, within the hub's edit window (`--edit-window`, default 24 h). The message keeps its place; the edit takes the conversation's next seq and everyone in it gets `message.edited`.",
    errors: ["NO_SUCH_MESSAGE", "FORBIDDEN", "EMPTY_BODY", "BODY_TOO_LONG", "INVALID_PARAMS", "RATE_LIMITED"],
  }),
  "msg.delete": op({
    params: z.object({ messageId, cid: entryCid }),
    result: entryResult,
    auth: true,
    summary:
      "Deletes a message: your own, or (room admins and the owner, logged) a message of a lower-ranked user. Its body is erased from the store and the search index; history keeps a tombstone. Takes the next seq; everyone gets `message.deleted`.",
    errors: ["NO_SUCH_MESSAGE", "FORBIDDEN", "RATE_LIMITED"],
  }),
  "msg.react": op({
    params: z.object({
      messageId,
      emoji: z.string().max(64).describe("one emoji (one grapheme) or a short `:name:`"),
      on: z.boolean(),
      cid: entryCid,
    }),
    result: entryResult,
    auth: true,
    summary:
      "Adds (`on: true`) or removes your reaction; one per user per emoji per message. A change takes the next seq and everyone gets `reaction`; the same state twice changes nothing.",
    errors: ["NO_SUCH_MESSAGE", "INVALID_PARAMS", "FORBIDDEN", "RATE_LIMITED"],
  }),
  search: op({
    params: z.object({
      query: z
        .string()
        .max(MESSAGE_SEARCH_QUERY_MAX)
        .describe('words (all must match; `word*` for a prefix), `"a phrase"`, `from:alice`, `in:#room`'),
      room: name.optional().describe("only this room (as `in:#room`)"),
      user: name.optional().describe("only your DMs with this user"),
      from: name.optional().describe("only messages by this user (as `from:`)"),
      sort: z.enum(["newest", "relevance"]).optional().describe("default `newest`"),
      before: messageId
        .optional()
        .describe("`newest`: only messages older than this one (the last of a page)"),
      offset: z.number().int().min(0).max(10_000).optional().describe("`relevance`: skip this many results"),
      limit: z.number().int().min(1).max(MESSAGE_SEARCH_PAGE_MAX).optional(),
    }),
    result: z.object({
      results: z.array(searchResultSchema),
      next: z
        .object({ before: z.string().optional(), offset: z.number().int().optional() })
        .optional()
        .describe("present when there may be more: pass it back for the next page"),
    }),
    auth: true,
    summary:
      "Full-text search of the messages you may read now: rooms you are a member of, and your DMs. Newest first (or by relevance), paged, with a highlighted snippet and the room/user and seq to jump to.",
    errors: ["INVALID_PARAMS", "NOT_MEMBER", "NO_SUCH_USER", "NO_SUCH_ROOM", "RATE_LIMITED"],
  }),
  "file.prepare": op({
    params: z.object({
      ...target,
      name: z.string().min(1).max(FILE_NAME_MAX),
      size: z.number().int().min(0),
      type: z.string().max(FILE_TYPE_MAX).optional().describe("the uploader's guess; the hub sniffs its own"),
    }),
    result: z.object({
      fileId: z.string(),
      uploadUrl: z.string().describe("`PUT` the bytes here with `Authorization: Bearer <session token>`"),
      expiresAt: z.number().int().describe("the PUT must start before this (ms since epoch)"),
    }),
    auth: true,
    summary:
      "Opens an upload slot for one file to a room or user: membership (and, in a moderated room, voice), size limit and your daily quota are checked before any byte moves.",
    errors: [
      "NO_SUCH_ROOM",
      "NOT_MEMBER",
      "FORBIDDEN",
      "NO_SUCH_USER",
      "FILE_TOO_LARGE",
      "QUOTA_EXCEEDED",
      "STORAGE_FULL",
      "INVALID_PARAMS",
      "RATE_LIMITED",
    ],
  }),
  "file.url": op({
    params: z.object({ fileId }),
    result: z.object({
      url: z.string().describe("works without a token until `expiresAt`, for you only"),
      thumbnailUrl: z.string().optional(),
      expiresAt: z.number().int(),
    }),
    auth: true,
    summary: "A short-lived signed download URL (for browsers, which cannot add a bearer header to `<img>`).",
    errors: ["NO_SUCH_FILE"],
  }),
  "dm.history": op({
    params: z.object({ user: name, before: seq.optional(), after: seq.optional(), limit: limit.optional() }),
    result: z.object({ messages: z.array(messageSchema) }),
    auth: true,
    summary: "A page of the conversation with a user, oldest first.",
    errors: ["NO_SUCH_USER", "INVALID_PARAMS"],
  }),
  "dm.list": op({
    params: empty,
    result: z.object({ conversations: z.array(conversationSchema) }),
    auth: true,
    summary: "Your DM conversations with last seq and unread count.",
    errors: [],
  }),
  read: op({
    params: z.object({ ...target, seq }),
    result: empty,
    auth: true,
    summary: "Marks a room or conversation read up to seq (moves forward only).",
    errors: ["INVALID_PARAMS"],
  }),
  mute: op({
    params: z.object({ ...target, on: z.boolean() }),
    result: empty,
    auth: true,
    summary: "Mutes or unmutes notifications from a room or user.",
    errors: ["INVALID_PARAMS"],
  }),
  block: op({
    params: z.object({ user: name, on: z.boolean() }),
    result: empty,
    auth: true,
    summary: "Blocks or unblocks a user's DMs (silently).",
    errors: ["NO_SUCH_USER"],
  }),
  settings: op({
    params: empty,
    result: z.object({
      muted: z.object({ rooms: z.array(z.string()), users: z.array(z.string()) }),
      blocked: z.array(z.string()),
    }),
    auth: true,
    summary: "Your mutes and blocks.",
    errors: [],
  }),
  "peer.announce": op({
    params: z.object({
      endpoints: z
        .array(endpointSchema)
        .max(MAX_PEER_ENDPOINTS)
        .describe("where this device listens; kept for old clients (answers carry endpoints per request)"),
      key: publicKeySchema.describe("this device's identity key (ECDSA P-256, base64 SPKI DER)"),
      signKey: publicKeySchema.optional().describe("this device's Ed25519 signing key"),
      encKey: publicKeySchema.optional().describe("this device's X25519 encryption key"),
      name: z.string().max(DEVICE_NAME_MAX).optional().describe("a label for the device"),
      master: publicKeySchema
        .optional()
        .describe("your master key (Ed25519); published when you have none, else must be the one published"),
      signature: z.string().max(256).optional().describe("`master`'s signature of this device's statement"),
      replaceMaster: z
        .boolean()
        .optional()
        .describe("replace a published master key (lost without backup): your other devices become unsigned"),
    }),
    result: z.object({
      device: deviceIdSchema.describe("this device's id"),
      master: publicKeySchema.optional().describe("your published master key, if any"),
      signed: z.boolean().describe("whether this device carries a valid signature of that master key"),
    }),
    auth: true,
    summary:
      "Publishes this device's keys (and endpoints): adds it to your device list, signed by your master key if given.",
    errors: ["INVALID_PARAMS", "FORBIDDEN"],
  }),
  "devices.list": op({
    params: z.object({ user: name.optional().describe("whose devices; yours when absent") }),
    result: userDevicesSchema,
    auth: true,
    summary: "A user's devices (unrevoked), with their keys, signatures and the user's master key.",
    errors: ["NO_SUCH_USER"],
  }),
  "device.sign": op({
    params: z.object({ device: deviceIdSchema, signature: z.string().max(256) }),
    result: empty,
    auth: true,
    summary: "Stores your master key's signature of one of your devices (made on a device that holds it).",
    errors: ["NO_SUCH_DEVICE", "INVALID_PARAMS"],
  }),
  "device.revoke": op({
    params: z.object({ device: deviceIdSchema }),
    result: empty,
    auth: true,
    summary: "Removes one of your devices from your list for good: it can no longer announce or chat.",
    errors: ["NO_SUCH_DEVICE"],
  }),
  "p2p.request": op({
    params: z.object({
      user: name,
      device: deviceIdSchema
        .optional()
        .describe("ask only this device of theirs; else all, the first to accept wins"),
    }),
    result: z.object({
      requestId: z.string(),
      key: z
        .string()
        .optional()
        .describe(
          "the target's published key (the asked device's, else the latest): a requester that refuses it cancels at once",
        ),
      devices: userDevicesSchema
        .optional()
        .describe("the target's devices and master key, to check before anyone answers"),
    }),
    auth: true,
    summary: "Asks a user (one or all of their devices) for a direct chat.",
    errors: ["NO_SUCH_USER", "NO_SUCH_DEVICE", "NOT_ONLINE", "BLOCKED", "INVALID_PARAMS", "RATE_LIMITED"],
  }),
  "p2p.answer": op({
    params: z.object({
      requestId: z.string().max(64),
      accept: z.boolean(),
      endpoints: z
        .array(endpointSchema)
        .max(MAX_PEER_ENDPOINTS)
        .optional()
        .describe("the addresses to give this requester (may be empty); the announced ones when absent"),
    }),
    result: z.object({
      endpoints: z.array(endpointSchema).optional(),
      key: z.string().optional(),
      device: deviceSchema.optional().describe("the requester's device"),
      master: publicKeySchema.optional().describe("the requester's master key"),
    }),
    auth: true,
    summary: "Accepts or declines a direct-chat request.",
    errors: ["NO_SUCH_REQUEST", "INVALID_PARAMS"],
  }),
  "p2p.cancel": op({
    params: z.object({
      requestId: z.string().max(64),
      reason: cancelReasonSchema
        .optional()
        .describe("`key-changed`: the key the hub gave for the target is not the one this client trusts"),
    }),
    result: empty,
    auth: true,
    summary: "Withdraws your unanswered direct-chat request (the target gets `p2p.cancelled`).",
    errors: ["NO_SUCH_REQUEST"],
  }),
  "p2p.relay": op({
    params: z.object({ requestId: z.string().max(64) }),
    result: z.object({ channel: z.number().int() }),
    auth: true,
    summary: "Opens (or joins) the hub relay channel for an accepted request.",
    errors: ["NO_SUCH_REQUEST"],
  }),
  "admin.users": op({
    params: z.object({
      query: z.string().max(64).optional().describe("username or display-name prefix"),
      after: name.optional().describe("the last username of the previous page"),
      limit: adminPage.optional().describe("default 100"),
    }),
    result: z.object({ users: z.array(adminUserSchema) }),
    auth: true,
    summary: "Server admins: every account (suspended ones too), by username, a page at a time.",
    errors: ADMIN_ERRORS,
  }),
  "admin.grant": op({
    params: z.object({ username: name, on: z.boolean() }),
    result: empty,
    auth: true,
    summary: "Server admins: makes a user a server admin (`on: true`) or no longer one.",
    errors: [...ADMIN_ERRORS, "NO_SUCH_USER"],
  }),
  "admin.password": op({
    params: z.object({
      username: name,
      password: text.optional().describe("the new password; absent: make a one-time reset token"),
    }),
    result: z.object({
      resetToken: z.string().optional().describe("for the user's `password.reset`; shown once"),
      expiresAt: z.number().int().optional(),
    }),
    auth: true,
    summary:
      "Server admins: sets a user's password, or makes a one-time reset token valid for 24 h; either way every session of the user ends.",
    errors: [...ADMIN_ERRORS, "NO_SUCH_USER", "WEAK_PASSWORD"],
  }),
  "admin.suspend": op({
    params: z.object({ username: name, reason: reason.min(1) }),
    result: empty,
    auth: true,
    summary:
      "Server admins: suspends an account on every node at once — its connections get `session.ended` (reason `suspended`, with the reason) and close; `login` and `resume` answer `SUSPENDED` until lifted.",
    errors: [...ADMIN_ERRORS, "NO_SUCH_USER"],
  }),
  "admin.unsuspend": op({
    params: z.object({ username: name }),
    result: empty,
    auth: true,
    summary: "Server admins: lifts a suspension.",
    errors: [...ADMIN_ERRORS, "NO_SUCH_USER"],
  }),
  "admin.delete": op({
    params: z.object({
      username: name,
      erase: z
        .boolean()
        .optional()
        .describe(
          'true: also erase their messages and their files; default: keep them, shown as from "deleted user"',
        ),
    }),
    result: empty,
    auth: true,
    summary:
      "Server admins: deletes an account — sessions end, it leaves every room (with succession), its settings go; the name becomes free.",
    errors: [...ADMIN_ERRORS, "NO_SUCH_USER"],
  }),
  "admin.rooms": op({
    params: z.object({
      query: z.string().max(64).optional().describe("room name prefix"),
      after: name.optional().describe("the last room name of the previous page"),
      limit: adminPage.optional().describe("default 100"),
    }),
    result: z.object({ rooms: z.array(adminRoomSchema) }),
    auth: true,
    summary:
      "Server admins: every room with owner, member count and last seq, by name, a page at a time; `query` filters by prefix.",
    errors: ADMIN_ERRORS,
  }),
  "admin.room.delete": op({
    params: z.object({ room: name, reason: reason.optional() }),
    result: empty,
    auth: true,
    summary: "Server admins: takes a room down (deletes it with its history); members get `room.deleted`.",
    errors: [...ADMIN_ERRORS, "NO_SUCH_ROOM"],
  }),
  "admin.room.owner": op({
    params: z.object({ room: name, username: name }),
    result: empty,
    auth: true,
    summary:
      "Server admins: makes a user the room's owner (joining them if need be); the old owner becomes an admin. Members get `role.changed` (reason `transferred`).",
    errors: [...ADMIN_ERRORS, "NO_SUCH_ROOM", "NO_SUCH_USER"],
  }),
  "admin.connections": op({
    params: z.object({ username: name }),
    result: z.object({ connections: z.array(adminConnectionSchema) }),
    auth: true,
    summary: "Server admins: a user's open connections on every node of the hub.",
    errors: [...ADMIN_ERRORS, "NO_SUCH_USER"],
  }),
  "admin.kick": op({
    params: z.object({ username: name }),
    result: empty,
    auth: true,
    summary:
      "Server admins: ends every session of a user on every node (`session.ended`, reason `kicked`); they may log in again.",
    errors: [...ADMIN_ERRORS, "NO_SUCH_USER"],
  }),
  "admin.audit": op({
    params: z.object({
      before: z.number().int().optional().describe("an entry id"),
      limit: adminPage.optional(),
    }),
    result: z.object({ entries: z.array(auditEntrySchema) }),
    auth: true,
    summary: "Server admins: the audit log of admin actions, newest first (default 100).",
    errors: ADMIN_ERRORS,
  }),
} as const;

export type OpName = keyof typeof ops;
export type OpParams<O extends OpName> = z.infer<(typeof ops)[O]["params"]>;
export type OpResult<O extends OpName> = z.infer<(typeof ops)[O]["result"]>;

export function isOpName(value: string): value is OpName {
  return Object.prototype.hasOwnProperty.call(ops, value);
}

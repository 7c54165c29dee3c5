/** Shapes of the objects that travel inside replies and events. */
import { z } from "zod";
import { e2eCopySchema } from "./e2e.js";
import { QUOTE_CHARS } from "./limits.js";
import { clientTagsSchema } from "./tags.js";

export const roleSchema = z.enum(["owner", "admin", "member"]);
export type Role = z.infer<typeof roleSchema>;

export const userSchema = z.object({
  username: z.string(),
  displayName: z.string(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  online: z.boolean(),
  lastSeen: z.number().int().optional().describe("ms since epoch; present when offline"),
});
export type User = z.infer<typeof userSchema>;

export const sessionSchema = z.object({
  token: z.string(),
  expiresAt: z.number().int(),
});
export type SessionInfo = z.infer<typeof sessionSchema>;

export const roomSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  members: z.number().int(),
  online: z.number().int().optional(),
  capacity: z.number().int().optional(),
  locked: z.boolean().describe("true when the room has a password"),
  topicLocked: z
    .boolean()
    .optional()
    .describe("true (the default) when only admins and the owner may set the description; false: any member"),
  topicBy: z.string().optional().describe("who last set the description"),
  topicAt: z.number().int().optional().describe("when the description was last set"),
  moderated: z
    .boolean()
    .optional()
    .describe("true when only the owner, admins and voiced members may post (false by default)"),
  secret: z
    .boolean()
    .optional()
    .describe(
      "true when the room is left out of `rooms.list` for users who are not members (false by default); it is still joined by name",
    ),
  joined: z.boolean(),
  owner: z.string().optional(),
  createdAt: z.number().int().optional(),
  lastSeq: z.number().int().optional(),
  readSeq: z.number().int().optional().describe("your read marker, for rooms you are in"),
  e2e: z
    .boolean()
    .optional()
    .describe("true for an end-to-end encrypted room: messages carry `e2e`, the hub cannot read them"),
});
export type Room = z.infer<typeof roomSchema>;

export const briefRoomSchema = z.object({
  name: z.string(),
  locked: z.boolean(),
  joined: z.boolean(),
});

export const memberSchema = z.object({
  username: z.string(),
  role: roleSchema,
  joinedAt: z.number().int(),
  online: z.boolean(),
  voiced: z
    .boolean()
    .optional()
    .describe("true when the member may post in a moderated room whatever their role (`room.voice`)"),
});
export type Member = z.infer<typeof memberSchema>;

export const banSchema = z.object({
  username: z.string(),
  byName: z
    .boolean()
    .optional()
    .describe("a name ban: no account had the name when banned; it keeps out whoever holds the name"),
  by: z.string(),
  at: z.number().int(),
  reason: z.string().optional(),
});
export type Ban = z.infer<typeof banSchema>;

export const fileInfoSchema = z.object({
  id: z.string(),
  name: z.string().describe("the name given by the uploader (no folders)"),
  size: z.number().int().describe("bytes"),
  type: z.string().describe("media type sniffed from the bytes by the hub, not the uploader's claim"),
  width: z.number().int().optional().describe("images: pixels"),
  height: z.number().int().optional().describe("images: pixels"),
  thumbnail: z
    .object({ width: z.number().int(), height: z.number().int(), type: z.string() })
    .optional()
    .describe("images: a small preview at `GET /v1/files/<id>/thumbnail`"),
});
export type FileInfo = z.infer<typeof fileInfoSchema>;

/** A reply's quote of its original: enough to show it on one line without another request. */
export const quoteSchema = z.object({
  from: z.string(),
  text: z
    .string()
    .describe(`the original's first line, at most ${QUOTE_CHARS} characters; empty once deleted`),
  deleted: z.literal(true).optional().describe("the original was deleted"),
});
export type Quote = z.infer<typeof quoteSchema>;

export const reactionCountSchema = z.object({ count: z.number().int(), me: z.boolean() });
export type ReactionCount = z.infer<typeof reactionCountSchema>;

export const messageSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  ts: z.number().int(),
  from: z.string(),
  room: z.string().optional(),
  user: z.string().optional().describe("for DMs: the other party as seen by the receiver"),
  body: z.string().describe("may be empty when `file` is set"),
  file: fileInfoSchema.optional().describe("the attached file, if any"),
  cid: z.string().optional().describe("only on the sender's own copies"),
  muted: z.boolean().optional(),
  notice: z
    .literal(true)
    .optional()
    .describe(
      "a notice (IRC NOTICE): an automated or informational message; shown apart, never answered automatically",
    ),
  clientTags: clientTagsSchema.optional().describe("client-only tags the sender attached (IRCv3 `+name`)"),
  e2e: e2eCopySchema
    .optional()
    .describe("in an end-to-end encrypted room: the sealed message (then `body` is empty)"),
  replyTo: z.string().optional().describe("the id of the message this one answers (same conversation)"),
  quote: quoteSchema.optional().describe("with `replyTo`: the original's author and first line"),
  replyToSeq: z
    .number()
    .int()
    .optional()
    .describe("with `replyTo`: the original's seq in the conversation (IRC builds its msgid from it)"),
  editedAt: z.number().int().optional().describe("ms since epoch of the last edit; `body` is the latest"),
  deleted: z.literal(true).optional().describe("a tombstone: the message was deleted, `body` is empty"),
  deletedBy: z.string().optional().describe("with `deleted`: who deleted it (the author or a room admin)"),
  reactions: z
    .record(z.string(), reactionCountSchema)
    .optional()
    .describe("history only: emoji → how many reacted and whether you did (blocked users not counted)"),
});
export type Message = z.infer<typeof messageSchema>;

/** A message found by `search`: the message as history shows it, with a snippet around the matches. */
export const searchResultSchema = messageSchema.extend({
  snippet: z.string().describe("a piece of the body around the matches, `…` where cut"),
  highlights: z
    .array(z.tuple([z.number().int(), z.number().int()]))
    .describe("[start, end) UTF-16 offsets of the matched words in `snippet`"),
});
export type SearchResult = z.infer<typeof searchResultSchema>;

export const conversationSchema = z.object({
  user: z.string(),
  lastSeq: z.number().int(),
  unread: z.number().int(),
});
export type Conversation = z.infer<typeof conversationSchema>;

/** Why a direct-chat request was withdrawn: plainly, or because the requester refuses the target's key. */
export const cancelReasonSchema = z.enum(["withdrawn", "key-changed"]);
export type CancelReason = z.infer<typeof cancelReasonSchema>;

/** Why a direct-chat request to you went away: the requester's reasons, or `answered` on another of your devices. */
export const cancelledReasonSchema = z.enum(["withdrawn", "key-changed", "answered"]);
export type CancelledReason = z.infer<typeof cancelledReasonSchema>;

/** A public key as it travels: base64 of its DER SubjectPublicKeyInfo. */
export const publicKeySchema = z.string().min(1).max(2048);

/** A device id: the first 8 bytes of SHA-256 over the device's identity key (SPKI DER), as 16 hex digits. */
export const deviceIdSchema = z.string().regex(/^[0-9a-f]{16}$/, "a device id is 16 lowercase hex digits");

/**
 * One device of a user, as the hub lists it. The keys are the device's own; `signature` is the user's
 * master key's Ed25519 signature over the device statement (src/protocol/devices.ts). Clients check it
 * themselves: the hub stores and hands it out, and is not trusted to vouch for it.
 */
export const deviceSchema = z.object({
  id: deviceIdSchema,
  key: publicKeySchema.describe("identity key (ECDSA P-256): pinned in the peers' TLS handshake"),
  signKey: publicKeySchema.optional().describe("Ed25519 key the device signs with (e2e rooms)"),
  encKey: publicKeySchema.optional().describe("X25519 key others encrypt to this device with (e2e rooms)"),
  name: z.string().optional().describe("a label the user gave the device; not signed"),
  signature: z.string().optional().describe("the user's master key's signature of this device (base64)"),
  createdAt: z.number().int(),
  lastSeen: z.number().int(),
});
export type Device = z.infer<typeof deviceSchema>;

/** A user's devices and the master key that signs them. */
export const userDevicesSchema = z.object({
  user: z.string(),
  master: publicKeySchema.optional().describe("the user's master key (Ed25519), when one was published"),
  devices: z.array(deviceSchema),
});
export type UserDevices = z.infer<typeof userDevicesSchema>;

export const endpointSchema = z.object({
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
});
export type Endpoint = z.infer<typeof endpointSchema>;

/**
 * Why presence changed: `quit` — the client closed the connection itself (close code 1000 or 1001, e.g.
 * the app was quit); `disconnect` — the connection broke or the hub closed it; `timeout` — it stopped
 * answering pings; `logout` — the session ended.
 */
export const presenceReasonSchema = z
  .enum(["login", "logout", "timeout", "disconnect", "quit"])
  .describe(
    "`quit`: the client closed its connection (code 1000/1001); `disconnect`: the connection broke or the hub closed it; `timeout`: no pongs; `logout`: the session ended",
  );
export type PresenceReason = z.infer<typeof presenceReasonSchema>;

/**
 * Why the hub ended a session: `logout` elsewhere, a `password` change, hub `shutdown`, or a server
 * admin's action — `suspended`, `kicked` (sessions ended, may log in again), account `deleted`.
 */
export const sessionEndSchema = z.enum(["logout", "password", "shutdown", "suspended", "kicked", "deleted"]);
export type SessionEndReason = z.infer<typeof sessionEndSchema>;

/** A user as a server admin sees it (`admin.users`). */
export const adminUserSchema = z.object({
  username: z.string(),
  displayName: z.string(),
  createdAt: z.number().int(),
  lastSeen: z.number().int().optional(),
  online: z.boolean(),
  admin: z.boolean().describe("a server admin"),
  suspended: z
    .object({ at: z.number().int(), reason: z.string() })
    .optional()
    .describe("present while the account is suspended"),
});
export type AdminUser = z.infer<typeof adminUserSchema>;

/** A room as a server admin sees it (`admin.rooms`): every room, members or not. */
export const adminRoomSchema = z.object({
  name: z.string(),
  owner: z.string().optional(),
  members: z.number().int(),
  locked: z.boolean(),
  createdAt: z.number().int(),
  lastSeq: z.number().int(),
});
export type AdminRoom = z.infer<typeof adminRoomSchema>;

/** One open connection of a user (`admin.connections`). */
export const adminConnectionSchema = z.object({
  id: z.string().describe("node:number"),
  node: z.string(),
  address: z.string(),
  since: z.number().int().describe("ms since epoch, when the connection opened"),
});
export type AdminConnection = z.infer<typeof adminConnectionSchema>;

/** One entry of the audit log of admin actions (`admin.audit`). */
export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.number().int(),
  actor: z.string().describe("the admin's username, or `operator` for `parley admin` on a data folder"),
  action: z.string(),
  target: z.string().optional(),
  detail: z.string().optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

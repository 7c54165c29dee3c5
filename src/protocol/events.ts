/** Events the hub pushes, by name. One table, so an event name is never a loose string elsewhere. */
import { z } from "zod";
import { QUIT_MESSAGE_MAX } from "./limits.js";
import type { KnownEventName } from "./event-names.js";
import {
  cancelledReasonSchema,
  deviceIdSchema,
  deviceSchema,
  endpointSchema,
  publicKeySchema,
  messageSchema,
  presenceReasonSchema,
  roleSchema,
  roomSchema,
  sessionEndSchema,
  userSchema,
} from "./model.js";
import { clientTagsSchema } from "./tags.js";

/**
 * Where an edit, deletion or reaction happened: `room`, or for a DM `conv` — the resume cursor key
 * "dm:USER" with the other party's name (`user` is the reacting user in `reaction`).
 */
const convTarget = {
  room: z.string().optional(),
  conv: z.string().optional().describe('for DMs: "dm:" and the other party\'s username'),
};

export const events = {
  message: messageSchema.describe("A room or DM message (also replayed after `resume`)."),
  "message.edited": z
    .object({
      ...convTarget,
      id: z.string().describe("the message edited"),
      seq: z.number().int().describe("the edit's own seq in the conversation"),
      msgSeq: z
        .number()
        .int()
        .optional()
        .describe("the seq of the message edited (absent in events from older hubs)"),
      from: z.string().describe("the author (who edited)"),
      body: z.string(),
      editedAt: z.number().int(),
      cid: z.string().optional().describe("only on the editor's own copies"),
      muted: z.boolean().optional(),
    })
    .describe("A message was edited (also replayed after `resume`)."),
  "message.deleted": z
    .object({
      ...convTarget,
      id: z.string().describe("the message deleted"),
      seq: z.number().int().describe("the deletion's own seq in the conversation"),
      msgSeq: z
        .number()
        .int()
        .optional()
        .describe("the seq of the message deleted (absent in events from older hubs)"),
      by: z.string().describe("the author, or the room admin who removed it"),
      cid: z.string().optional().describe("only on the deleter's own copies"),
    })
    .describe("A message was deleted: drop its body, keep a tombstone (also replayed after `resume`)."),
  reaction: z
    .object({
      ...convTarget,
      id: z.string().describe("the message reacted to"),
      seq: z.number().int().describe("the reaction's own seq in the conversation"),
      msgSeq: z
        .number()
        .int()
        .optional()
        .describe("the seq of the message reacted to (absent in events from older hubs)"),
      emoji: z.string(),
      user: z.string().describe("who reacted"),
      on: z.boolean().describe("added (true) or taken back (false)"),
      cid: z.string().optional().describe("only on the reacting user's own copies"),
    })
    .describe("A reaction was added or removed (also replayed after `resume`)."),
  tagmsg: z
    .object({
      id: z.string().describe("this event's id (not a message's: nothing is stored)"),
      ts: z.number().int(),
      from: z.string(),
      room: z.string().optional(),
      user: z.string().optional().describe("for DMs: the other party as seen by the receiver"),
      clientTags: clientTagsSchema,
      cid: z.string().optional().describe("only on the sender's own copies"),
    })
    .describe(
      "Client tags sent alone (`msg.tagmsg`, IRC `TAGMSG`: typing notices, IRC reactions): live only, never stored or replayed; clients may ignore it.",
    ),
  presence: z
    .object({
      username: z.string(),
      online: z.boolean(),
      reason: presenceReasonSchema,
      message: z
        .string()
        .max(QUIT_MESSAGE_MAX)
        .optional()
        .describe(
          "with reason `quit`: the user's parting words, when their last connection said some (IRC `QUIT :text`); one line, no control characters",
        ),
    })
    .describe("A user who shares a room or DM with you came online or went offline."),
  "user.updated": z.object({ user: userSchema }).describe("A user's profile changed."),
  "user.renamed": z.object({ from: z.string(), to: z.string() }).describe("A user changed username."),
  "member.joined": z
    .object({ room: z.string(), username: z.string(), role: roleSchema })
    .describe("Someone joined a room you are in."),
  "member.left": z
    .object({
      room: z.string(),
      username: z.string(),
      reason: z.enum(["left", "kicked", "banned"]),
      by: z.string().optional().describe("who kicked or banned"),
      message: z
        .string()
        .optional()
        .describe("the reason given: by the member leaving (`left`), or by the kicker or banner"),
    })
    .describe("Someone left or was removed from a room you are in."),
  "role.changed": z
    .object({
      room: z.string(),
      username: z.string(),
      role: roleSchema,
      by: z.string().optional(),
      reason: z.enum(["promoted", "demoted", "succession", "transferred"]),
    })
    .describe("A member's role changed."),
  "voice.changed": z
    .object({
      room: z.string(),
      username: z.string(),
      voiced: z.boolean(),
      by: z.string().describe("the admin or owner who gave or took it"),
    })
    .describe("A member was given voice or had it taken (`room.voice`)."),
  "room.updated": z
    .object({ room: roomSchema, by: z.string().optional().describe("who changed it") })
    .describe("A room's description, password, capacity, topic lock, moderation or secrecy changed."),
  "room.deleted": z.object({ room: z.string() }).describe("A room you were in no longer exists."),
  kicked: z
    .object({ room: z.string(), by: z.string(), reason: z.string().optional() })
    .describe("You were kicked from a room."),
  banned: z
    .object({ room: z.string(), by: z.string(), reason: z.string().optional() })
    .describe("You were banned from a room."),
  invited: z
    .object({
      room: z.string(),
      by: z.string().describe("who invited you"),
      expiresAt: z.number().int().describe("join before this to use the invitation"),
    })
    .describe(
      "You were invited to a room: `room.join` lets you in once, past its password and capacity, until `expiresAt`.",
    ),
  "settings.changed": z
    .object({
      muted: z.object({ rooms: z.array(z.string()), users: z.array(z.string()) }),
      blocked: z.array(z.string()),
    })
    .describe("Your mutes or blocks changed (on another device, or this one)."),
  "read.changed": z
    .object({ room: z.string().optional(), user: z.string().optional(), seq: z.number().int() })
    .describe("Your read marker moved on another device."),
  "p2p.request": z
    .object({
      requestId: z.string(),
      from: z.string(),
      key: z.string(),
      device: deviceSchema.optional().describe("the requester's device"),
      master: publicKeySchema.optional().describe("the requester's master key"),
      to: deviceIdSchema.optional().describe("the one device of yours asked; all of them when absent"),
    })
    .describe("Someone asks you for a direct chat."),
  "p2p.answered": z
    .object({
      requestId: z.string(),
      accept: z.boolean(),
      endpoints: z.array(endpointSchema).optional(),
      key: z.string().optional(),
      device: deviceSchema.optional().describe("the device that accepted"),
      master: publicKeySchema.optional().describe("the accepting user's master key"),
    })
    .describe("Your direct-chat request was answered."),
  "p2p.cancelled": z
    .object({ requestId: z.string(), reason: cancelledReasonSchema.optional() })
    .describe(
      "A direct-chat request to you was withdrawn before you answered it, or (`answered`) taken on another of your devices.",
    ),
  "devices.changed": z
    .object({
      change: z.enum(["added", "signed", "revoked", "master"]),
      device: deviceIdSchema.optional(),
    })
    .describe(
      "Your device list changed (on this device or another): a device added, signed or revoked, or a new master key.",
    ),
  "session.ended": z
    .object({
      reason: sessionEndSchema,
      message: z.string().optional().describe("for a person: e.g. why the account was suspended"),
    })
    .describe("The hub ended this connection's session."),
} as const;

export type EventName = keyof typeof events;

// The zod-free list of names (event-names.ts) must name exactly these events.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const eventNamesMatch: Same<EventName, KnownEventName> = true;
export type EventData<E extends EventName> = z.infer<(typeof events)[E]>;
export type AnyEvent = { [E in EventName]: { ev: E } & EventData<E> }[EventName];

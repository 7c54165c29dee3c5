/**
 * The event names, without their schemas: what a client that does not validate frames (the browser
 * client, see src/client/core/frame-check.ts) needs to tell known events from newer ones. events.ts
 * checks at compile time that this list and its table name the same events.
 */
export const EVENT_NAMES = [
  "message",
  "message.edited",
  "message.deleted",
  "reaction",
  "tagmsg",
  "presence",
  "user.updated",
  "user.renamed",
  "member.joined",
  "member.left",
  "role.changed",
  "voice.changed",
  "room.updated",
  "room.deleted",
  "kicked",
  "banned",
  "invited",
  "settings.changed",
  "read.changed",
  "p2p.request",
  "p2p.answered",
  "p2p.cancelled",
  "devices.changed",
  "session.ended",
] as const;

export type KnownEventName = (typeof EVENT_NAMES)[number];

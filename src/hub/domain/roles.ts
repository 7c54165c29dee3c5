/** Who may do what in a room: pure functions of roles, tested without a store or a socket. */
import type { Role } from "../../protocol/model.js";
import { fail } from "./errors.js";

const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

export function rank(role: Role | undefined): number {
  return role === undefined ? 0 : RANK[role];
}

export function isModerator(role: Role | undefined): boolean {
  return role === "owner" || role === "admin";
}

/** Kick, ban and unban: an admin or the owner, on someone of lower rank (a non-member has rank 0). */
export function assertCanModerate(actor: Role | undefined, target: Role | undefined, action: string): void {
  if (!isModerator(actor)) fail("FORBIDDEN", `only admins and the owner may ${action}`);
  if (rank(target) >= rank(actor)) fail("FORBIDDEN", `you may only ${action} users of lower rank`);
}

export function assertCanPromote(actor: Role | undefined, target: Role): void {
  if (!isModerator(actor)) fail("FORBIDDEN", "only admins and the owner may promote");
  if (target === "owner") fail("FORBIDDEN", "the owner cannot be promoted");
}

export function assertCanDemote(actor: Role | undefined, target: Role): void {
  if (actor !== "owner") fail("FORBIDDEN", "only the owner may demote admins");
  if (target === "owner")
    fail("FORBIDDEN", "the owner cannot be demoted; leave the room to pass ownership on");
}

export function assertCanUpdate(actor: Role | undefined): void {
  if (!isModerator(actor)) fail("FORBIDDEN", "only admins and the owner may change the room");
}

/**
 * Setting the description (topic): any member when the room's topic is not locked, else admins and the
 * owner (as any other change of the room).
 */
export function assertCanSetTopic(actor: Role | undefined, topicLocked: boolean): void {
  if (actor === undefined) fail("FORBIDDEN", "only members may set the topic");
  if (topicLocked && !isModerator(actor)) {
    fail("FORBIDDEN", "only admins and the owner may set the topic here (the topic is locked)");
  }
}

/**
 * Inviting: admins and the owner; in a room without a password also any member (an invitation there
 * only lets someone past the capacity, which the room's members share anyway).
 */
export function assertCanInvite(actor: Role | undefined, hasPassword: boolean): void {
  if (actor === undefined) fail("NOT_MEMBER", "only members may invite to a room");
  if (hasPassword && !isModerator(actor)) {
    fail("FORBIDDEN", "only admins and the owner may invite to a room with a password");
  }
}

/** Giving or taking voice: admins and the owner, to any member (voice adds nothing to their own rank). */
export function assertCanVoice(actor: Role | undefined): void {
  if (!isModerator(actor)) fail("FORBIDDEN", "only admins and the owner may give or take voice");
}

/**
 * Posting to a room (a message, a reply, a file): any member, but in a moderated room only the owner,
 * admins and voiced members. Edits and deletions of one's own earlier messages, and reactions, are not
 * posts and stay allowed.
 */
export function mayPost(member: { role: Role; voiced: boolean }, moderated: boolean): boolean {
  return !moderated || isModerator(member.role) || member.voiced;
}

export function assertCanPost(
  member: { role: Role; voiced: boolean },
  moderated: boolean,
  room: string,
): void {
  if (!mayPost(member, moderated)) {
    fail("FORBIDDEN", `${room} is moderated: only the owner, admins and voiced members may post`);
  }
}

/** A secret room is shown in room lists (and IRC WHOIS) only to its members. */
export function isListedTo(room: { secret: boolean }, isMember: boolean): boolean {
  return !room.secret || isMember;
}

export function assertCanDelete(actor: Role | undefined): void {
  if (actor !== "owner") fail("FORBIDDEN", "only the owner may delete the room");
}

export function assertCanSeeBans(actor: Role | undefined): void {
  if (!isModerator(actor)) fail("FORBIDDEN", "only admins and the owner may see the bans");
}

/**
 * Succession: when the owner leaves, the longest-standing remaining admin becomes owner; if there is
 * none, the longest-standing remaining member. `members` is ordered longest-standing first.
 */
export function successor<M extends { userId: number; role: Role }>(
  members: readonly M[],
  leaving: number,
): M | undefined {
  const remaining = members.filter((m) => m.userId !== leaving);
  return remaining.find((m) => m.role === "admin") ?? remaining[0];
}

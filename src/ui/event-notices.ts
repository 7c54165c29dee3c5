/**
 * The system notices the client prints for hub events (joins, leaves, kicks, role changes, presence …):
 * which view each goes to and what it says. Texts here may contain names from the network; the pane
 * sanitizes every notice before printing.
 */
import type { AnyEvent, PresenceReason, Room } from "../protocol/index.js";
import { dmKey, roomKey, type ClientState } from "../client/core/index.js";
import type { NoticeLevel } from "./notices.js";
import { STATUS_VIEW, type ViewKey } from "./view-keys.js";

export interface EventNotice {
  view: ViewKey;
  text: string;
  level: NoticeLevel;
  /** Also show it on the one-line notice bar (it concerns you directly). */
  flash?: boolean;
}

/** Why someone went offline, in words (the reasons are the hub's, see PresenceReason). */
const OFFLINE: Record<PresenceReason, string> = {
  quit: "quit",
  logout: "logged out",
  timeout: "connection timed out",
  disconnect: "connection lost",
  login: "",
};

function because(reason: string | undefined): string {
  return reason ? ` (${reason})` : "";
}

/** Views that show a user's presence: rooms you share with them and your DM with them. */
function viewsOf(state: ClientState, username: string): ViewKey[] {
  const views: ViewKey[] = [];
  for (const room of Object.values(state.rooms)) if (room.members[username]) views.push(room.key);
  if (state.dms[username]) views.push(dmKey(username));
  return views;
}

/**
 * @param state the client state after the event was applied (a kicked user's room is already gone).
 * @param me your username.
 * @param previous for `room.updated`: the room's settings before, so the notice says what changed; for
 *   `kicked`: the room as it was, so the way back names its password.
 */
export function noticesFor(ev: AnyEvent, state: ClientState, me: string, previous?: Room): EventNotice[] {
  const system = (view: ViewKey, text: string, flash = false): EventNotice => ({
    view,
    text,
    level: "system",
    flash,
  });
  switch (ev.ev) {
    case "member.joined":
      return [system(roomKey(ev.room), `${ev.username} joined #${ev.room}`)];
    case "member.left": {
      const what = { left: "left", kicked: "was kicked from", banned: "was banned from" }[ev.reason];
      if (ev.username === me) return [];
      // A leaver's own words; a kick's or ban's reason goes to the one removed (kicked/banned).
      const why = ev.reason === "left" ? because(ev.message) : "";
      return [system(roomKey(ev.room), `${ev.username} ${what} #${ev.room}${why}`)];
    }
    case "role.changed": {
      const role = ev.role === "owner" ? "the owner" : `${ev.role === "admin" ? "an" : "a"} ${ev.role}`;
      const who = ev.username === me ? "You are" : `${ev.username} is`;
      const how =
        ev.reason === "succession" ? "the previous owner left" : `${ev.reason} by ${ev.by ?? "an admin"}`;
      return [system(roomKey(ev.room), `${who} now ${role} of #${ev.room} (${how})`, ev.username === me)];
    }
    case "voice.changed": {
      const who = ev.username === me ? "You" : ev.username;
      const text = ev.voiced
        ? `${who} may now post in #${ev.room} when it is moderated (voice given by ${ev.by})`
        : `${who} no longer ${ev.username === me ? "have" : "has"} voice in #${ev.room} (taken by ${ev.by})`;
      return [system(roomKey(ev.room), text, ev.username === me)];
    }
    case "room.updated":
      return roomChanges(previous, ev.room).map((text) => system(roomKey(ev.room.name), text));
    case "room.deleted":
      return [system(STATUS_VIEW, `#${ev.room} was deleted`, true)];
    case "kicked":
      return [
        {
          view: STATUS_VIEW,
          text: `You were kicked from #${ev.room} by ${ev.by}${because(ev.reason)}; ${
            previous?.locked
              ? `/join ${ev.room} PASSWORD to come back (it has a password)`
              : `/join ${ev.room} to come back`
          }`,
          level: "error",
          flash: true,
        },
      ];
    case "banned":
      return [
        {
          view: STATUS_VIEW,
          text: `You were banned from #${ev.room} by ${ev.by}${because(ev.reason)}`,
          level: "error",
          flash: true,
        },
      ];
    case "invited": {
      const until = new Date(ev.expiresAt).toISOString().slice(0, 16).replace("T", " ");
      return [
        {
          view: STATUS_VIEW,
          text: `${ev.by} invited you to #${ev.room}: /join ${ev.room} lets you in once (until ${until} UTC)`,
          level: "info",
          flash: true,
        },
      ];
    }
    case "presence": {
      if (ev.username === me) return [];
      const text = ev.online
        ? `${ev.username} is online`
        : `${ev.username} went offline (${OFFLINE[ev.reason]})`;
      return viewsOf(state, ev.username).map((v) => system(v, text));
    }
    case "user.renamed": {
      const views = viewsOf(state, ev.to);
      const text = `${ev.from} is now known as ${ev.to}`;
      const fallback: ViewKey[] = [STATUS_VIEW];
      return (views.length > 0 ? views : fallback).map((v) => system(v, text));
    }
    case "session.ended": {
      const text = {
        logout: "This session was logged out (from another device?); log in again",
        password: "Your password was changed elsewhere; log in again",
        shutdown: "The hub is restarting; the client reconnects by itself",
        suspended: `Your account was suspended by the hub's administrators${ev.message ? `: ${ev.message}` : ""}`,
        kicked: "A hub administrator ended your session; log in again",
        deleted: "Your account was deleted by the hub's administrators",
      }[ev.reason];
      return [{ view: STATUS_VIEW, text, level: ev.reason === "shutdown" ? "info" : "error", flash: true }];
    }
    default:
      return [];
  }
}

/** What a `room.updated` changed, one line each; everything when the old settings are unknown. */
export function roomChanges(before: Room | undefined, after: Room): string[] {
  const name = `#${after.name}`;
  const lines: string[] = [];
  if (!before || before.description !== after.description) {
    lines.push(
      after.description ? `Topic of ${name} is now: ${after.description}` : `${name} has no topic now`,
    );
  }
  if (!before || before.locked !== after.locked) {
    lines.push(after.locked ? `${name} now needs a password to join` : `${name} no longer needs a password`);
  }
  if (!before || before.capacity !== after.capacity) {
    lines.push(
      after.capacity
        ? `${name} now takes at most ${after.capacity} members`
        : `${name} has no member limit now`,
    );
  }
  if (before && (before.topicLocked ?? true) !== (after.topicLocked ?? true)) {
    lines.push(
      after.topicLocked === false
        ? `Any member of ${name} may set its topic now`
        : `Only admins and the owner of ${name} may set its topic now`,
    );
  }
  if (before && (before.moderated ?? false) !== (after.moderated ?? false)) {
    lines.push(
      after.moderated
        ? `${name} is moderated now: only the owner, admins and voiced members may post`
        : `${name} is no longer moderated: every member may post`,
    );
  }
  if (before && (before.secret ?? false) !== (after.secret ?? false)) {
    lines.push(
      after.secret
        ? `${name} is secret now: it is not listed to non-members`
        : `${name} is no longer secret: it is listed to everyone`,
    );
  }
  // A new password on a room that already had one changes nothing visible but is still news; an update
  // that changed nothing visible on a room without one (e.g. the topic lock set as it was) is not.
  if (lines.length > 0 || !before?.locked || !after.locked) return lines;
  return [`${name} has a new password`];
}

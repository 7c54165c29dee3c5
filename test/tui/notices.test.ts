/** The notification rule and the texts of system notices (pure functions; the e2e test shows them on screen). */
import { describe, expect, it } from "vitest";
import type { ClientState, MessageNotice } from "../../src/client/index.js";
import type { Room } from "../../src/protocol/index.js";
import { noticesFor, roomChanges } from "../../src/ui/event-notices.js";
import { notificationFor } from "../../src/ui/notify.js";

function notice(over: Partial<MessageNotice>): MessageNotice {
  return {
    key: "room:general",
    message: { id: "1", seq: 1, ts: 0, from: "bob", room: "general", body: "hi" },
    own: false,
    muted: false,
    mention: false,
    focused: false,
    ...over,
  };
}

describe("notificationFor", () => {
  it("a room message elsewhere: notice, no bell", () => {
    expect(notificationFor(notice({}))).toEqual({ notice: true, bell: false });
  });
  it("a room message in view: nothing", () => {
    expect(notificationFor(notice({ focused: true }))).toEqual({ notice: false, bell: false });
  });
  it("a mention or a DM rings the bell, in view or not", () => {
    expect(notificationFor(notice({ mention: true }))).toEqual({ notice: true, bell: true });
    expect(notificationFor(notice({ key: "dm:bob", focused: true }))).toEqual({ notice: false, bell: true });
  });
  it("muted rooms and users, and your own messages, never notify", () => {
    expect(notificationFor(notice({ muted: true, mention: true }))).toEqual({ notice: false, bell: false });
    expect(notificationFor(notice({ key: "dm:bob", muted: true }))).toEqual({ notice: false, bell: false });
    expect(notificationFor(notice({ own: true, key: "dm:bob" }))).toEqual({ notice: false, bell: false });
  });
});

const room = (over: Partial<Room> = {}): Room => ({
  name: "general",
  members: 2,
  locked: false,
  joined: true,
  ...over,
});

const emptyState = {
  me: null,
  hub: null,
  rooms: {},
  dms: {},
  users: {},
  online: [],
  muted: { rooms: [], users: [] },
  blocked: [],
  outbox: [],
  focus: null,
} satisfies ClientState;

describe("noticesFor", () => {
  it("says who joined, left, was kicked or banned, in the room's view", () => {
    expect(
      noticesFor(
        { ev: "member.joined", room: "general", username: "bob", role: "member" },
        emptyState,
        "alice",
      ),
    ).toEqual([{ view: "room:general", text: "bob joined #general", level: "system", flash: false }]);
    const left = (reason: "left" | "kicked" | "banned") =>
      noticesFor({ ev: "member.left", room: "general", username: "bob", reason }, emptyState, "alice")[0]
        ?.text;
    expect(left("left")).toBe("bob left #general");
    expect(left("kicked")).toBe("bob was kicked from #general");
    expect(left("banned")).toBe("bob was banned from #general");
    const [withReason] = noticesFor(
      { ev: "member.left", room: "general", username: "bob", reason: "left", message: "off to bed" },
      emptyState,
      "alice",
    );
    expect(withReason?.text).toBe("bob left #general (off to bed)");
  });

  it("tells you on the notice bar that you were invited, and how to use it", () => {
    const expiresAt = Date.UTC(2026, 11, 4, 18, 30);
    expect(noticesFor({ ev: "invited", room: "club", by: "alice", expiresAt }, emptyState, "bob")).toEqual([
      {
        view: "status",
        text: "alice invited you to #club: /join club lets you in once (until 2026-12-04 18:30 UTC)",
        level: "info",
        flash: true,
      },
    ]);
  });

  it("tells you, on the notice bar, that you were kicked, banned or made owner", () => {
    const [kicked] = noticesFor(
      { ev: "kicked", room: "general", by: "alice", reason: "spam" },
      emptyState,
      "bob",
    );
    expect(kicked).toMatchObject({ view: "status", level: "error", flash: true });
    expect(kicked?.text).toBe("You were kicked from #general by alice (spam); /join general to come back");
    const [owner] = noticesFor(
      { ev: "role.changed", room: "general", username: "bob", role: "owner", reason: "succession" },
      emptyState,
      "bob",
    );
    expect(owner).toMatchObject({
      text: "You are now the owner of #general (the previous owner left)",
      flash: true,
    });
  });

  it("shows presence in the rooms and DM you share with that person", () => {
    const state: ClientState = {
      ...emptyState,
      rooms: {
        general: {
          members: { bob: { username: "bob", role: "member", joinedAt: 0, online: true } },
          key: "room:general",
        },
        other: { members: {}, key: "room:other" },
      } as unknown as ClientState["rooms"],
      dms: { bob: { key: "dm:bob" } } as unknown as ClientState["dms"],
    };
    const views = noticesFor(
      { ev: "presence", username: "bob", online: false, reason: "timeout" },
      state,
      "alice",
    );
    expect(views.map((v) => [v.view, v.text])).toEqual([
      ["room:general", "bob went offline (connection timed out)"],
      ["dm:bob", "bob went offline (connection timed out)"],
    ]);
    const offline = (reason: "quit" | "logout" | "disconnect") =>
      noticesFor({ ev: "presence", username: "bob", online: false, reason }, state, "alice")[0]?.text;
    expect(offline("quit")).toBe("bob went offline (quit)");
    expect(offline("logout")).toBe("bob went offline (logged out)");
    expect(offline("disconnect")).toBe("bob went offline (connection lost)");
  });

  it("says what a room update changed", () => {
    expect(roomChanges(room(), room({ description: "New" }))).toEqual(["Topic of #general is now: New"]);
    expect(roomChanges(room({ description: "Old" }), room())).toEqual(["#general has no topic now"]);
    expect(roomChanges(room(), room({ locked: true, capacity: 5 }))).toEqual([
      "#general now needs a password to join",
      "#general now takes at most 5 members",
    ]);
    expect(roomChanges(room({ locked: true }), room({ locked: true }))).toEqual([
      "#general has a new password",
    ]);
    expect(roomChanges(room(), room({ topicLocked: false }))).toEqual([
      "Any member of #general may set its topic now",
    ]);
    expect(roomChanges(room({ topicLocked: false }), room({ topicLocked: true }))).toEqual([
      "Only admins and the owner of #general may set its topic now",
    ]);
    expect(roomChanges(room({ topicLocked: true }), room({ topicLocked: true }))).toEqual([]);
    expect(roomChanges(undefined, room())).toHaveLength(3);
    expect(roomChanges(room(), room({ moderated: true }))).toEqual([
      "#general is moderated now: only the owner, admins and voiced members may post",
    ]);
    expect(roomChanges(room({ moderated: true }), room({ moderated: false }))).toEqual([
      "#general is no longer moderated: every member may post",
    ]);
    expect(roomChanges(room({ secret: false }), room({ secret: true }))).toEqual([
      "#general is secret now: it is not listed to non-members",
    ]);
    expect(roomChanges(room({ secret: true }), room())).toEqual([
      "#general is no longer secret: it is listed to everyone",
    ]);
  });

  it("tells a room's members who was given or lost voice, and you on the notice bar", () => {
    const voice = (username: string, voiced: boolean) =>
      noticesFor({ ev: "voice.changed", room: "general", username, voiced, by: "alice" }, emptyState, "bob");
    expect(voice("carol", true).map((n) => [n.text, n.flash])).toEqual([
      ["carol may now post in #general when it is moderated (voice given by alice)", false],
    ]);
    expect(voice("bob", false).map((n) => [n.text, n.flash])).toEqual([
      ["You no longer have voice in #general (taken by alice)", true],
    ]);
  });
});

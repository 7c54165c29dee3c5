/** Who may do what in a room: the pure rules of src/hub/domain/roles.ts, every pair of roles. */
import { describe, expect, it } from "vitest";
import type { Role } from "../../src/protocol/model.js";
import { DomainError } from "../../src/hub/domain/errors.js";
import {
  assertCanDelete,
  assertCanDemote,
  assertCanModerate,
  assertCanPromote,
  assertCanSeeBans,
  assertCanPost,
  assertCanUpdate,
  assertCanVoice,
  isListedTo,
  isModerator,
  mayPost,
  rank,
  successor,
} from "../../src/hub/domain/roles.js";

type Who = Role | undefined;
const ALL: Who[] = ["owner", "admin", "member", undefined];

function allowed(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("FORBIDDEN");
    return false;
  }
}

/** The actor/target pairs a check allows, as "actor>target" strings ("none" for a non-member). */
function matrix(check: (actor: Who, target: Who) => void, targets: Who[] = ALL): string[] {
  return ALL.flatMap((actor) =>
    targets
      .filter((target) => allowed(() => check(actor, target)))
      .map((t) => `${actor ?? "none"}>${t ?? "none"}`),
  );
}

describe("rank", () => {
  it("orders owner > admin > member > non-member", () => {
    expect(ALL.map(rank)).toEqual([3, 2, 1, 0]);
    expect(ALL.map(isModerator)).toEqual([true, true, false, false]);
  });
});

describe("kick, ban and unban (assertCanModerate)", () => {
  it("allows the owner and admins on lower ranks only", () => {
    expect(matrix((a, t) => assertCanModerate(a, t, "kick"))).toEqual([
      "owner>admin",
      "owner>member",
      "owner>none",
      "admin>member",
      "admin>none",
    ]);
  });
  it("names the action in its message", () => {
    expect(() => assertCanModerate("member", "member", "ban")).toThrow(/ban/);
    expect(() => assertCanModerate("admin", "admin", "kick")).toThrow(/lower rank/);
  });
});

describe("promote and demote", () => {
  const members: Role[] = ["owner", "admin", "member"];
  it("lets the owner and admins promote anyone but the owner", () => {
    expect(matrix((a, t) => assertCanPromote(a, t as Role), members)).toEqual([
      "owner>admin",
      "owner>member",
      "admin>admin",
      "admin>member",
    ]);
  });
  it("lets only the owner demote, and never the owner", () => {
    expect(matrix((a, t) => assertCanDemote(a, t as Role), members)).toEqual(["owner>admin", "owner>member"]);
  });
});

describe("update, delete, see bans", () => {
  it("lets moderators update and see bans, and only the owner delete", () => {
    const who = (check: (a: Who) => void) => ALL.filter((a) => allowed(() => check(a)));
    expect(who(assertCanUpdate)).toEqual(["owner", "admin"]);
    expect(who(assertCanSeeBans)).toEqual(["owner", "admin"]);
    expect(who(assertCanDelete)).toEqual(["owner"]);
  });
});

describe("successor", () => {
  const m = (userId: number, role: Role) => ({ userId, role });
  it("picks the longest-standing admin over longer-standing members", () => {
    const members = [m(1, "owner"), m(2, "member"), m(3, "admin"), m(4, "admin")];
    expect(successor(members, 1)?.userId).toBe(3);
  });
  it("picks the longest-standing member when there is no admin", () => {
    expect(successor([m(5, "member"), m(1, "owner"), m(6, "member")], 1)?.userId).toBe(5);
  });
  it("never picks the one leaving, and nobody when they were alone", () => {
    expect(successor([m(1, "owner")], 1)).toBeUndefined();
    expect(successor([], 1)).toBeUndefined();
    expect(successor([m(1, "admin"), m(2, "owner")], 1)?.userId).toBe(2);
  });
});

describe("moderated rooms, voice and secret rooms", () => {
  it("gives and takes voice: admins and the owner only", () => {
    expect(ALL.map((r) => allowed(() => assertCanVoice(r)))).toEqual([true, true, false, false]);
  });

  it("posts in a moderated room: owner, admins and voiced members; anyone in a room that is not", () => {
    const roles: Role[] = ["owner", "admin", "member"];
    expect(roles.map((role) => mayPost({ role, voiced: false }, true))).toEqual([true, true, false]);
    expect(roles.map((role) => mayPost({ role, voiced: true }, true))).toEqual([true, true, true]);
    expect(roles.map((role) => mayPost({ role, voiced: false }, false))).toEqual([true, true, true]);
    expect(() => assertCanPost({ role: "member", voiced: false }, true, "stage")).toThrow(
      /stage is moderated/,
    );
    expect(allowed(() => assertCanPost({ role: "member", voiced: true }, true, "stage"))).toBe(true);
  });

  it("lists a secret room only to its members", () => {
    expect(isListedTo({ secret: true }, false)).toBe(false);
    expect(isListedTo({ secret: true }, true)).toBe(true);
    expect(isListedTo({ secret: false }, false)).toBe(true);
  });
});

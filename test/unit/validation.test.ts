/** The pure checks of src/hub/domain/validation.ts: names, passwords, bodies, descriptions. */
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/hub/domain/errors.js";
import {
  checkBody,
  checkDescription,
  checkPassword,
  checkPersonName,
  checkRoomName,
  checkRoomPassword,
  checkUsername,
} from "../../src/hub/domain/validation.js";

function codeOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).code;
  }
}

describe("checkUsername", () => {
  it("accepts 3–32 of a-z 0-9 _ - in any case, keeping the spelling", () => {
    for (const ok of ["abc", "A_b-9", "x".repeat(32), "___"]) expect(checkUsername(ok)).toBe(ok);
  });
  it("refuses anything else with INVALID_USERNAME", () => {
    for (const bad of ["ab", "x".repeat(33), "a b", "ünïcode", "dot.ted", "tab\tbed", "", "emoji😀"]) {
      expect(
        codeOf(() => checkUsername(bad)),
        bad,
      ).toBe("INVALID_USERNAME");
    }
  });
});

describe("checkPassword", () => {
  it("accepts 8+ characters that are neither common nor the username", () => {
    expect(codeOf(() => checkPassword("correct horse battery staple", "alice"))).toBeUndefined();
    expect(codeOf(() => checkPassword("8 chars!", "alice"))).toBeUndefined();
  });
  it("refuses short, overlong, common (any case) and username-equal passwords", () => {
    expect(codeOf(() => checkPassword("7 chars", "alice"))).toBe("WEAK_PASSWORD");
    expect(codeOf(() => checkPassword("x".repeat(1025), "alice"))).toBe("WEAK_PASSWORD");
    expect(codeOf(() => checkPassword("PASSWORD123", "alice"))).toBe("WEAK_PASSWORD");
    expect(codeOf(() => checkPassword("12345678", "alice"))).toBe("WEAK_PASSWORD");
    expect(codeOf(() => checkPassword("Alice-In-Chains", "alice-in-chains"))).toBe("WEAK_PASSWORD");
  });
});

describe("checkRoomName", () => {
  it("accepts 1–48 of a-z 0-9 _ -", () => {
    for (const ok of ["a", "General", "dev-ops_2", "x".repeat(48)]) expect(checkRoomName(ok)).toBe(ok);
  });
  it("refuses anything else with INVALID_NAME", () => {
    for (const bad of ["", "x".repeat(49), "two words", "#hash", "naïve", "a/b"]) {
      expect(
        codeOf(() => checkRoomName(bad)),
        bad,
      ).toBe("INVALID_NAME");
    }
  });
});

describe("checkBody", () => {
  it("trims, keeps newlines and tabs inside, counts characters not UTF-16 units", () => {
    expect(checkBody("  line one\n\tline two  ")).toBe("line one\n\tline two");
    expect(checkBody("😀".repeat(4000))).toHaveLength(8000);
    expect(checkBody("x".repeat(10), 10)).toBe("x".repeat(10));
  });
  it("refuses empty (after trimming) and too long", () => {
    expect(codeOf(() => checkBody(""))).toBe("EMPTY_BODY");
    expect(codeOf(() => checkBody(" \n\t\r "))).toBe("EMPTY_BODY");
    expect(codeOf(() => checkBody("x".repeat(4001)))).toBe("BODY_TOO_LONG");
    expect(codeOf(() => checkBody("😀".repeat(4001)))).toBe("BODY_TOO_LONG");
    expect(codeOf(() => checkBody("x".repeat(11), 10))).toBe("BODY_TOO_LONG");
  });
  it("refuses control characters other than newline and tab, and direction overrides", () => {
    for (const bad of [
      "\u0000",
      "\u0007",
      "\u0008",
      "\u000b",
      "\u000c",
      "a\rb",
      "\u001b[31m",
      "\u007f",
      "\u0085",
      "\u009b",
      "\u202e",
      "\u2066",
    ]) {
      expect(
        codeOf(() => checkBody(`x${bad}y`)),
        JSON.stringify(bad),
      ).toBe("INVALID_PARAMS");
    }
  });
});

describe("checkPersonName and checkDescription", () => {
  it("trims names and refuses empty, over 64 characters, or any control character", () => {
    expect(checkPersonName("  Ada  ", "displayName")).toBe("Ada");
    expect(checkPersonName("😀".repeat(64), "displayName")).toHaveLength(128);
    for (const bad of ["", "   ", "x".repeat(65), "tab\there", "new\nline", "\u001b[0m", "\u202eevil"]) {
      expect(
        codeOf(() => checkPersonName(bad, "firstName")),
        JSON.stringify(bad),
      ).toBe("INVALID_PARAMS");
    }
  });
  it("allows multi-line descriptions up to 500 characters, no other control characters", () => {
    expect(checkDescription("  about\nthings  ")).toBe("about\nthings");
    expect(checkDescription("")).toBe("");
    expect(codeOf(() => checkDescription("x".repeat(501)))).toBe("INVALID_PARAMS");
    expect(codeOf(() => checkDescription("\u0007"))).toBe("INVALID_PARAMS");
  });
  it("names the field in the error", () => {
    try {
      checkPersonName("", "lastName");
      expect.unreachable();
    } catch (error) {
      expect((error as DomainError).extra.field).toBe("lastName");
    }
  });
});

describe("checkRoomPassword", () => {
  it("accepts 1–1024 characters", () => {
    expect(checkRoomPassword("x")).toBe("x");
    expect(codeOf(() => checkRoomPassword(""))).toBe("INVALID_PARAMS");
    expect(codeOf(() => checkRoomPassword("x".repeat(1025)))).toBe("INVALID_PARAMS");
  });
});

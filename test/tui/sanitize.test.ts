import { describe, expect, it } from "vitest";
import { sanitize } from "../../src/tui/render/sanitize.js";

describe("sanitize", () => {
  it("keeps ordinary text, including non-Latin scripts and emoji", () => {
    expect(sanitize("héllo wörld — 你好 🎉")).toBe("héllo wörld — 你好 🎉");
  });

  it("removes CSI sequences (colours, cursor moves, screen clears)", () => {
    expect(sanitize("a\u001b[31mred\u001b[0m b\u001b[2J\u001b[1;1H c")).toBe("ared b c");
    expect(sanitize("x\u001b[?1049hy")).toBe("xy");
  });

  it("removes OSC sequences terminated by BEL or ST, including fake hyperlinks and title changes", () => {
    expect(sanitize("a\u001b]0;evil title\u0007b")).toBe("ab");
    expect(sanitize("a\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\b")).toBe("aclickb");
  });

  it("removes DCS, APC, PM and SOS strings", () => {
    expect(sanitize("a\u001bPq#0;2;0;0;0\u001b\\b")).toBe("ab");
    expect(sanitize("a\u001b_payload\u001b\\b\u001b^pm\u001b\\c\u001bXsos\u001b\\d")).toBe("abcd");
  });

  it("drops an unterminated string sequence to the end instead of leaking it", () => {
    expect(sanitize("safe\u001b]0;never terminated")).toBe("safe");
    expect(sanitize("safe\u001b[12")).toBe("safe");
  });

  it("removes two-byte and nF escape sequences", () => {
    expect(sanitize("a\u001bcb\u001b(Bc\u001b7d")).toBe("abcd");
  });

  it("removes 8-bit C1 controls, including C1 CSI and OSC with their bodies", () => {
    expect(sanitize("a\u009b31mb")).toBe("ab");
    expect(sanitize("a\u009d0;title\u009cb")).toBe("ab");
    expect(sanitize("a\u0085b\u008dc")).toBe("abc");
  });

  it("removes C0 controls and DEL; bell and backspace cannot act", () => {
    expect(sanitize("ding\u0007 back\u0008\u0008 nul\u0000 del\u007f")).toBe("ding back nul del");
  });

  it("removes bidi overrides, isolates and other invisible reordering characters", () => {
    expect(sanitize("abc\u202edcba\u202c \u2066x\u2069 \u200fy\u200e \ufeffz")).toBe("abcdcba x y z");
  });

  it("keeps line breaks only in multiline mode, and turns lone CR into a line break (no overprinting)", () => {
    expect(sanitize("one\ntwo", { multiline: true })).toBe("one\ntwo");
    expect(sanitize("one\ntwo")).toBe("one two");
    expect(sanitize("one\r\ntwo", { multiline: true })).toBe("one\ntwo");
    expect(sanitize("hidden\rshown", { multiline: true })).toBe("hidden\nshown");
  });

  it("expands tabs to spaces so widths are predictable", () => {
    expect(sanitize("a\tb")).toBe("a    b");
  });

  it("an ESC inside a string sequence ends it and starts a new sequence", () => {
    expect(sanitize("a\u001b]0;t\u001b[31mb")).toBe("ab");
  });
});

import { describe, expect, it } from "vitest";
import { complete } from "../../src/tui/input/complete.js";

const at = (value: string) => ({ value, cursor: value.length });

describe("tab completion", () => {
  const people = ["alice", "bob", "bobby", "carol"];

  it("completes a nick at the start of the line with ': '", () => {
    expect(complete(at("car"), people)).toEqual(at("carol: "));
  });

  it("completes a nick later in the line with a space, keeping an @", () => {
    expect(complete(at("hi @al"), people)).toEqual(at("hi @alice "));
    expect(complete(at("hi AL"), people)).toEqual(at("hi alice "));
  });

  it("extends to the shared prefix when several match, and does nothing when that adds nothing", () => {
    expect(complete(at("b"), people)).toEqual(at("bob"));
    expect(complete(at("bob"), people)).toBeNull();
  });

  it("completes commands and rooms", () => {
    expect(complete(at("/pro"), ["/promote", "/part"])).toEqual(at("/promote "));
    expect(complete(at("/join #gen"), ["#general", "alice"])).toEqual(at("/join #general "));
  });

  it("keeps the text after the cursor", () => {
    expect(complete({ value: "ali and me", cursor: 3 }, people)).toEqual({
      value: "alice:  and me",
      cursor: 7,
    });
  });

  it("does nothing without a word or a match", () => {
    expect(complete(at("hello "), people)).toBeNull();
    expect(complete(at("zed"), people)).toBeNull();
  });
});

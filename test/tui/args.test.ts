import { describe, expect, it } from "vitest";
import { ArgsError, parseArgs, splitCommand, tokenize } from "../../src/ui/commands/args.js";

describe("splitCommand", () => {
  it("reads the name (lower-cased) and the rest", () => {
    expect(splitCommand("/JOIN  general secret")).toEqual({ name: "join", args: "general secret" });
    expect(splitCommand("/help")).toEqual({ name: "help", args: "" });
  });
  it("treats ordinary text and // lines as messages", () => {
    expect(splitCommand("hello")).toBeNull();
    expect(splitCommand("//not a command")).toBeNull();
  });
});

describe("tokenize", () => {
  it("splits on whitespace and honours quotes and escapes", () => {
    expect(tokenize(`a "b c" 'd "e"' f\\ g "h\\"i"`).map((t) => t.text)).toEqual([
      "a",
      "b c",
      'd "e"',
      "f g",
      'h"i',
    ]);
  });
  it("joins quoted parts of one word", () => {
    expect(tokenize(`--desc="two words"`).map((t) => t.text)).toEqual(["--desc=two words"]);
  });
  it("rejects an unterminated quote", () => {
    expect(() => tokenize(`"open`)).toThrow(ArgsError);
  });
});

describe("parseArgs", () => {
  const create = {
    flags: { password: "string", capacity: "number", desc: "string", clear: "boolean" },
  } as const;

  it("separates flags (space or = forms) from positionals", () => {
    expect(parseArgs(`room --password "s3 cret" --capacity=20 --desc 'Book club'`, create)).toEqual({
      positional: ["room"],
      flags: { password: "s3 cret", capacity: 20, desc: "Book club" },
    });
  });

  it("boolean flags take no value", () => {
    expect(parseArgs("--clear", create).flags).toEqual({ clear: true });
    expect(() => parseArgs("--clear=1", create)).toThrow(/takes no value/);
  });

  it("names the known options when one is unknown", () => {
    expect(() => parseArgs("room --pasword x", create)).toThrow(
      /unknown option --pasword \(options: --password/,
    );
    expect(() => parseArgs("--x")).toThrow(/takes no options/);
  });

  it("checks numbers and missing values", () => {
    expect(() => parseArgs("room --capacity ten", create)).toThrow(/whole number/);
    expect(() => parseArgs("room --password", create)).toThrow(/needs a value/);
  });

  it("-- ends the options", () => {
    expect(parseArgs("-- --password", create)).toEqual({ positional: ["--password"], flags: {} });
  });

  it("takes the raw rest of the line when asked, quotes and spacing included", () => {
    expect(parseArgs(`bob  I "really"  mean --it`, { restFrom: 1 })).toEqual({
      positional: ["bob", `I "really"  mean --it`],
      flags: {},
    });
    expect(parseArgs("bob", { restFrom: 1 }).positional).toEqual(["bob"]);
  });
});

/** docs/terminal-client.md stays in step with the app: every command and every key is documented. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/tui/commands/registry.js";
import { KEY_HELP } from "../../src/tui/keys-help.js";

const doc = readFileSync(new URL("../../docs/terminal-client.md", import.meta.url), "utf8");

describe("docs/terminal-client.md", () => {
  it("has the section the README takes, with a screen capture", () => {
    expect(doc).toMatch(/^# Using the terminal client$/m);
    expect(doc).toContain("[online]");
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))("documents /%s and its aliases", (name, c) => {
    expect(doc).toMatch(new RegExp("`/" + name + "[ `]"));
    for (const alias of c.aliases ?? []) expect(doc).toContain("`/" + alias + "`");
  });

  it.each(KEY_HELP.map(([key]) => [key]))("documents the key %s", (key) => {
    for (const part of key.split(/ \/ |, /)) {
      const name = part.replace(" … ", "` … `");
      expect(doc).toContain("`" + name + "`");
    }
  });
});

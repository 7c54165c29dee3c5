import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { README, syncedReadme } from "../../scripts/sync-readme.js";

describe("README.md", () => {
  it("carries the current docs/terminal-client.md (run `npm run docs:readme` when this fails)", () => {
    const readme = readFileSync(README, "utf8");
    expect(readme).toBe(syncedReadme(readme));
  });
  it("shows the quick start and the test command", () => {
    const readme = readFileSync(README, "utf8");
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toContain("npm test");
  });
});

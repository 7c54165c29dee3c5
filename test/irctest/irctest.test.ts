/**
 * A slice of the irctest conformance suite inside `npm test` (the whole selection is
 * `npm run test:irctest`; docs/irc.md). Skipped, saying why, where python3 with pytest 9 or the
 * suite is missing. Uses the compiled hub when `npm run build` has run (faster), else the sources.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { missing, pytestArgs, pytestEnv, ROOT, SUBSET } from "../../scripts/irctest.js";

const why = missing();
if (why) console.warn(`irctest subset skipped: ${why}`);

describe.skipIf(why !== undefined)("irctest conformance (subset)", () => {
  it(`passes ${SUBSET.join(", ")}`, { timeout: 300_000 }, () => {
    const run = spawnSync("python3", pytestArgs(SUBSET, ["-q", "--tb=short", "-p", "no:randomly"]), {
      cwd: ROOT,
      env: pytestEnv(),
      encoding: "utf8",
    });
    const summary = run.stdout.trim().split("\n").at(-1) ?? "";
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(summary).toMatch(/\d+ passed/);
    expect(summary).not.toMatch(/failed|error/);
  });
});

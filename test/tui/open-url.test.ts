/**
 * openInBrowser tells success from failure: the `open` package only spawns an opener, so its exit is
 * watched. Real processes stand in for the browser opener (`true`, `false`, a missing program, one that
 * keeps running like an opener waiting for its browser).
 */
import { describe, expect, it } from "vitest";
import { OpenFailedError, openInBrowser } from "../../src/tui/open-url.js";

const URL = "https://example.org/page";

describe("openInBrowser", () => {
  it("resolves when the opener succeeds", async () => {
    await expect(openInBrowser(URL, { app: { name: "true" } })).resolves.toBeUndefined();
  });

  it("rejects with OpenFailedError when the opener fails or cannot run", async () => {
    await expect(openInBrowser(URL, { app: { name: "false" } })).rejects.toThrow(
      new OpenFailedError(URL, "the opener exited with code 1"),
    );
    await expect(openInBrowser(URL, { app: { name: "/nonexistent/parley-opener" } })).rejects.toBeInstanceOf(
      OpenFailedError,
    );
  });

  it("takes an opener still running after the grace time as a browser starting", async () => {
    // `sleep 5 URL` fails at once (URL is no number); `sh -c 'sleep 5' URL` keeps running.
    await expect(
      openInBrowser(URL, { app: { name: "sh", arguments: ["-c", "sleep 5"] }, graceMs: 300 }),
    ).resolves.toBeUndefined();
  });
});

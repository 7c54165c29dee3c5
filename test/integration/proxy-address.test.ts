/**
 * Per-address limits behind a reverse proxy (`trustProxy`): through a real hub over wss, connections
 * from a trusted proxy count as the client address its X-Forwarded-For names; from anyone else the
 * header is ignored, so a client cannot choose the address it is limited and logged under.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { TestClient } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";

const hubs: TestHub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.stop();
});

async function hubWithLog(trustProxy?: string): Promise<{ hub: TestHub; addresses: () => string[] }> {
  let logged = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged += chunk.toString();
      done();
    },
  });
  const hub = await startHub({
    ...(trustProxy !== undefined && { config: { trustProxy } }),
    options: { log: pino({ level: "info" }, sink) },
  });
  hubs.push(hub);
  const addresses = () =>
    logged
      .split("\n")
      .filter((line) => line.includes('"connection opened"'))
      .map((line) => (JSON.parse(line) as { address: string }).address);
  return { hub, addresses };
}

const via = (url: string, forwardedFor: string) =>
  TestClient.connect(url, { headers: { "X-Forwarded-For": forwardedFor } });

describe("behind a trusted reverse proxy", () => {
  it("limits failed logins per forwarded client address, not per proxy", async () => {
    const { hub, addresses } = await hubWithLog("127.0.0.1");
    const attacker = await via(hub.url, "6.6.6.6, 203.0.113.7");
    let limitedAfter = 0;
    for (let i = 0; i < 40 && limitedAfter === 0; i++) {
      const code = await attacker.codeOf("login", { username: `ghost-${i}`, password: "guess-guess" });
      if (code === "RATE_LIMITED") limitedAfter = i;
      else expect(code).toBe("BAD_CREDENTIALS");
    }
    // The address budget is 20 failures (regrowing at 20 an hour: none while this test runs).
    expect(limitedAfter).toBe(20);
    // The same client on a new connection is still limited ...
    const again = await via(hub.url, "203.0.113.7");
    expect(await again.codeOf("login", { username: "ghost-x", password: "guess-guess" })).toBe(
      "RATE_LIMITED",
    );
    // ... and everyone else behind the same proxy is not.
    const bystander = await via(hub.url, "198.51.100.9");
    expect(await bystander.codeOf("login", { username: "ghost-y", password: "guess-guess" })).toBe(
      "BAD_CREDENTIALS",
    );
    expect(addresses()).toEqual(["203.0.113.7", "203.0.113.7", "198.51.100.9"]);
  });
});

describe("without a trusted proxy (the default)", () => {
  it("ignores X-Forwarded-For: the connection counts as its TCP peer", async () => {
    const { hub, addresses } = await hubWithLog();
    const client = await via(hub.url, "203.0.113.7");
    expect(await client.codeOf("login", { username: "ghost", password: "guess-guess" })).toBe(
      "BAD_CREDENTIALS",
    );
    expect(addresses()).toEqual(["127.0.0.1"]);
  });
});

/**
 * Password guessing through a real hub, sent at once on many connections: the limits hold because the
 * tokens are taken before the Argon2 check (every BAD_CREDENTIALS / WRONG_PASSWORD reply is one hash;
 * a RATE_LIMITED reply is none), and the owner is not locked out from an address without failures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, TestClient, registerAndLogin } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";

let hub: TestHub;
beforeAll(async () => {
  // The test client connects from 127.0.0.1, which it names the proxy, so each connection can say
  // which client address it stands for.
  hub = await startHub({ config: { trustProxy: "127.0.0.1" } });
});
afterAll(async () => hub.stop());

const from = (address: string) => TestClient.connect(hub.url, { headers: { "X-Forwarded-For": address } });

async function codesAtOnce(clients: TestClient[], send: (c: TestClient, i: number) => Promise<string>) {
  return Promise.all(Array.from({ length: 40 }, (_, i) => send(clients[i % clients.length]!, i)));
}

describe("login guesses at once", () => {
  it("lets at most 5 + 1 of 40 wrong passwords reach Argon2; the owner still logs in elsewhere", async () => {
    const owner = await registerAndLogin(hub.url, "victim");
    await owner.close();
    const attackers = await Promise.all(Array.from({ length: 10 }, () => from("198.51.100.66")));
    const codes = await codesAtOnce(attackers, (c, i) =>
      c.codeOf("login", { username: "victim", password: `guess-number-${i}` }),
    );
    const hashed = codes.filter((code) => code === "BAD_CREDENTIALS").length;
    // The account's 5, plus at most one for the attacker's address while it was still clean.
    expect(hashed).toBeGreaterThanOrEqual(5);
    expect(hashed).toBeLessThanOrEqual(6);
    expect(codes.filter((code) => code === "RATE_LIMITED")).toHaveLength(40 - hashed);
    // The attacker's address is suspect now, even with the right password ...
    expect(await attackers[0]!.codeOf("login", { username: "victim", password: PASSWORD })).toBe(
      "RATE_LIMITED",
    );
    // ... but the owner, from an address with no failures, logs in.
    const home = await from("203.0.113.10");
    const { user } = await home.call("login", { username: "victim", password: PASSWORD });
    expect(user.username).toBe("victim");
    await Promise.all([...attackers, home].map((c) => c.close()));
  });

  it("holds an address to 20 wrong passwords across accounts, however many at once", async () => {
    const sprayers = await Promise.all(Array.from({ length: 10 }, () => from("198.51.100.77")));
    const codes = await codesAtOnce(sprayers, (c, i) =>
      c.codeOf("login", { username: `nobody-${i}`, password: "guess-guess" }),
    );
    expect(codes.filter((code) => code === "BAD_CREDENTIALS")).toHaveLength(20);
    await Promise.all(sprayers.map((c) => c.close()));
  });
});

describe("room password guesses at once", () => {
  it("limits wrong room passwords per user and per room before hashing", async () => {
    const owner = await registerAndLogin(hub.url, "keeper");
    await owner.call("room.create", { name: "vault", password: "the room secret" });
    const guesser = await registerAndLogin(hub.url, "guesser");
    const more = await Promise.all(
      Array.from({ length: 9 }, async () => {
        const c = await TestClient.connect(hub.url);
        await c.call("resume", { token: guesser.token });
        return c;
      }),
    );
    const clients = [guesser, ...more];
    const codes = await codesAtOnce(clients, (c, i) =>
      c.codeOf("room.join", { room: "vault", password: `guess-${i}` }),
    );
    const hashed = codes.filter((code) => code === "WRONG_PASSWORD").length;
    expect(hashed).toBeGreaterThanOrEqual(5);
    expect(hashed).toBeLessThanOrEqual(6);
    expect(codes.filter((code) => code === "RATE_LIMITED")).toHaveLength(40 - hashed);

    // Another user who has not guessed wrong still gets in with the password.
    const friend = await registerAndLogin(hub.url, "friend");
    const joined = await friend.call("room.join", { room: "vault", password: "the room secret" });
    expect(joined.room.name).toBe("vault");
    // The guesser is suspect now: held by the room's brake even with the right password.
    expect(await guesser.codeOf("room.join", { room: "vault", password: "the room secret" })).toBe(
      "RATE_LIMITED",
    );
    await Promise.all([owner, friend, ...clients].map((c) => c.close()));
  });
});

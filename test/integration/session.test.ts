import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, TestClient, login, registerAndLogin } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";

let hub: TestHub;
beforeAll(async () => {
  hub = await startHub();
});
afterAll(async () => hub.stop());

describe("hello", () => {
  it("answers with the server, protocol and limits", async () => {
    const c = await TestClient.connect(hub.url, { hello: false });
    const r = await c.call("hello", { client: "test", protocol: 1 });
    expect(r.protocol).toBe(1);
    expect(r.limits).toEqual({ maxFrameBytes: 65536, maxBodyChars: 4000, historyPage: 50 });
    await c.close();
  });
  it("announces the password rule that register enforces", async () => {
    const c = await TestClient.connect(hub.url, { hello: false });
    const { passwordRule } = await c.call("hello", { client: "test", protocol: 1 });
    expect(passwordRule).toMatchObject({ minLength: 8, maxLength: 1024 });
    expect(passwordRule.description).toContain("8 characters");
    const tooShort = "x".repeat(passwordRule.minLength - 1);
    expect(await c.codeOf("register", { username: "shorty", password: tooShort })).toBe("WEAK_PASSWORD");
    await c.close();
  });
  it("refuses another protocol version", async () => {
    const c = await TestClient.connect(hub.url, { hello: false });
    expect(await c.codeOf("hello", { client: "test", protocol: 2 })).toBe("UNSUPPORTED_PROTOCOL");
    await c.close();
  });
});

describe("register", () => {
  it("creates an account, not logged in", async () => {
    const c = await TestClient.connect(hub.url);
    const { user } = await c.call("register", { username: "Reggie", password: PASSWORD, firstName: "Reg" });
    expect(user).toMatchObject({
      username: "Reggie",
      displayName: "Reggie",
      firstName: "Reg",
      online: false,
    });
    expect(await c.codeOf("users.online")).toBe("UNAUTHENTICATED");
    await c.close();
  });
  it("refuses taken (ignoring case), invalid and weak", async () => {
    const c = await TestClient.connect(hub.url);
    await c.call("register", { username: "taken1", password: PASSWORD });
    expect(await c.codeOf("register", { username: "TAKEN1", password: PASSWORD })).toBe("USERNAME_TAKEN");
    expect(await c.codeOf("register", { username: "no spaces", password: PASSWORD })).toBe(
      "INVALID_USERNAME",
    );
    expect(await c.codeOf("register", { username: "ab", password: PASSWORD })).toBe("INVALID_USERNAME");
    expect(await c.codeOf("register", { username: "weakling", password: "short" })).toBe("WEAK_PASSWORD");
    expect(await c.codeOf("register", { username: "weakling", password: "password123" })).toBe(
      "WEAK_PASSWORD",
    );
    expect(await c.codeOf("register", { username: "weakling", password: "weakling" })).toBe("WEAK_PASSWORD");
    await c.close();
  });
});

describe("login", () => {
  it("opens a session; wrong password is BAD_CREDENTIALS without saying which part", async () => {
    const c = await registerAndLogin(hub.url, "lola");
    expect(c.token.length).toBeGreaterThan(20);
    const d = await TestClient.connect(hub.url);
    const wrongPassword = await d.request("login", { username: "lola", password: "wrong password!" });
    const noUser = await d.request("login", { username: "nobody-here", password: "wrong password!" });
    expect(wrongPassword.ok || noUser.ok).toBe(false);
    if (!wrongPassword.ok && !noUser.ok) {
      expect(wrongPassword.error.code).toBe("BAD_CREDENTIALS");
      expect(noUser.error.code).toBe("BAD_CREDENTIALS");
      expect(wrongPassword.error.message).toBe(noUser.error.message);
    }
    await Promise.all([c.close(), d.close()]);
  });
  it("rate-limits failed logins per account", async () => {
    const c = await registerAndLogin(hub.url, "target");
    const d = await TestClient.connect(hub.url);
    const codes: string[] = [];
    for (let i = 0; i < 7; i++)
      codes.push(await d.codeOf("login", { username: "target", password: `guess-${i}-xxxx` }));
    expect(codes.slice(0, 5)).toEqual(Array(5).fill("BAD_CREDENTIALS"));
    expect(codes[5]).toBe("RATE_LIMITED");
    const limited = await d.request("login", { username: "target", password: PASSWORD });
    expect(limited.ok).toBe(false);
    if (!limited.ok) expect(limited.error.retryAfterMs).toBeGreaterThan(0);
    await Promise.all([c.close(), d.close()]);
  });
});

describe("resume and logout", () => {
  it("resumes by token and replays missed messages", async () => {
    const a = await registerAndLogin(hub.url, "resumer");
    const b = await registerAndLogin(hub.url, "sender1");
    await a.call("room.create", { name: "resume-room" });
    await b.call("room.join", { room: "resume-room" });
    const first = await b.call("msg.send", { room: "resume-room", body: "one", cid: "c1" });
    await a.nextEvent("message", (m) => m.seq === first.seq);
    await a.close();
    await b.call("msg.send", { room: "resume-room", body: "two", cid: "c2" });
    await b.call("msg.send", { user: "resumer", body: "psst", cid: "c3" });
    const again = await TestClient.connect(hub.url);
    const r = await again.call("resume", { token: a.token, cursors: { "room:resume-room": first.seq } });
    expect(r.user.username).toBe("resumer");
    const room = await again.nextEvent("message", (m) => m.room === "resume-room");
    expect(room).toMatchObject({ body: "two", from: "sender1", seq: first.seq + 1 });
    const dm = await again.nextEvent("message", (m) => m.user === "sender1");
    expect(dm.body).toBe("psst");
    await Promise.all([again.close(), b.close()]);
  });
  it("refuses an unknown token", async () => {
    const c = await TestClient.connect(hub.url);
    expect(await c.codeOf("resume", { token: "not-a-token" })).toBe("SESSION_EXPIRED");
    await c.close();
  });
  it("logout ends the session: the token stops working", async () => {
    const a = await registerAndLogin(hub.url, "leaver");
    await a.call("logout");
    expect(await a.codeOf("users.online")).toBe("UNAUTHENTICATED");
    const b = await TestClient.connect(hub.url);
    expect(await b.codeOf("resume", { token: a.token })).toBe("SESSION_EXPIRED");
    const c = await login(hub.url, "leaver");
    expect((await c.call("users.online")).users.map((u) => u.username)).toContain("leaver");
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});

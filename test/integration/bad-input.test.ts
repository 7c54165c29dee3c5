/** Each row of PROTOCOL.md's bad-input table, through a real hub; afterwards the hub still serves. */
import type { Reply } from "../../src/protocol/frames.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient, registerAndLogin } from "../helpers/client.js";
import { capturedLog, startHub, type TestHub } from "../helpers/hub.js";

let hub: TestHub;
const captured = capturedLog("info");
beforeAll(async () => {
  hub = await startHub({
    // A shorter ping interval than the protocol's 15 s so the keep-alive test runs fast; same code path.
    options: { pingIntervalMs: 300, log: captured.log },
  });
});
afterAll(async () => hub.stop());

async function errorOf(client: TestClient, raw: string, re: string | number | null) {
  client.sendRaw(raw);
  const reply = await client.replyTo(re);
  if (reply.ok) throw new Error("expected an error reply");
  return reply.error;
}

describe("frames that are not requests", () => {
  it("not JSON, not an object, missing id or op → BAD_FRAME (with the id when readable)", async () => {
    const c = await TestClient.connect(hub.url);
    expect((await errorOf(c, "{not json", null)).code).toBe("BAD_FRAME");
    c.frames.length = 0;
    expect((await errorOf(c, "[1,2,3]", null)).code).toBe("BAD_FRAME");
    c.frames.length = 0;
    expect((await errorOf(c, '"a string"', null)).code).toBe("BAD_FRAME");
    c.frames.length = 0;
    expect((await errorOf(c, '{"op":"hello"}', null)).code).toBe("BAD_FRAME");
    const missingOp = await errorOf(c, '{"id":"x1"}', "x1");
    expect(missingOp.code).toBe("BAD_FRAME");
    expect(missingOp.message).toMatch(/op/);
    // The connection survives.
    expect((await c.call("hello", { client: "t", protocol: 1 })).protocol).toBe(1);
    await c.close();
  });

  it("unknown op → UNKNOWN_OP", async () => {
    const c = await TestClient.connect(hub.url);
    expect((await errorOf(c, '{"id":7,"op":"launch.rockets"}', 7)).code).toBe("UNKNOWN_OP");
    await c.close();
  });

  it("params of the wrong type → INVALID_PARAMS naming the field", async () => {
    const c = await registerAndLogin(hub.url, "typo");
    const e = await errorOf(c, '{"id":"p","op":"room.create","name":42}', "p");
    expect(e.code).toBe("INVALID_PARAMS");
    expect(e.message).toContain("name");
    const e2 = await errorOf(c, '{"id":"q","op":"msg.send","room":"x","body":["hi"],"cid":"1"}', "q");
    expect(e2.code).toBe("INVALID_PARAMS");
    expect(e2.message).toContain("body");
    await c.close();
  });

  it("a binary frame outside the peer relay → BAD_FRAME", async () => {
    const c = await TestClient.connect(hub.url);
    c.sendRaw(Buffer.from([1, 2, 3, 4]), true);
    expect((await c.replyTo(null)).ok).toBe(false);
    await c.close();
  });
});

describe("limits", () => {
  it("a frame over 64 KiB closes the connection with 1009", async () => {
    const c = await TestClient.connect(hub.url);
    c.sendRaw(JSON.stringify({ id: 1, op: "hello", client: "x".repeat(70 * 1024), protocol: 1 }));
    expect((await c.closed).code).toBe(1009);
  });

  it("more than 20 bad frames in a minute closes with 1008", async () => {
    const c = await TestClient.connect(hub.url);
    for (let i = 0; i < 21; i++) c.sendRaw("garbage");
    expect((await c.closed).code).toBe(1008);
  });

  it("ops other than hello/register/login/resume before auth → UNAUTHENTICATED", async () => {
    const c = await TestClient.connect(hub.url);
    for (const op of ["users.online", "room.create", "msg.send", "logout", "settings"] as const) {
      expect(await c.codeOf(op, {})).toBe("UNAUTHENTICATED");
    }
    await c.close();
  });

  it("no hello in time, or no authentication in time, closes with 1008", async () => {
    // Shorter deadlines than the protocol's 10 s / 60 s so the test runs fast; same code paths.
    const quick = await startHub({ options: { helloTimeoutMs: 300, authTimeoutMs: 1500 } });
    const noHello = await TestClient.connect(quick.url, { hello: false });
    const noAuth = await TestClient.connect(quick.url);
    const authed = await registerAndLogin(quick.url, "intime");
    expect((await noHello.closed).code).toBe(1008);
    expect((await noAuth.closed).code).toBe(1008);
    expect(authed.ws.readyState).toBe(authed.ws.OPEN);
    await authed.close();
    await quick.stop();
  });

  it("a flood of requests gets RATE_LIMITED with retryAfterMs; ignoring it closes the connection", async () => {
    const c = await registerAndLogin(hub.url, "flooder");
    for (let i = 0; i < 100; i++) c.request("settings").catch(() => undefined);
    // Refusals count like bad frames: the 21st in a minute closes the connection (1008).
    expect((await c.closed).code).toBe(1008);
    const replies = c.frames.filter((f): f is Reply => typeof f === "object" && f !== null && "re" in f);
    const limited = replies.filter((r) => !r.ok);
    expect(limited).toHaveLength(21);
    for (const r of limited) {
      if (r.ok) continue;
      expect(r.error.code).toBe("RATE_LIMITED");
      expect(r.error.retryAfterMs).toBeGreaterThan(0);
    }
  });

  it("a connection that stops answering pings is closed and its presence is `timeout`", async () => {
    const watcher = await registerAndLogin(hub.url, "watcher");
    await watcher.call("room.create", { name: "pingroom" });
    const silent = await registerAndLogin(hub.url, "silent");
    await silent.call("room.join", { room: "pingroom" });
    await watcher.nextEvent("member.joined", (e) => e.username === "silent");
    // From now on the client's socket leaves the hub's pings unanswered, as a dead link would.
    silent.ws.pong = () => undefined;
    const gone = await watcher.nextEvent("presence", (e) => e.username === "silent" && !e.online, 5000);
    expect(gone.reason).toBe("timeout");
    await watcher.close();
  });
});

describe("faults", () => {
  it("an internal failure is INTERNAL with a correlation id that is in the log, and no stack trace", async () => {
    const ownLog = capturedLog("info");
    const own = await startHub({ options: { log: ownLog.log } });
    const c = await registerAndLogin(own.url, "victim");
    await c.call("room.create", { name: "doomed" });
    // A real fault: the database goes away under the hub.
    await own.hub.domain.deps.store.close();
    const reply = await c.request("msg.send", { room: "doomed", body: "hello?", cid: "1" });
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.code).toBe("INTERNAL");
    const id = reply.error.correlationId ?? "";
    expect(id).toMatch(/[0-9a-f-]{36}/);
    expect(reply.error.message).toContain(id);
    expect(JSON.stringify(reply)).not.toMatch(/at .*\.ts:\d+/);
    expect(ownLog.text()).toContain(id);
    await c.close();
    await own.stop().catch(() => undefined);
  });
});

describe("after all of that", () => {
  it("the hub still serves a well-behaved client", async () => {
    const a = await registerAndLogin(hub.url, "wellbehaved");
    await a.call("room.create", { name: "calm" });
    const sent = await a.call("msg.send", { room: "calm", body: "all good", cid: "ok-1" });
    const { messages } = await a.call("room.history", { room: "calm" });
    expect(messages.map((m) => m.seq)).toEqual([sent.seq]);
    await a.close();
  });
});

/**
 * `msg.send` racing `room.delete` on one connection (issue 9, item 5): each send is either stored or
 * answered NO_SUCH_ROOM — never INTERNAL, and the hub logs no error (no stack) for this expected race.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { TestClient, registerAndLogin } from "../helpers/client.js";
import { capturedLog, startHub, type TestHub } from "../helpers/hub.js";

let hub: TestHub;
const captured = capturedLog("error");
beforeAll(async () => {
  // Limits off: this test is about the race, and 20 rounds of four sends exceed the message budget.
  hub = await startHub({ config: { rateLimits: false }, options: { log: captured.log } });
});
afterAll(async () => hub.stop());

it("answers each send stored or NO_SUCH_ROOM when the room is deleted at once, 20 rounds", async () => {
  const owner = await registerAndLogin(hub.url, "racer");
  const maker = await TestClient.connect(hub.url);
  await maker.call("resume", { token: owner.token });
  const outcomes: string[] = [];
  for (let round = 0; round < 20; round++) {
    const room = `race-${round}`;
    await maker.call("room.create", { name: room });
    await owner.call("msg.send", { room, body: "before", cid: `${room}-0` });
    // Send, delete, send in one go: the second send passes its membership check while the delete
    // runs and reaches the store after the room's conversation is gone (INTERNAL before the fix).
    const first = owner.request("msg.send", { room, body: "one", cid: `${room}-1` });
    const deleted = owner.request("room.delete", { room });
    const second = owner.request("msg.send", { room, body: "two", cid: `${room}-2` });
    for (const reply of await Promise.all([first, second])) {
      outcomes.push(reply.ok ? "stored" : reply.error.code);
    }
    expect((await deleted).ok).toBe(true);
  }
  expect(outcomes).toHaveLength(40);
  for (const outcome of outcomes) expect(["stored", "NO_SUCH_ROOM"]).toContain(outcome);
  expect(captured.text()).toBe("");
  await Promise.all([owner.close(), maker.close()]);
});

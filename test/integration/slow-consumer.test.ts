/** A client that stops reading is dropped instead of making the hub buffer for it without end. */
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAndLogin } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";

let hub: TestHub;
beforeAll(async () => {
  // A small cap so the test needs megabytes, not hundreds of them; rate limits off to send them fast.
  hub = await startHub({ config: { rateLimits: false }, options: { maxBufferedBytes: 256 * 1024 } });
});
afterAll(async () => hub.stop());

describe("slow consumers", () => {
  it("drops a connection whose client stops reading, tells the room it went offline, and keeps serving", async () => {
    const sender = await registerAndLogin(hub.url, "firehose");
    const stalled = await registerAndLogin(hub.url, "stalled");
    await sender.call("room.create", { name: "flood" });
    await stalled.call("room.join", { room: "flood" });
    await sender.nextEvent("member.joined", (e) => e.username === "stalled");
    // The client's process is alive but never reads its socket again.
    (stalled.ws as unknown as { _socket: Socket })._socket.pause();
    const body = "x".repeat(4000);
    const gone = sender.nextEvent("presence", (e) => e.username === "stalled" && !e.online, 60_000);
    let sent = 0;
    let offline = false;
    void gone.then(() => (offline = true));
    // Bounded: at most 64 MiB of messages, far past the kernel's socket buffers plus the cap.
    while (!offline && sent < 16_000) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          sender.call("msg.send", { room: "flood", body, cid: `f-${sent + i}` }),
        ),
      );
      sent += 50;
    }
    const event = await gone;
    expect(event.reason).toBe("timeout");
    // Every message was stored all the same, and the sender is still served.
    const { messages } = await sender.call("room.history", { room: "flood", limit: 1 });
    expect(messages[0]?.seq).toBe(sent);
    await sender.close();
  }, 90_000);
});

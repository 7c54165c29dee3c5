/**
 * The hub is SIGKILLed while clients are sending; restarted on the same data folder, every message it
 * acknowledged is in the history exactly once (nothing acknowledged before it was committed).
 */
import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/model.js";
import type { TestClient } from "../helpers/client.js";
import { login, registerAndLogin } from "../helpers/client.js";
import { spawnHub, tempDir } from "../helpers/hub.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function allMessages(
  client: TestClient,
  where: { room: string } | { user: string },
): Promise<Message[]> {
  const out: Message[] = [];
  let after = 0;
  for (let page = 0; page < 1000; page++) {
    const op = "room" in where ? "room.history" : "dm.history";
    const { messages } = (await client.call(op, { ...where, after, limit: 200 })) as { messages: Message[] };
    if (messages.length === 0) break;
    out.push(...messages);
    after = messages[messages.length - 1]!.seq;
  }
  return out;
}

describe("crash recovery", () => {
  it("keeps every acknowledged message exactly once across a SIGKILL", async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const first = await spawnHub({ dataDir });
    const senders = await Promise.all(
      ["crash-a", "crash-b", "crash-c"].map((u) => registerAndLogin(first.url, u)),
    );
    await registerAndLogin(first.url, "crash-dm").then((c) => c.close());
    await senders[0]!.call("room.create", { name: "crashroom" });
    await Promise.all(senders.slice(1).map((s) => s.call("room.join", { room: "crashroom" })));

    const acked = new Map<string, number>();
    let stop = false;
    const loops = senders.map(async (client, who) => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const cid = `${who}-${i}`;
        const toRoom = i % 4 !== 3;
        const reply = await client
          .request(
            "msg.send",
            toRoom
              ? { room: "crashroom", body: `m ${cid}`, cid }
              : { user: "crash-dm", body: `d ${cid}`, cid },
          )
          .catch(() => undefined);
        if (!reply) return;
        if (reply.ok) acked.set(cid, reply["seq"] as number);
      }
    });
    // Let the senders run for a while, then pull the plug mid-stream.
    await new Promise((r) => setTimeout(r, 1500));
    await first.kill("SIGKILL");
    stop = true;
    await Promise.all(senders.map((s) => s.ws.terminate()));
    await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 2000))]);
    expect(acked.size).toBeGreaterThan(20);

    const second = await spawnHub({ dataDir, args: ["--port", String(first.port)] });
    try {
      const reader = await login(second.url, "crash-a");
      const roomMessages = await allMessages(reader, { room: "crashroom" });
      const dmReader = await login(second.url, "crash-dm");
      const dmMessages = (
        await Promise.all(["crash-a", "crash-b", "crash-c"].map((u) => allMessages(dmReader, { user: u })))
      ).flat();
      const bodies = [...roomMessages, ...dmMessages].map((m) => m.body);
      expect(new Set(bodies).size).toBe(bodies.length);
      for (const [cid, seq] of acked) {
        const inRoom = Number(cid.split("-")[1]) % 4 !== 3;
        const found = (inRoom ? roomMessages : dmMessages).filter((m) => m.body.endsWith(` ${cid}`));
        expect(found, `acknowledged ${cid}`).toHaveLength(1);
        expect(found[0]!.seq).toBe(seq);
      }
      // seq has no gaps in the room after recovery.
      expect(roomMessages.map((m) => m.seq)).toEqual(roomMessages.map((_m, i) => i + 1));
      // And the hub keeps going: a new message gets the next seq.
      const next = await reader.call("msg.send", {
        room: "crashroom",
        body: "after the crash",
        cid: "after",
      });
      expect(next.seq).toBe(roomMessages.length + 1);
      await Promise.all([reader.close(), dmReader.close()]);
    } finally {
      await second.stop();
    }
  }, 60_000);
});

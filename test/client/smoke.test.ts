import { afterEach, describe, expect, it } from "vitest";
import type { ParleyClient } from "../../src/client/index.js";
import { startHub, type TestHub } from "../helpers/hub.js";
import { removeDir, signUp, tempConfigDir, testClient, waitFor } from "./helpers.js";

describe("ParleyClient against a real hub", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it("logs in, creates and joins a room, chats and DMs", async () => {
    const hub: TestHub = await startHub();
    cleanups.push(() => hub.stop());
    const dir = await tempConfigDir();
    cleanups.push(() => removeDir(dir));
    const alice: ParleyClient = testClient(hub.url, dir);
    const bob: ParleyClient = testClient(hub.url, dir);
    cleanups.push(
      () => alice.close(),
      () => bob.close(),
    );
    const info = await alice.connect();
    expect(info.fingerprint).toBe(hub.fingerprint);
    await bob.connect();
    await signUp(alice, "alice");
    await signUp(bob, "bob");
    await alice.createRoom({ name: "lobby" });
    await bob.joinRoom("lobby");
    await waitFor("alice sees bob join", () => alice.state.rooms["lobby"]?.members["bob"] !== undefined);
    const sent = await alice.send("room:lobby", "hello **bob**");
    expect(sent.seq).toBe(1);
    await waitFor("bob gets it", () => bob.state.rooms["lobby"]?.messages.length === 1);
    expect(bob.state.rooms["lobby"]!.messages[0]!.body).toBe("hello **bob**");
    expect(bob.state.rooms["lobby"]!.unread).toBe(1);
    await bob.send("dm:alice", "psst");
    await waitFor("alice gets the DM", () => alice.state.dms["bob"]?.messages.length === 1);
    expect(alice.state.dms["bob"]!.messages[0]!.from).toBe("bob");
    expect(bob.state.dms["alice"]!.messages.map((m) => m.body)).toEqual(["psst"]);
    expect(alice.state.online).toEqual(expect.arrayContaining(["alice", "bob"]));
  });
});

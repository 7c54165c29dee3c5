/**
 * One user cannot make the hub do unbounded work with rooms (issue 9, item 3): rooms a user may own are
 * capped, creation is rate limited (also when sent at once on several connections), and `rooms.list`
 * is paged with an opaque cursor.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOMS_PAGE, ROOMS_PAGE_MAX } from "../../src/protocol/limits.js";
import { TestClient, registerAndLogin } from "../helpers/client.js";
import { startHub, type TestHub } from "../helpers/hub.js";

let hub: TestHub;
beforeAll(async () => {
  hub = await startHub();
});
afterAll(async () => hub.stop());

async function devices(token: string, n: number): Promise<TestClient[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const c = await TestClient.connect(hub.url);
      await c.call("resume", { token });
      return c;
    }),
  );
}

describe("room creation", () => {
  it("is rate limited per user across connections: 10 at once, then one every 10 s", async () => {
    const flooder = await registerAndLogin(hub.url, "flooder");
    const conns = await devices(flooder.token, 5);
    const codes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        conns[i % conns.length]!.request("room.create", { name: `flood-${i}` }).then((r) =>
          r.ok ? "ok" : r.error.code,
        ),
      ),
    );
    expect(codes.filter((c) => c === "ok")).toHaveLength(10);
    expect(codes.filter((c) => c === "RATE_LIMITED")).toHaveLength(30);
    await Promise.all([flooder, ...conns].map((c) => c.close()));
  });
});

describe("rooms.list paging", () => {
  it("pages every room once, in name order, with nextCursor until the last page", async () => {
    // Rooms from several owners (each may create 10 at once): 3 × 10 = 30, listed 7 at a time.
    const owners = await Promise.all(
      ["pager-a", "pager-b", "pager-c"].map((u) => registerAndLogin(hub.url, u)),
    );
    const made: string[] = [];
    for (const [o, owner] of owners.entries()) {
      for (let i = 0; i < 10; i++) {
        const name = `pg-${String(i).padStart(2, "0")}-${o}`;
        await owner.call("room.create", { name });
        made.push(name);
      }
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await owners[0]!.call("rooms.list", { query: "pg-", limit: 7, ...(cursor && { cursor }) });
      expect(page.rooms.length).toBeLessThanOrEqual(7);
      seen.push(...page.rooms.map((r) => r.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(5);
    expect(seen).toEqual([...made].sort());
    // Without `limit`, the default page; a page larger than the maximum is refused.
    const first = await owners[0]!.call("rooms.list", { query: "pg-" });
    expect(first.rooms).toHaveLength(Math.min(30, ROOMS_PAGE));
    expect(await owners[0]!.codeOf("rooms.list", { limit: ROOMS_PAGE_MAX + 1 })).toBe("INVALID_PARAMS");
    expect(await owners[0]!.codeOf("rooms.list", { cursor: "not-ours" })).toBe("INVALID_PARAMS");
    await Promise.all(owners.map((c) => c.close()));
  });
});

describe("rooms per user", () => {
  it("refuses to create past --max-rooms-per-user owned rooms", async () => {
    const small = await startHub({ config: { maxRoomsPerUser: 3 } });
    try {
      const owner = await registerAndLogin(small.url, "collector");
      for (let i = 0; i < 3; i++) await owner.call("room.create", { name: `col-${i}` });
      expect(await owner.codeOf("room.create", { name: "col-3" })).toBe("FORBIDDEN");
      // Owning one less (here: deleting it) frees a place.
      await owner.call("room.delete", { room: "col-0" });
      await owner.call("room.create", { name: "col-3" });
      await owner.close();
    } finally {
      await small.stop();
    }
  });
});

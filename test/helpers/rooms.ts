/** Rooms for integration tests over the WebSocket protocol. */
import { registerAndLogin, type TestClient } from "./client.js";

let count = 0;

/** A room name not used before in this process (`stem-N`), so events and state never leak between tests. */
export const roomName = (stem: string): string => `${stem}-${++count}`;

/** Creates a fresh room owned by `owner` and joins the others, in order (join order is seniority). */
export async function roomWith(stem: string, owner: TestClient, ...others: TestClient[]): Promise<string> {
  const room = roomName(stem);
  await owner.call("room.create", { name: room });
  for (const c of others) await c.call("room.join", { room });
  return room;
}

/** Signs up and logs in `names` on the hub at `url`, all at once; the clients in the same order. */
export function signUpAll<const Names extends readonly string[]>(
  url: string,
  names: Names,
): Promise<{ [K in keyof Names]: TestClient }> {
  // One client per name, in order: the mapped tuple type says so, which Array#map cannot.
  return Promise.all(names.map((name) => registerAndLogin(url, name))) as Promise<{
    [K in keyof Names]: TestClient;
  }>;
}

/** Rooms for integration tests over the WebSocket protocol. */
import type { TestClient } from "./client.js";

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

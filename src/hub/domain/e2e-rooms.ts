/**
 * End-to-end encrypted rooms, the hub's part (docs/e2e-rooms.md): the hub orders and stores sealed
 * envelopes it cannot open. It checks that a sender is a member, the envelope's shape and sizes and
 * the number of devices, keeps only the sealed keys of current members (so a member removed before
 * the send can never open it, even after coming back), and gives each member the copy with their own
 * devices' keys. It never checks a signature or a counter: members do, trusting nothing it says.
 */
import { recipientsOf, type E2eCopy, type E2eEnvelope } from "../../protocol/e2e.js";
import type { OpParams, OpResult } from "../../protocol/ops.js";
import { fold } from "../ids.js";
import type { MemberRecord, UserId } from "../store/store.js";
import type { Audience } from "./audience.js";
import type { Actor, DomainDeps } from "./context.js";
import { deviceView } from "./devices.js";
import { fail } from "./errors.js";
import type { Rooms } from "./rooms.js";

/** What `messages.body` holds in an e2e room: the copy's common part and every kept member's keys by user id. */
export interface StoredEnvelope {
  header: Omit<E2eCopy, "keys">;
  keys: Record<string, Record<string, string>>;
}

/**
 * Checks an envelope against the room's current members and the device limit; returns what to store
 * (JSON) and the members (by user id) whose keys were kept. Keys for anyone who is not a member now are
 * dropped, not refused: the sender's list may be a moment old, and the signed `to` list still shows
 * every member which devices the sender sealed to.
 */
export function admitEnvelope(
  envelope: E2eEnvelope,
  members: readonly MemberRecord[],
  maxDevices: number,
): { stored: string; envelope: StoredEnvelope } {
  const to = recipientsOf(envelope.keys);
  if (to.length === 0) fail("INVALID_PARAMS", "the message is sealed to no device", { field: "e2e" });
  if (to.length > maxDevices) {
    fail(
      "INVALID_PARAMS",
      `the message is sealed to ${to.length} devices, more than this hub allows in a room (${maxDevices})`,
      { field: "e2e" },
    );
  }
  const byName = new Map(members.map((m) => [fold(m.username) as string, m.userId]));
  const keys: Record<string, Record<string, string>> = {};
  for (const [username, devices] of Object.entries(envelope.keys)) {
    const userId = byName.get(fold(username));
    if (userId !== undefined) keys[String(userId)] = { ...keys[String(userId)], ...devices };
  }
  const { keys: _all, ...rest } = envelope;
  const stored: StoredEnvelope = { header: { ...rest, to }, keys };
  return { stored: JSON.stringify(stored), envelope: stored };
}

/** The stored envelope of a message in an e2e room; undefined for anything else (never throws). */
export function parseStored(body: string): StoredEnvelope | undefined {
  try {
    const parsed = JSON.parse(body) as StoredEnvelope;
    return typeof parsed === "object" && parsed !== null && typeof parsed.header === "object"
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/** One member's copy: the common part and their own devices' keys (none if they were not a member). */
export function copyFor(envelope: StoredEnvelope, userId: UserId): E2eCopy {
  return { ...envelope.header, keys: envelope.keys[String(userId)] ?? {} };
}

export class E2eRooms {
  constructor(
    private readonly deps: DomainDeps,
    private readonly audience: Audience,
    private readonly rooms: Rooms,
  ) {}

  /** `room.devices`: every member's unrevoked devices and master key, for the sender to check and seal to. */
  async devices(actor: Actor, params: OpParams<"room.devices">): Promise<OpResult<"room.devices">> {
    const room = await this.rooms.find(params.room);
    await this.rooms.requireMember(room, actor.userId);
    const { store } = this.deps;
    const members = await this.audience.members(room.id);
    const lists = await Promise.all(
      members.map(async (m) => {
        const [master, devices] = await Promise.all([
          store.getMasterKey(m.userId),
          store.listDevices(m.userId),
        ]);
        return {
          user: m.username,
          ...(master === undefined ? {} : { master }),
          devices: devices.map(deviceView),
        };
      }),
    );
    return { members: lists, maxDevices: this.deps.e2eMaxDevices };
  }
}

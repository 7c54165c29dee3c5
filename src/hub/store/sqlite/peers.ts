/** Peer-to-peer identities the hub publishes: a public key and the endpoints a user listens on. */
import type { Database } from "better-sqlite3";
import { z } from "zod";
import { endpointSchema } from "../../../protocol/model.js";
import type { PeerRecord, UserId } from "../store.js";
import { stmt } from "./keys.js";

// Endpoints are stored as JSON; parsing them back through the schema turns a corrupt row into a clear error.
const endpointsSchema = z.array(endpointSchema);

export class PeerRepo {
  private readonly upsert;
  private readonly byUser;

  constructor(db: Database) {
    this.upsert = stmt<{ user: number; key: string; endpoints: string; at: number }>(
      db,
      `INSERT INTO peers (user_id, key, endpoints, updated_at) VALUES (:user, :key, :endpoints, :at)
       ON CONFLICT (user_id) DO UPDATE SET key = excluded.key, endpoints = excluded.endpoints,
         updated_at = excluded.updated_at`,
    );
    this.byUser = stmt<{ user: number }, { key: string; endpoints: string; updated_at: number }>(
      db,
      `SELECT key, endpoints, updated_at FROM peers WHERE user_id = :user`,
    );
  }

  set(userId: UserId, peer: PeerRecord): void {
    this.upsert.run({
      user: userId,
      key: peer.key,
      endpoints: JSON.stringify(peer.endpoints),
      at: peer.updatedAt,
    });
  }

  get(userId: UserId): PeerRecord | undefined {
    const row = this.byUser.get({ user: userId });
    if (!row) return undefined;
    return {
      key: row.key,
      endpoints: endpointsSchema.parse(JSON.parse(row.endpoints)),
      updatedAt: row.updated_at,
    };
  }
}

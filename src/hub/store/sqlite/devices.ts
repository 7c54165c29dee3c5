/** Peer-to-peer identities the hub publishes: each user's master key and devices. */
import type { Database } from "better-sqlite3";
import { z } from "zod";
import { endpointSchema } from "../../../protocol/model.js";
import type { DeviceRecord, NewDevice, UserId } from "../store.js";
import { compact, opt, stmt } from "./keys.js";

// Endpoints are stored as JSON; parsing them back through the schema turns a corrupt row into a clear error.
const endpointsSchema = z.array(endpointSchema);

interface DeviceRow {
  device_id: string;
  key: string;
  sign_key: string | null;
  enc_key: string | null;
  name: string | null;
  signature: string | null;
  endpoints: string;
  created_at: number;
  last_seen: number;
  revoked_at: number | null;
}

const COLUMNS =
  "device_id, key, sign_key, enc_key, name, signature, endpoints, created_at, last_seen, revoked_at";

function toRecord(row: DeviceRow): DeviceRecord {
  return compact({
    id: row.device_id,
    key: row.key,
    signKey: opt(row.sign_key),
    encKey: opt(row.enc_key),
    name: opt(row.name),
    signature: opt(row.signature),
    endpoints: endpointsSchema.parse(JSON.parse(row.endpoints)),
    createdAt: row.created_at,
    lastSeen: row.last_seen,
    revokedAt: opt(row.revoked_at),
  });
}

export class DeviceRepo {
  private readonly masterOf;
  private readonly upsertMaster;
  private readonly clearSignatures;
  private readonly upsert;
  private readonly byId;
  private readonly ofUser;
  private readonly sign;
  private readonly revoke;
  private readonly prune;

  constructor(private readonly db: Database) {
    this.masterOf = stmt<{ user: number }, { key: string }>(
      db,
      "SELECT key FROM peer_masters WHERE user_id = :user",
    );
    this.upsertMaster = stmt<{ user: number; key: string; at: number }>(
      db,
      `INSERT INTO peer_masters (user_id, key, updated_at) VALUES (:user, :key, :at)
       ON CONFLICT (user_id) DO UPDATE SET key = excluded.key, updated_at = excluded.updated_at`,
    );
    this.clearSignatures = stmt<{ user: number }>(
      db,
      "UPDATE peer_devices SET signature = NULL WHERE user_id = :user",
    );
    this.upsert = stmt<{
      user: number;
      id: string;
      key: string;
      signKey: string | null;
      encKey: string | null;
      name: string | null;
      signature: string | null;
      endpoints: string;
      createdAt: number;
      lastSeen: number;
    }>(
      db,
      `INSERT INTO peer_devices (user_id, device_id, key, sign_key, enc_key, name, signature, endpoints,
         created_at, last_seen)
       VALUES (:user, :id, :key, :signKey, :encKey, :name, :signature, :endpoints, :createdAt, :lastSeen)
       ON CONFLICT (user_id, device_id) DO UPDATE SET key = excluded.key, sign_key = excluded.sign_key,
         enc_key = excluded.enc_key, name = excluded.name, signature = excluded.signature,
         endpoints = excluded.endpoints, last_seen = excluded.last_seen`,
    );
    this.byId = stmt<{ user: number; id: string }, DeviceRow>(
      db,
      `SELECT ${COLUMNS} FROM peer_devices WHERE user_id = :user AND device_id = :id`,
    );
    this.ofUser = stmt<{ user: number }, DeviceRow>(
      db,
      `SELECT ${COLUMNS} FROM peer_devices WHERE user_id = :user AND revoked_at IS NULL
       ORDER BY created_at, device_id`,
    );
    this.sign = stmt<{ user: number; id: string; signature: string }>(
      db,
      `UPDATE peer_devices SET signature = :signature
       WHERE user_id = :user AND device_id = :id AND revoked_at IS NULL`,
    );
    this.revoke = stmt<{ user: number; id: string; at: number }>(
      db,
      `UPDATE peer_devices SET revoked_at = :at, endpoints = '[]'
       WHERE user_id = :user AND device_id = :id AND revoked_at IS NULL`,
    );
    this.prune = stmt<{ user: number; keep: number }>(
      db,
      `DELETE FROM peer_devices WHERE user_id = :user AND device_id IN (
         SELECT device_id FROM peer_devices WHERE user_id = :user AND revoked_at IS NOT NULL
         ORDER BY revoked_at DESC, device_id LIMIT -1 OFFSET :keep)`,
    );
  }

  master(userId: UserId): string | undefined {
    return this.masterOf.get({ user: userId })?.key;
  }

  setMaster(userId: UserId, key: string, at: number): void {
    this.db.transaction(() => {
      const previous = this.master(userId);
      if (previous !== undefined && previous !== key) this.clearSignatures.run({ user: userId });
      this.upsertMaster.run({ user: userId, key, at });
    })();
  }

  put(userId: UserId, device: NewDevice): void {
    this.upsert.run({
      user: userId,
      id: device.id,
      key: device.key,
      signKey: device.signKey ?? null,
      encKey: device.encKey ?? null,
      name: device.name ?? null,
      signature: device.signature ?? null,
      endpoints: JSON.stringify(device.endpoints),
      createdAt: device.createdAt,
      lastSeen: device.lastSeen,
    });
  }

  get(userId: UserId, id: string): DeviceRecord | undefined {
    const row = this.byId.get({ user: userId, id });
    return row ? toRecord(row) : undefined;
  }

  list(userId: UserId): DeviceRecord[] {
    return this.ofUser.all({ user: userId }).map(toRecord);
  }

  setSignature(userId: UserId, id: string, signature: string): boolean {
    return this.sign.run({ user: userId, id, signature }).changes > 0;
  }

  revokeDevice(userId: UserId, id: string, at: number, keepRevoked: number): boolean {
    return this.db.transaction(() => {
      const done = this.revoke.run({ user: userId, id, at }).changes > 0;
      if (done) this.prune.run({ user: userId, keep: keepRevoked });
      return done;
    })();
  }
}

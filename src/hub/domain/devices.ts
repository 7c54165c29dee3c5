/**
 * Users' devices and master keys: the directory clients check each other's keys against (docs/p2p.md).
 * Each device publishes its own keys; a user's master key (Ed25519, held on the user's devices, never
 * sent to the hub) signs each device. The hub checks keys and signatures at the boundary so it never
 * stores garbage, but clients trust none of it: they verify signatures themselves and pin what they
 * verified, so a hub that adds a device, or swaps a key, is caught by the other side.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { deviceIdOf, deviceSignedBy, isCanonicalBase64 } from "../../peer/device-signature.js";
import { MAX_DEVICES_PER_USER } from "../../protocol/limits.js";
import type { Device, UserDevices } from "../../protocol/model.js";
import type { OpParams, OpResult } from "../../protocol/ops.js";
import type { DeviceRecord, UserId } from "../store/store.js";
import type { Accounts } from "./accounts.js";
import type { Actor, DomainDeps } from "./context.js";
import { fail } from "./errors.js";
import { notify } from "./notify.js";

/** Revoked devices remembered per user (so they cannot come back), beyond which the oldest are forgotten. */
export const REVOKED_DEVICES_KEPT = 64;

type KeyKind = "identity" | "signing" | "encryption" | "master";

const KEY_TYPES: Record<KeyKind, { types: readonly string[]; what: string }> = {
  // Peers pin this key in TLS; only key types Node's TLS 1.3 accepts in certificates are useful.
  identity: { types: ["ec", "ed25519", "rsa"], what: "EC, Ed25519 or RSA" },
  signing: { types: ["ed25519"], what: "Ed25519" },
  encryption: { types: ["x25519"], what: "X25519" },
  master: { types: ["ed25519"], what: "Ed25519" },
};

/** Parses a public key as it travels (canonical base64 SPKI DER), or fails naming `field`. */
function publicKey(text: string, kind: KeyKind, field: string): KeyObject {
  const { types, what } = KEY_TYPES[kind];
  try {
    if (!isCanonicalBase64(text)) throw new Error("not canonical base64");
    const key = createPublicKey({ key: Buffer.from(text, "base64"), format: "der", type: "spki" });
    if (!types.includes(key.asymmetricKeyType ?? "")) throw new Error("unsupported key type");
    return key;
  } catch {
    fail("INVALID_PARAMS", `${field} must be a base64 DER SubjectPublicKeyInfo (${what})`, { field });
  }
}

/** A device as the protocol lists it (endpoints and revocation stay on the hub). */
export function deviceView(record: DeviceRecord): Device {
  const device: Device = {
    id: record.id,
    key: record.key,
    createdAt: record.createdAt,
    lastSeen: record.lastSeen,
  };
  if (record.signKey !== undefined) device.signKey = record.signKey;
  if (record.encKey !== undefined) device.encKey = record.encKey;
  if (record.name !== undefined) device.name = record.name;
  if (record.signature !== undefined) device.signature = record.signature;
  return device;
}

export class Devices {
  constructor(
    private readonly deps: DomainDeps,
    private readonly accounts: Accounts,
  ) {}

  /**
   * Publishes the calling device: its keys, endpoints, and (from a device holding the user's master
   * key) the master key and its signature. Returns the device id, which the gateway remembers for the
   * connection: later p2p ops act as this device.
   */
  async announce(actor: Actor, params: OpParams<"peer.announce">): Promise<OpResult<"peer.announce">> {
    const { store, clock } = this.deps;
    publicKey(params.key, "identity", "key");
    if (params.signKey !== undefined) publicKey(params.signKey, "signing", "signKey");
    if (params.encKey !== undefined) publicKey(params.encKey, "encryption", "encKey");
    if (params.master !== undefined) publicKey(params.master, "master", "master");
    if (params.signature !== undefined && params.master === undefined)
      fail("INVALID_PARAMS", "a signature needs the master key that made it", { field: "master" });
    const id = deviceIdOf(params.key);
    const keys = { id, key: params.key, signKey: params.signKey, encKey: params.encKey };
    const existing = await store.getDevice(actor.userId, id);
    if (existing?.revokedAt !== undefined)
      fail("FORBIDDEN", "this device was revoked; it needs a new identity key to come back");

    let master = await store.getMasterKey(actor.userId);
    let masterChanged = false;
    if (params.master !== undefined && params.master !== master) {
      if (master !== undefined && !params.replaceMaster) {
        fail(
          "INVALID_PARAMS",
          "another master key is published for you; import it on this device, or replace it (replaceMaster) — your other devices then need signing again",
          { field: "master" },
        );
      }
      // Publishing (or replacing) a master key takes a signature made with it: proof the caller holds it.
      if (params.signature === undefined || !deviceSignedBy(params.master, keys, params.signature))
        fail("INVALID_PARAMS", "signature must be the new master key's signature of this device", {
          field: "signature",
        });
      await store.setMasterKey(actor.userId, params.master, clock.now());
      master = params.master;
      masterChanged = true;
    }

    let signature: string | undefined;
    if (params.signature !== undefined) {
      if (master === undefined || !deviceSignedBy(master, keys, params.signature))
        fail("INVALID_PARAMS", "signature is not your master key's signature of this device", {
          field: "signature",
        });
      signature = params.signature;
    } else if (
      existing?.signature !== undefined &&
      master !== undefined &&
      !masterChanged &&
      deviceSignedBy(master, keys, existing.signature)
    ) {
      // Re-announcing (every login) keeps a signature another device made, while the keys are the same.
      signature = existing.signature;
    }

    if (!existing && (await store.listDevices(actor.userId)).length >= MAX_DEVICES_PER_USER) {
      fail(
        "FORBIDDEN",
        `you have ${MAX_DEVICES_PER_USER} devices, the most one account may have; revoke one you no longer use`,
      );
    }
    const now = clock.now();
    await store.putDevice(actor.userId, {
      ...keys,
      ...(params.signKey === undefined ? {} : { signKey: params.signKey }),
      ...(params.encKey === undefined ? {} : { encKey: params.encKey }),
      ...(params.name === undefined ? {} : { name: params.name }),
      ...(signature === undefined ? {} : { signature }),
      endpoints: params.endpoints,
      createdAt: existing?.createdAt ?? now,
      lastSeen: now,
    });
    // The user's devices hear of every change to their list: a device the user did not add stands out.
    const change = masterChanged
      ? "master"
      : !existing
        ? "added"
        : signature !== undefined && signature !== existing.signature
          ? "signed"
          : undefined;
    if (change !== undefined)
      await notify(this.deps.bus, [actor.userId], { ev: "devices.changed", change, device: id });
    return { device: id, ...(master === undefined ? {} : { master }), signed: signature !== undefined };
  }

  /** A user's unrevoked devices and master key (anyone's: they are public keys). */
  async list(actor: Actor, params: OpParams<"devices.list">): Promise<UserDevices> {
    const user =
      params.user === undefined
        ? await this.accounts.requireUser(actor.userId)
        : await this.accounts.findUser(params.user);
    return this.of(user.id, user.username);
  }

  async of(userId: UserId, username: string): Promise<UserDevices> {
    const [master, devices] = await Promise.all([
      this.deps.store.getMasterKey(userId),
      this.deps.store.listDevices(userId),
    ]);
    return { user: username, ...(master === undefined ? {} : { master }), devices: devices.map(deviceView) };
  }

  /** Stores the master key's signature of one of the caller's devices, made on a device that holds it. */
  async sign(actor: Actor, params: OpParams<"device.sign">): Promise<void> {
    const { store } = this.deps;
    const device = await store.getDevice(actor.userId, params.device);
    if (!device || device.revokedAt !== undefined) fail("NO_SUCH_DEVICE", "you have no device with this id");
    const master = await store.getMasterKey(actor.userId);
    if (master === undefined || !deviceSignedBy(master, device, params.signature))
      fail("INVALID_PARAMS", "signature is not your master key's signature of this device", {
        field: "signature",
      });
    if (!(await store.setDeviceSignature(actor.userId, device.id, params.signature)))
      fail("NO_SUCH_DEVICE", "you have no device with this id");
    await notify(this.deps.bus, [actor.userId], {
      ev: "devices.changed",
      change: "signed",
      device: device.id,
    });
  }

  /** Revokes one of the caller's devices for good (this one included). */
  async revoke(actor: Actor, params: OpParams<"device.revoke">): Promise<void> {
    const done = await this.deps.store.revokeDevice(
      actor.userId,
      params.device,
      this.deps.clock.now(),
      REVOKED_DEVICES_KEPT,
    );
    if (!done) fail("NO_SUCH_DEVICE", "you have no device with this id");
    await notify(this.deps.bus, [actor.userId], {
      ev: "devices.changed",
      change: "revoked",
      device: params.device,
    });
  }

  /** The caller's announced, unrevoked device, or a refusal saying to announce. */
  async current(actor: Actor, deviceId: string | undefined, doing: string): Promise<DeviceRecord> {
    const device =
      deviceId === undefined ? undefined : await this.deps.store.getDevice(actor.userId, deviceId);
    if (!device) fail("INVALID_PARAMS", `announce your peer key (peer.announce) before ${doing}`);
    if (device.revokedAt !== undefined) fail("FORBIDDEN", "this device was revoked");
    return device;
  }
}

/**
 * A device's keys: its identity key (ECDSA P-256, pinned in the peers' TLS handshake: identity.ts), an
 * Ed25519 key it signs with and an X25519 key others encrypt to it with (both for end-to-end encrypted
 * rooms, which seal messages to every member device and sign them with the sender's). Three separate
 * keys, each used for one purpose only, all kept in the config folder (mode 0600) and published
 * through the hub by `peer.announce`. The device id is derived from the identity key.
 */
import { createPrivateKey, createPublicKey, sign } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { deviceIdOf } from "./device-signature.js";
import {
  defaultConfigDir,
  ephemeralIdentity,
  loadOrCreateIdentity,
  loadOrCreateKeyFile,
  newPrivateKeyPem,
  spkiBase64,
  type Identity,
} from "./identity.js";

export const SIGNING_FILE = "peer-signing.pem";
export const ENCRYPTION_FILE = "peer-encryption.pem";

export interface DeviceIdentity {
  /** The identity key and its certificate (TLS). */
  identity: Identity;
  /** `deviceIdOf(identity.publicKey)`: 16 hex digits. */
  id: string;
  /** Base64 SPKI DER of the Ed25519 signing key. */
  signKey: string;
  signPrivateKeyPem: string;
  /** Base64 SPKI DER of the X25519 encryption key. */
  encKey: string;
  encPrivateKeyPem: string;
}

/** The public part, as `peer.announce` publishes it and the master key signs it. */
export function devicePublicKeys(device: DeviceIdentity): {
  id: string;
  key: string;
  signKey: string;
  encKey: string;
} {
  return { id: device.id, key: device.identity.publicKey, signKey: device.signKey, encKey: device.encKey };
}

function assemble(identity: Identity, signPem: string, encPem: string): DeviceIdentity {
  return {
    identity,
    id: deviceIdOf(identity.publicKey),
    signKey: spkiBase64(signPem),
    signPrivateKeyPem: signPem,
    encKey: createPublicKey(encPem).export({ type: "spki", format: "der" }).toString("base64"),
    encPrivateKeyPem: encPem,
  };
}

/** Loads the device's keys from `dir`, creating those missing (a device of an older version has only the identity). */
export async function loadOrCreateDevice(dir: string = defaultConfigDir()): Promise<DeviceIdentity> {
  const identity = await loadOrCreateIdentity(dir);
  const signing = await loadOrCreateKeyFile(dir, SIGNING_FILE, "ed25519");
  const encryption = await loadOrCreateKeyFile(dir, ENCRYPTION_FILE, "x25519");
  return assemble(identity, signing.pem, encryption.pem);
}

/** A device around a given identity, with fresh signing and encryption keys in memory (tests). */
export async function deviceWith(identity?: Identity): Promise<DeviceIdentity> {
  return assemble(
    identity ?? (await ephemeralIdentity()),
    newPrivateKeyPem("ed25519"),
    newPrivateKeyPem("x25519"),
  );
}

/**
 * Replaces the device's encryption key (X25519) in `dir` with a new one; the old private key is gone, so
 * what end-to-end encrypted rooms sealed to it can no longer be opened — anywhere, by anyone holding this
 * device's files later (forward secrecy for stored messages, from this moment on). The identity and
 * signing keys stay: the device keeps its id, and messages it signed still check.
 */
export async function rotateEncryptionKey(dir: string, device: DeviceIdentity): Promise<DeviceIdentity> {
  const pem = newPrivateKeyPem("x25519");
  const path = join(dir, ENCRYPTION_FILE);
  await writeFile(`${path}.tmp`, pem, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  return assemble(device.identity, device.signPrivateKeyPem, pem);
}

/** Signs `data` with the device's Ed25519 key (what e2e rooms will use to sign envelopes). */
export function signAsDevice(device: DeviceIdentity, data: Uint8Array): string {
  return sign(null, data, createPrivateKey(device.signPrivateKeyPem)).toString("base64");
}

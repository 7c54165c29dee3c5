/**
 * A user's master key (Ed25519): it signs each of the user's devices, so a contact who verified the user
 * once trusts the user's other devices without a warning — and a device the hub adds on its own, which
 * it cannot sign, stands out as untrusted (docs/p2p.md).
 *
 * The first device of an account creates it. It lives in the config folder as
 * `peer-masters/<first 32 hex digits of SHA-256 of the public key>.pem` (mode 0600), so one folder may
 * hold the master keys of several accounts and finds the one an account published by its public key.
 * Another device gets it by import (`exportMasterKey` writes it encrypted with a passphrase: PKCS#8 with
 * AES-256-CBC and a PBKDF2-derived key, as OpenSSL does), or has its own key signed by a device that
 * holds it (`signDevice`, then `device.sign`).
 */
import { createHash, createPrivateKey, createPublicKey, sign } from "node:crypto";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { deviceStatement, type DeviceKeys } from "../protocol/devices.js";

export { deviceSignedBy } from "./device-signature.js";
import { asError, PeerError } from "./errors.js";
import { keyFingerprint } from "./fingerprint.js";
import { newPrivateKeyPem, writeNewKeyFile } from "./identity.js";

export const MASTERS_DIR = "peer-masters";

export interface MasterKey {
  /** Base64 SPKI DER. */
  publicKey: string;
  fingerprint: string;
  privateKeyPem: string;
}

function fileOf(publicKey: string): string {
  return `${createHash("sha256").update(Buffer.from(publicKey, "base64")).digest("hex").slice(0, 32)}.pem`;
}

function masterFromPem(privateKeyPem: string): MasterKey {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error("a master key is an Ed25519 private key");
  const publicKey = createPublicKey(key).export({ type: "spki", format: "der" }).toString("base64");
  return { publicKey, fingerprint: keyFingerprint(publicKey), privateKeyPem };
}

async function mastersDir(configDir: string): Promise<string> {
  const dir = join(configDir, MASTERS_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

async function save(configDir: string, master: MasterKey): Promise<MasterKey> {
  const path = join(await mastersDir(configDir), fileOf(master.publicKey));
  // An existing file for the same public key holds the same private key: nothing to do.
  await writeNewKeyFile(path, master.privateKeyPem);
  return master;
}

/** Creates a new master key and keeps it in the config folder. */
export async function createMasterKey(configDir: string): Promise<MasterKey> {
  return save(configDir, masterFromPem(newPrivateKeyPem("ed25519")));
}

/** The master key with this public key, if this config folder holds it. */
export async function findMasterKey(configDir: string, publicKey: string): Promise<MasterKey | undefined> {
  const path = join(configDir, MASTERS_DIR, fileOf(publicKey));
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new PeerError("IDENTITY_FILE", `cannot read master key ${path}: ${asError(err).message}`, {
      cause: err,
    });
  }
  try {
    const master = masterFromPem(pem);
    if (master.publicKey !== publicKey) throw new Error("its public key is not the one its name says");
    return master;
  } catch (err) {
    throw new PeerError("IDENTITY_FILE", `master key ${path} is unusable: ${asError(err).message}`, {
      cause: err,
    });
  }
}

/** Every master key the folder holds (to tell the user what an export would contain). */
export async function listMasterKeys(configDir: string): Promise<string[]> {
  try {
    return (await readdir(join(configDir, MASTERS_DIR))).filter((f) => f.endsWith(".pem"));
  } catch {
    return [];
  }
}

/** The master key's signature of a device's statement (base64), which `device.sign` publishes. */
export function signDevice(master: MasterKey, device: DeviceKeys): string {
  return sign(
    null,
    deviceStatement(master.publicKey, device),
    createPrivateKey(master.privateKeyPem),
  ).toString("base64");
}

/** The master key as an encrypted PEM for a backup or another device (PKCS#8, AES-256-CBC, passphrase). */
export function exportMasterKey(master: MasterKey, passphrase: string): string {
  if (passphrase.length < 8)
    throw new PeerError("IDENTITY_FILE", "use a passphrase of at least 8 characters");
  return createPrivateKey(master.privateKeyPem)
    .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase })
    .toString();
}

/** Reads an exported master key (wrong passphrase or not a master key: a clear error) and keeps it. */
export async function importMasterKey(
  configDir: string,
  pem: string,
  passphrase: string,
): Promise<MasterKey> {
  let master: MasterKey;
  try {
    const key = createPrivateKey({ key: pem, format: "pem", passphrase });
    master = masterFromPem(key.export({ type: "pkcs8", format: "pem" }).toString());
  } catch (err) {
    throw new PeerError(
      "IDENTITY_FILE",
      `cannot read the master key (wrong passphrase, or not an exported master key): ${asError(err).message}`,
      { cause: err },
    );
  }
  return save(configDir, master);
}

/**
 * The device's long-lived identity key pair (ECDSA P-256; Node 20's TLS 1.3 accepts it in self-signed
 * certificates on both sides). The private key lives in the config folder, mode 0600; the public key is
 * published through the hub as base64 SPKI DER and pinned by peers during the TLS handshake.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import envPaths from "env-paths";
import { generate } from "selfsigned";
import { asError, PeerError } from "./errors.js";
import { keyFingerprint } from "./fingerprint.js";

export const IDENTITY_FILE = "peer-identity.pem";

export interface Identity {
  /** Base64 SPKI DER of the public key: what `peer.announce` publishes and peers pin. */
  publicKey: string;
  /** `keyFingerprint(publicKey)`, to compare out of band. */
  fingerprint: string;
  privateKeyPem: string;
  /** A self-signed certificate over the identity key, made fresh at load; only its key matters to peers. */
  certPem: string;
  /** True when this load created the key (first run on this device). */
  created: boolean;
}

/** `PARLEY_CONFIG_DIR`, or the platform's config folder for parley. */
export function defaultConfigDir(): string {
  return process.env.PARLEY_CONFIG_DIR ?? envPaths("parley", { suffix: "" }).config;
}

/** Base64 SPKI DER of a PEM or KeyObject-compatible public or private key. */
export function spkiBase64(pem: string): string {
  return createPublicKey(pem).export({ type: "spki", format: "der" }).toString("base64");
}

/** Key types kept in files of the config folder: the identity (TLS), and a device's signing and encryption keys. */
export type KeyFileType = "ec" | "ed25519" | "x25519";

const KEY_TYPE_NAMES: Record<KeyFileType, string> = { ec: "EC", ed25519: "Ed25519", x25519: "X25519" };

async function readPrivateKey(path: string, type: KeyFileType): Promise<string | undefined> {
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new PeerError("IDENTITY_FILE", `cannot read identity key ${path}: ${asError(err).message}`, {
      cause: err,
    });
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== type)
      throw new Error(`unsupported key type ${key.asymmetricKeyType ?? "?"}`);
  } catch (err) {
    throw new PeerError(
      "IDENTITY_FILE",
      `identity key ${path} is not a valid ${KEY_TYPE_NAMES[type]} private key (${asError(err).message}); move it away to create a new identity`,
      { cause: err },
    );
  }
  // The file holds a secret: tighten permissions someone loosened, as ssh would insist on.
  const mode = (await stat(path)).mode & 0o777;
  if (mode & 0o077) await chmod(path, 0o600);
  return pem;
}

/** A fresh private key of `type`, as PKCS#8 PEM. */
export function newPrivateKeyPem(type: KeyFileType): string {
  const { privateKey } =
    type === "ec"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : type === "ed25519"
        ? generateKeyPairSync("ed25519")
        : generateKeyPairSync("x25519");
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** Writes `pem` to `path` (mode 0600) unless it exists; undefined when another process made it first. */
export async function writeNewKeyFile(path: string, pem: string): Promise<string | undefined> {
  try {
    // 'wx': never overwrite; if another process created it first, we use theirs.
    await writeFile(path, pem, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw new PeerError("IDENTITY_FILE", `cannot write identity key ${path}: ${asError(err).message}`, {
      cause: err,
    });
  }
  return pem;
}

/**
 * The private key in `dir/file`, created on first run (and the folder, mode 0700). A corrupt file is
 * refused, never replaced: replacing it would silently change the device's identity.
 */
export async function loadOrCreateKeyFile(
  dir: string,
  file: string,
  type: KeyFileType,
): Promise<{ pem: string; created: boolean }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, file);
  const existing = await readPrivateKey(path, type);
  if (existing) return { pem: existing, created: false };
  const made = await writeNewKeyFile(path, newPrivateKeyPem(type));
  if (made) return { pem: made, created: true };
  const raced = await readPrivateKey(path, type);
  if (!raced) throw new PeerError("IDENTITY_FILE", `identity key ${path} vanished while being created`);
  return { pem: raced, created: false };
}

/** A self-signed certificate for the key. Validity is irrelevant to peers (they pin the key), but sane. */
export async function certificateFor(privateKeyPem: string): Promise<string> {
  const publicKeyPem = createPublicKey(privateKeyPem).export({ type: "spki", format: "pem" }).toString();
  const now = Date.now();
  const pems = await generate([{ name: "commonName", value: "parley-peer" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    keyPair: { privateKey: privateKeyPem, publicKey: publicKeyPem },
    notBeforeDate: new Date(now - 24 * 3600 * 1000),
    notAfterDate: new Date(now + 365 * 24 * 3600 * 1000),
  });
  return pems.cert;
}

/** An identity from a private key PEM, without touching disk (tests, and `loadOrCreateIdentity`). */
export async function identityFromPem(privateKeyPem: string, created = false): Promise<Identity> {
  const publicKey = spkiBase64(privateKeyPem);
  return {
    publicKey,
    fingerprint: keyFingerprint(publicKey),
    privateKeyPem,
    certPem: await certificateFor(privateKeyPem),
    created,
  };
}

/** A fresh in-memory identity (tests, throwaway nodes). */
export async function ephemeralIdentity(): Promise<Identity> {
  return identityFromPem(newPrivateKeyPem("ec"), true);
}

/** Loads the device identity from `dir`, creating it (and the folder, mode 0700) on first run. */
export async function loadOrCreateIdentity(dir: string = defaultConfigDir()): Promise<Identity> {
  const { pem, created } = await loadOrCreateKeyFile(dir, IDENTITY_FILE, "ec");
  return identityFromPem(pem, created);
}

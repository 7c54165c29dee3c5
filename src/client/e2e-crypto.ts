/**
 * Sealing and opening messages of end-to-end encrypted rooms (docs/e2e-rooms.md; the envelope and the
 * signed statement are in src/protocol/e2e.ts). Only maintained primitives, composed as RFC 9180 means
 * HPKE to be used — a key encapsulated to each recipient, the data under a symmetric key:
 *
 * - the message: AES-256-GCM (node:crypto) under a fresh random 256-bit key, used for this message only;
 * - that key, to each device: HPKE base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM
 *   (`@hpke/core`), to the device's X25519 `encKey`, with the room, sender device and counter as AAD;
 * - `kc`: SHA-256 of a context string and the key, so a sealed key that opens must be the sender's key;
 * - the statement: Ed25519 (node:crypto) with the sender device's `signKey`.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  verify,
} from "node:crypto";
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import {
  E2E_KEY_COMMIT_CONTEXT,
  E2E_VERSION,
  e2eStatement,
  recipientsOf,
  type E2eCopy,
  type E2eEnvelope,
} from "../protocol/e2e.js";
import type { DeviceIdentity } from "../peer/device.js";

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});
const HPKE_INFO = new TextEncoder().encode("parley e2e room message key v1");

/** Why a copy did not open; each is shown to the user as a warning, never silently dropped. */
export type OpenFailure =
  "not-for-this-device" | "unknown-sender-device" | "bad-signature" | "bad-key" | "bad-ciphertext";

export class E2eOpenError extends Error {
  constructor(
    readonly reason: OpenFailure,
    message: string,
  ) {
    super(message);
    this.name = "E2eOpenError";
  }
}

/** A recipient device: whose it is and its X25519 key (base64 SPKI DER, as the hub lists it). */
export interface Recipient {
  user: string;
  device: string;
  encKey: string;
}

/** What a sealed message holds: the text, as a JSON object so edits or reactions can join it later. */
interface Plain {
  body: string;
}

function rawX25519Public(spkiB64: string): Uint8Array {
  const jwk = createPublicKey({ key: Buffer.from(spkiB64, "base64"), format: "der", type: "spki" }).export({
    format: "jwk",
  });
  if (jwk.crv !== "X25519" || jwk.x === undefined) throw new Error("not an X25519 key");
  return Buffer.from(jwk.x, "base64url");
}

function rawX25519Private(pem: string): Uint8Array {
  const jwk = createPrivateKey(pem).export({ format: "jwk" });
  if (jwk.crv !== "X25519" || jwk.d === undefined) throw new Error("not an X25519 key");
  return Buffer.from(jwk.d, "base64url");
}

function keyCommitment(key: Uint8Array): string {
  return createHash("sha256").update(E2E_KEY_COMMIT_CONTEXT).update(key).digest("base64");
}

function aadOf(room: string, device: string, n: number): Uint8Array {
  return new TextEncoder().encode(`${room.toLowerCase()}\n${device}\n${n}`);
}

const toArrayBuffer = (b: Uint8Array): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Seals `body` for every recipient device, signed by `sender` as its message number `n` in `room`. */
export async function sealMessage(
  room: string,
  body: string,
  sender: DeviceIdentity,
  n: number,
  recipients: readonly Recipient[],
): Promise<E2eEnvelope> {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const plain: Plain = { body };
  const sealed = Buffer.concat([
    cipher.update(JSON.stringify(plain), "utf8"),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  const aad = aadOf(room, sender.id, n);
  const keys: Record<string, Record<string, string>> = {};
  for (const r of recipients) {
    const recipientPublicKey = await suite.kem.deserializePublicKey(toArrayBuffer(rawX25519Public(r.encKey)));
    const out = await suite.seal(
      { recipientPublicKey, info: HPKE_INFO },
      toArrayBuffer(key),
      toArrayBuffer(aad),
    );
    (keys[r.user] ??= {})[r.device] = Buffer.concat([Buffer.from(out.enc), Buffer.from(out.ct)]).toString(
      "base64",
    );
  }
  const header = {
    device: sender.id,
    n,
    iv: iv.toString("base64"),
    body: sealed.toString("base64"),
    kc: keyCommitment(key),
  };
  const statement = e2eStatement(room, header, recipientsOf(keys));
  const sig = sign(null, statement, createPrivateKey(sender.signPrivateKeyPem)).toString("base64");
  return { v: E2E_VERSION, ...header, keys, sig };
}

/**
 * Opens this device's copy: checks the signature with the sender device's `signKey` (the caller found it
 * in the sender's signed device list), opens this device's sealed key, checks it against `kc`, opens the
 * body. Throws E2eOpenError; never returns text that failed a check.
 */
export async function openCopy(
  room: string,
  copy: E2eCopy,
  me: DeviceIdentity,
  senderSignKey: string,
): Promise<string> {
  const statement = e2eStatement(room, copy, copy.to);
  let signed = false;
  try {
    const key = createPublicKey({ key: Buffer.from(senderSignKey, "base64"), format: "der", type: "spki" });
    signed =
      key.asymmetricKeyType === "ed25519" && verify(null, statement, key, Buffer.from(copy.sig, "base64"));
  } catch {
    signed = false;
  }
  if (!signed)
    throw new E2eOpenError("bad-signature", "the signature does not match: the message was altered");
  const sealedKey = copy.keys[me.id];
  if (sealedKey === undefined) {
    throw new E2eOpenError(
      "not-for-this-device",
      copy.to.includes(me.id)
        ? "the sender sealed this message to this device but the hub did not pass its key on"
        : "the sender did not seal this message to this device",
    );
  }
  let key: Uint8Array;
  try {
    const bytes = Buffer.from(sealedKey, "base64");
    const recipientKey = await suite.kem.deserializePrivateKey(
      toArrayBuffer(rawX25519Private(me.encPrivateKeyPem)),
    );
    key = new Uint8Array(
      await suite.open(
        { recipientKey, enc: toArrayBuffer(bytes.subarray(0, 32)), info: HPKE_INFO },
        toArrayBuffer(bytes.subarray(32)),
        toArrayBuffer(aadOf(room, copy.device, copy.n)),
      ),
    );
  } catch {
    throw new E2eOpenError(
      "bad-key",
      "this device's sealed key does not open: the message was altered, or sealed to a key this device has since replaced (/devices rotate)",
    );
  }
  if (key.length !== 32 || keyCommitment(key) !== copy.kc) {
    throw new E2eOpenError(
      "bad-key",
      "the sealed key is not the one the sender signed: the message was altered",
    );
  }
  try {
    const data = Buffer.from(copy.body, "base64");
    if (data.length < 16) throw new Error("short");
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(copy.iv, "base64"));
    decipher.setAuthTag(data.subarray(data.length - 16));
    const text = Buffer.concat([
      decipher.update(data.subarray(0, data.length - 16)),
      decipher.final(),
    ]).toString("utf8");
    const plain = JSON.parse(text) as Partial<Plain>;
    if (typeof plain.body !== "string") throw new Error("no body");
    return plain.body;
  } catch {
    throw new E2eOpenError("bad-ciphertext", "the message does not decrypt: it was altered");
  }
}

/**
 * End-to-end encrypted rooms (docs/e2e-rooms.md): the envelope a sender posts, the copy each member
 * receives, and the bytes the sender's device signs — one definition for the hub (which checks shapes
 * and sizes, never contents) and the clients (which seal, sign, verify and open). Browser-safe: the
 * cryptography itself is in src/client/e2e-crypto.ts.
 *
 * A message is sealed once with AES-256-GCM under a fresh 256-bit message key; the key is sealed to
 * each recipient device with HPKE (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM,
 * base mode) to its `encKey`. The sender's device signs (Ed25519, its `signKey`) the statement below,
 * which covers the room, the sender's device and per-sender counter, every recipient device, the
 * ciphertext and a commitment to the message key (AES-GCM is not key-committing: without it, a hub
 * could seal a different key to one member that opens the same ciphertext to other words).
 */
import { z } from "zod";

/** As model.ts's deviceIdSchema (repeated, not imported: model.ts imports this file). */
const deviceIdSchema = z.string().regex(/^[0-9a-f]{16}$/, "a device id is 16 lowercase hex digits");

/** Names the statement's purpose and version, so a signature cannot be replayed as anything else. */
export const E2E_STATEMENT_CONTEXT = "parley e2e room message v1";
/** Hashed with the message key for `kc`: a commitment to the key that reveals nothing of it. */
export const E2E_KEY_COMMIT_CONTEXT = "parley e2e room key commitment v1";
export const E2E_VERSION = 1;

/**
 * Member devices one message may be sealed to, by default (`--e2e-max-devices`). A message carries one
 * sealed key (≈ 130 bytes of JSON) per device within the 64 KiB frame beside a body of up to 4000
 * characters (≤ 22 KB as base64), the sender seals one HPKE key per device on every message (≈ 1.5 ms
 * each on the 2-core development machine), and the hub builds one form of every message per member:
 * 100 keeps all three small (docs/e2e-rooms.md).
 */
export const E2E_MAX_DEVICES = 100;
/** Hard ceiling for `--e2e-max-devices`: what still fits a 64 KiB frame with a full body. */
export const E2E_MAX_DEVICES_CEILING = 200;
/** Base64 of the sealed body: 4000 characters of up to 4 UTF-8 bytes, JSON-wrapped, plus the tag. */
export const E2E_BODY_B64_MAX = 22_000;
/** Base64 of one sealed message key: HPKE `enc` (32 bytes) + the sealed 32-byte key and its tag. */
export const E2E_SEALED_KEY_B64_MAX = 128;

const b64 = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, "base64");
const counter = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const common = {
  v: z.literal(E2E_VERSION),
  device: deviceIdSchema.describe("the sender's device, whose signKey signed this"),
  n: counter.describe("the sender device's counter: 1, 2, 3… across all its messages to this room"),
  iv: b64(24).describe("AES-256-GCM nonce (12 bytes)"),
  body: b64(E2E_BODY_B64_MAX).describe("the message sealed with AES-256-GCM under the message key"),
  kc: b64(64).describe("SHA-256 over the key-commitment context and the message key"),
  sig: b64(128).describe("Ed25519 signature of the statement (src/protocol/e2e.ts) by `device`"),
};

/** Sealed keys of one user's devices: device id → base64 of HPKE `enc` ‖ sealed key. */
const sealedKeys = z.record(deviceIdSchema, b64(E2E_SEALED_KEY_B64_MAX));

/** What a sender posts in `msg.send {e2e}`: the sealed keys grouped by the member who owns the device. */
export const e2eEnvelopeSchema = z.object({
  ...common,
  keys: z
    .record(z.string().max(64), sealedKeys)
    .describe("username → that member's devices' sealed keys; the hub keeps only current members'"),
});
export type E2eEnvelope = z.infer<typeof e2eEnvelopeSchema>;

/** What one member receives (live, history, resume): their own devices' sealed keys only. */
export const e2eCopySchema = z.object({
  ...common,
  to: z.array(deviceIdSchema).describe("every device the sender sealed to, sorted (signed)"),
  keys: sealedKeys.describe("the sealed keys of your own devices"),
});
export type E2eCopy = z.infer<typeof e2eCopySchema>;

/** Every recipient device of an envelope, sorted: what the sender signs and members check. */
export function recipientsOf(keys: Readonly<Record<string, Readonly<Record<string, string>>>>): string[] {
  const all = new Set<string>();
  for (const devices of Object.values(keys)) for (const id of Object.keys(devices)) all.add(id);
  return [...all].sort();
}

/**
 * The bytes the sender's device signs. The room name binds the message to its room (a hub cannot
 * replay it into another); the sender's user is not in it, since members check that `device` is one
 * of the sender's devices from the signed device lists (so a rename changes nothing).
 */
export function e2eStatement(
  room: string,
  e: { device: string; n: number; iv: string; body: string; kc: string },
  to: readonly string[],
): Uint8Array {
  return new TextEncoder().encode(
    [E2E_STATEMENT_CONTEXT, room.toLowerCase(), e.device, String(e.n), e.iv, e.body, e.kc, to.join(",")].join(
      "\n",
    ),
  );
}

/** A message's id across copies (direct and hub): the sender device and its counter, both signed. */
export function e2eMessageId(e: { device: string; n: number }): string {
  return `${e.device}:${e.n}`;
}

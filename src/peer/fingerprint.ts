/**
 * Human-comparable forms of identity keys. Keys travel as base64 SPKI DER; people compare a short
 * fingerprint of one key, or a safety number of a pair (the same on both phones, like Signal's), read
 * aloud or side by side.
 */
import { createHash } from "node:crypto";

/** SHA-256 of the key's SPKI DER, as 16 groups of 4 uppercase hex digits. */
export function keyFingerprint(key: string): string {
  const hex = createHash("sha256").update(Buffer.from(key, "base64")).digest("hex").toUpperCase();
  return hex.match(/.{4}/g)?.join(" ") ?? hex;
}

/** Iterations follow Signal's numeric fingerprint: slow enough that grinding a lookalike key is costly. */
const SAFETY_ITERATIONS = 5200;

/** 30 digits derived from one (username, key). */
function halfSafetyNumber(username: string, key: string): string {
  const keyBytes = Buffer.from(key, "base64");
  let hash = createHash("sha512")
    .update(Buffer.from([0, 0]))
    .update(keyBytes)
    .update(username)
    .digest();
  for (let i = 1; i < SAFETY_ITERATIONS; i++)
    hash = createHash("sha512").update(hash).update(keyBytes).digest();
  let digits = "";
  for (let chunk = 0; chunk < 6; chunk++) {
    // 5 bytes → a 40-bit integer → 5 decimal digits (the small modulo bias does not matter for display).
    const value = hash.readUIntBE(chunk * 5, 5) % 100_000;
    digits += value.toString().padStart(5, "0");
  }
  return digits;
}

/**
 * The safety number of two users' keys: 60 digits in 12 groups of 5. Both parties compute the same
 * value because the halves are ordered by username.
 */
export function safetyNumber(
  a: { username: string; key: string },
  b: { username: string; key: string },
): string {
  const [first, second] = a.username.toLowerCase() <= b.username.toLowerCase() ? [a, b] : [b, a];
  const digits =
    halfSafetyNumber(first.username.toLowerCase(), first.key) +
    halfSafetyNumber(second.username.toLowerCase(), second.key);
  return digits.match(/.{5}/g)?.join(" ") ?? digits;
}

/**
 * What a safety number covers for one side of a pair of devices: the device's identity key, and the
 * master key that signed it (if it is signed). Verifying the number thus verifies the master key too,
 * which is what lets a verified contact's other signed devices be trusted; a hub that swapped the
 * master key (or dropped the signature) changes the number.
 */
export function safetyMaterial(key: string, master?: string): string {
  if (master === undefined) return key;
  return Buffer.concat([Buffer.from(key, "base64"), Buffer.from(master, "base64")]).toString("base64");
}

/**
 * Device ids and master-key signatures of devices (the statement is src/protocol/devices.ts): the one
 * Node-side definition, used by the clients to check what the hub lists and by the hub to refuse
 * garbage at the boundary (it checks what clients will check anyway; it is not trusted to).
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import { deviceStatement, type DeviceKeys } from "../protocol/devices.js";

/** The first 8 bytes of SHA-256 over the identity key's SPKI DER, as 16 lowercase hex digits. */
export function deviceIdOf(key: string): string {
  return createHash("sha256").update(Buffer.from(key, "base64")).digest("hex").slice(0, 16);
}

/** True when `text` is base64 exactly as Node writes it (no whitespace, padding where due). */
export function isCanonicalBase64(text: string): boolean {
  return text.length > 0 && Buffer.from(text, "base64").toString("base64") === text;
}

/** Whether `signature` (base64) is `master`'s Ed25519 signature of `device`'s statement; false for anything malformed. */
export function deviceSignedBy(master: string, device: DeviceKeys, signature: string | undefined): boolean {
  if (signature === undefined) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(master, "base64"), format: "der", type: "spki" });
    if (key.asymmetricKeyType !== "ed25519") return false;
    return verify(null, deviceStatement(master, device), key, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

/**
 * The statement a user's master key signs to vouch for a device — one definition for the hub (which
 * checks signatures at the boundary) and the clients (which check them again, trusting nothing the
 * hub says). The cryptography itself (ids, Ed25519) is Node's, in src/peer/device-signature.ts; this
 * part stays browser-safe.
 *
 * Keys travel as base64 of their DER SubjectPublicKeyInfo, and only in canonical base64 (what
 * `Buffer.toString("base64")` writes), so a statement over the text is a statement over the bytes.
 */

/** Names the statement's purpose and version, so a signature cannot be replayed as anything else. */
export const DEVICE_STATEMENT_CONTEXT = "parley device statement v1";

export interface DeviceKeys {
  id: string;
  key: string;
  signKey?: string | undefined;
  encKey?: string | undefined;
}

/**
 * The bytes the master key signs: "this master key vouches for a device with exactly these keys".
 * The device's name is left out on purpose (a label the user may change without re-signing).
 */
export function deviceStatement(master: string, device: DeviceKeys): Uint8Array {
  return new TextEncoder().encode(
    [DEVICE_STATEMENT_CONTEXT, master, device.id, device.key, device.signKey ?? "", device.encKey ?? ""].join(
      "\n",
    ),
  );
}

/** Memory-hard password hashing: Argon2id with OWASP's recommended parameters (19 MiB, t=2, p=1). */
import { hash, verify } from "@node-rs/argon2";

// 2 is Algorithm.Argon2id; the package exports it as a const enum, which verbatimModuleSyntax cannot import.
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A hash of nothing, verified against when the account does not exist, so timing does not reveal it. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword("parley-dummy-password-for-timing");
  return dummy;
}

/**
 * The password rule, in one place: the hub enforces it (`WEAK_PASSWORD`) and clients check it as the
 * user types, with the same words.
 */
import { COMMON_PASSWORDS } from "./common-passwords.js";
import { PASSWORD_MAX, PASSWORD_MIN } from "./limits.js";

/** Why `password` is refused for `username`, or null when it is acceptable. */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < PASSWORD_MIN) return `passwords need at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `passwords may have at most ${PASSWORD_MAX} characters`;
  const lower = password.toLowerCase();
  if (lower === username.toLowerCase()) return "the password must not be the username";
  if (COMMON_PASSWORDS.has(lower)) return "this password is on a list of common passwords";
  return null;
}

/**
 * The account password rule, in one place: the hub enforces it (`WEAK_PASSWORD`) and announces it in
 * `hello` (`passwordRule`); clients check a new password with the same function, with the same words,
 * before sending it — so a weak one is refused as it is typed, not after the whole registration form.
 */
import { COMMON_PASSWORDS } from "./common-passwords.js";
import { PASSWORD_MAX, PASSWORD_MIN } from "./limits.js";

export interface PasswordRule {
  minLength: number;
  maxLength: number;
  /** The rule in words, for a registration form. */
  description: string;
}

export const PASSWORD_RULE: PasswordRule = {
  minLength: PASSWORD_MIN,
  maxLength: PASSWORD_MAX,
  description: `at least ${PASSWORD_MIN} characters, not a common password, not the username`,
};

/**
 * Why `password` is refused for the account `username`, or null when it is acceptable. Lengths are
 * the hub's (`rule`, from `hello`); the common-password list and the username check always apply.
 */
export function passwordProblem(
  password: string,
  username: string,
  rule: Pick<PasswordRule, "minLength" | "maxLength"> = PASSWORD_RULE,
): string | null {
  if (password.length < rule.minLength) return `passwords need at least ${rule.minLength} characters`;
  if (password.length > rule.maxLength) return `passwords may have at most ${rule.maxLength} characters`;
  const lower = password.toLowerCase();
  if (lower === username.toLowerCase()) return "the password must not be the username";
  if (COMMON_PASSWORDS.has(lower)) return "this password is on a list of common passwords";
  return null;
}

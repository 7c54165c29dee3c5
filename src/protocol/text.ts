/**
 * Which characters may travel in text fields. Shared by the hub (which rejects them) and the peer layer
 * (which applies the same rule to direct messages).
 */

// Characters that could move the cursor, recolour or rewrite a terminal, or hide text direction.
// eslint-disable-next-line no-control-regex
export const FORBIDDEN_IN_BODY = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Names are single-line: newline and tab are forbidden too. */
// eslint-disable-next-line no-control-regex
export const FORBIDDEN_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export function hasForbiddenBodyChars(text: string): boolean {
  return FORBIDDEN_IN_BODY.test(text);
}

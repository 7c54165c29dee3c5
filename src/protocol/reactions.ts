/** What may be a reaction: shared by the hub (which refuses anything else) and clients (which check first). */
import { EMOJI_NAME_RE } from "./limits.js";

// One RGI emoji sequence (a flag, a skin tone, a ZWJ family...): one grapheme. Built at run time
// because the `v` flag is newer than the compile target; Node 20 and current browsers have it.
const ONE_EMOJI = new RegExp("^\\p{RGI_Emoji}$", "v");

/** One grapheme of emoji (`👍`, `👍🏽`, `🇫🇷`), or a short name like `:party_parrot:`. */
export function isReactionEmoji(text: string): boolean {
  return text.length <= 40 && (ONE_EMOJI.test(text) || EMOJI_NAME_RE.test(text));
}

/**
 * Client-only tags (IRCv3 message-tags: names starting with `+`, e.g. `+draft/reply`, `+typing`): small
 * key/value data a client attaches to a message (or sends alone, `msg.tagmsg` / IRC `TAGMSG`). The hub
 * keeps them as given and hands them on; what they mean is up to the clients.
 *
 * Bounded as IRC bounds them: their IRC form (`+a=1;+b=x\sy`, values escaped) takes at most
 * CLIENT_TAGS_MAX_BYTES, so a message's tags always fit an IRC line's tag section, whichever client
 * sent them. Browser-safe (no Node modules).
 */
import { z } from "zod";

/** IRCv3 message-tags: 4094 bytes of client tag data (4096 with the leading `@` and the space). */
export const CLIENT_TAGS_MAX_BYTES = 4094;

/** `+`, an optional vendor (`draft/`, `example.com/`), a name of letters, digits and `-`. */
export const CLIENT_TAG_NAME_RE = /^\+(?:[A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;

/** Characters a tag value's IRC form escapes (two bytes each: `\\`, `\:`, `\s`, `\r`, `\n`). */
const ESCAPED = /[\\; \r\n]/g;

export const clientTagsSchema = z
  .record(
    z.string().max(CLIENT_TAGS_MAX_BYTES).regex(CLIENT_TAG_NAME_RE, "a client tag's name starts with `+`"),
    z
      .string()
      .max(CLIENT_TAGS_MAX_BYTES)
      .refine((v) => !v.includes("\0"), "a client tag's value cannot hold NUL"),
  )
  .describe(
    `client-only tags (IRCv3 \`+name\` → value, "" for none): at most ${CLIENT_TAGS_MAX_BYTES} bytes in their IRC form`,
  );
export type ClientTags = z.infer<typeof clientTagsSchema>;

const utf8 = new TextEncoder();

/** The bytes the tags take in their IRC form: `name=escaped value` (`name` alone when empty), `;` between. */
export function clientTagsBytes(tags: Readonly<Record<string, string>>): number {
  let bytes = 0;
  let first = true;
  for (const [name, value] of Object.entries(tags)) {
    if (!first) bytes += 1;
    first = false;
    bytes += utf8.encode(name).length;
    if (value !== "") bytes += 1 + utf8.encode(value).length + (value.match(ESCAPED)?.length ?? 0);
  }
  return bytes;
}

/** The `search` query syntax and snippet markers, without a hub (#12). */
import { describe, expect, it } from "vitest";
import { MAX_TERMS, parseSearchQuery, splitSnippet } from "../../src/hub/domain/search-query.js";
import { isReactionEmoji } from "../../src/protocol/reactions.js";

describe("parseSearchQuery", () => {
  it("reads words, prefixes, phrases, from: and in:", () => {
    expect(parseSearchQuery('dune spic* "the desert planet" from:@Alice in:#books')).toEqual({
      terms: [
        { kind: "word", text: "dune" },
        { kind: "prefix", text: "spic" },
        { kind: "phrase", text: "the desert planet" },
      ],
      from: "Alice",
      room: "books",
    });
    expect(parseSearchQuery("in:books x").room).toBe("books");
  });

  it("drops terms without a letter or digit, runs an open quote to the end, keeps at most MAX_TERMS", () => {
    expect(parseSearchQuery('- * "" ok "open phrase').terms).toEqual([
      { kind: "word", text: "ok" },
      { kind: "phrase", text: "open phrase" },
    ]);
    expect(parseSearchQuery(Array.from({ length: 30 }, (_, i) => `w${i}`).join(" ")).terms).toHaveLength(
      MAX_TERMS,
    );
    expect(parseSearchQuery("from:bob").terms).toEqual([]);
  });

  it("keeps quotes and operators inside terms as text (the store quotes them)", () => {
    // OR and NOT are words like any other: FTS5 operators never reach the index unquoted.
    expect(parseSearchQuery('a"b OR NOT c').terms.map((t) => t.text)).toEqual(['a"b', "OR", "NOT", "c"]);
  });
});

describe("splitSnippet", () => {
  it("turns U+0001/U+0002 markers into plain text and ranges", () => {
    expect(splitSnippet("the \u0001desert\u0002 \u0001planet\u0002 …")).toEqual({
      snippet: "the desert planet …",
      highlights: [
        [4, 10],
        [11, 17],
      ],
    });
  });
});

describe("isReactionEmoji", () => {
  it("takes one emoji grapheme or a :short_name:, nothing else", () => {
    for (const ok of ["👍", "👍🏽", "🇫🇷", "👨‍👩‍👧", "❤️", ":tada:", ":+1:"]) expect(isReactionEmoji(ok)).toBe(true);
    for (const bad of ["", "a", "👍👍", "1", ":Tada:", ":a b:", "::", "<b>", "👍 "])
      expect(isReactionEmoji(bad)).toBe(false);
  });
});

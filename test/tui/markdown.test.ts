import { describe, expect, it } from "vitest";
import { parseRichText, type Segment } from "../../src/ui/markdown.js";

const plain = (segments: Segment[]): string => segments.map((s) => s.text).join("");
const styled = (text: string) => parseRichText(text).segments.map((s) => [s.text, s.style, s.link]);

describe("parseRichText", () => {
  it("bold, italic (both markers), code and strike", () => {
    expect(styled("**b** *i* _j_ `c` ~~s~~")).toEqual([
      ["b", { bold: true }, undefined],
      [" ", {}, undefined],
      ["i", { italic: true }, undefined],
      [" ", {}, undefined],
      ["j", { italic: true }, undefined],
      [" ", {}, undefined],
      ["c", { code: true }, undefined],
      [" ", {}, undefined],
      ["s", { strike: true }, undefined],
    ]);
  });

  it("nests styles", () => {
    expect(styled("**bold *and italic***")).toEqual([
      ["bold ", { bold: true }, undefined],
      ["and italic", { bold: true, italic: true }, undefined],
    ]);
  });

  it("formats nothing inside code", () => {
    expect(styled("`**not bold** _x_`")).toEqual([["**not bold** _x_", { code: true }, undefined]]);
  });

  it("leaves arithmetic, snake_case and unmatched markers alone", () => {
    for (const text of ["2 * 3 * 4", "snake_case_name here", "a ** b", "**open only", "~~ x ~~", "`"]) {
      const rich = parseRichText(text);
      expect(plain(rich.segments)).toBe(text);
      expect(rich.segments.every((s) => Object.keys(s.style).length === 0)).toBe(true);
    }
  });

  it("finds links, numbers them in order, and ignores markers inside them", () => {
    const rich = parseRichText("see https://example.com/a_b_c and **www.example.org/x**");
    // A link without a scheme opens as https (regression: www.… opened as http).
    expect(rich.links).toEqual(["https://example.com/a_b_c", "https://www.example.org/x"]);
    expect(rich.segments).toContainEqual({ text: "https://example.com/a_b_c", style: {}, link: 0 });
    expect(rich.segments).toContainEqual({ text: "www.example.org/x", style: { bold: true }, link: 1 });
  });

  it("keeps a scheme that is written, and assumes https only where none is", () => {
    expect(parseRichText("http://plain.example.org www.example.com mailto:a@example.org").links).toEqual([
      "http://plain.example.org",
      "https://www.example.com",
      "mailto:a@example.org",
    ]);
  });

  it("keeps all the text of a message with no formatting", () => {
    const text = "just words, nothing else.";
    expect(parseRichText(text)).toEqual({ segments: [{ text, style: {} }], links: [] });
  });
});

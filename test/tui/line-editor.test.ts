import { describe, expect, it } from "vitest";
import type { Key } from "ink";
import { EMPTY, NO_HISTORY, edit, recall, remember, splitLines } from "../../src/tui/input/line-editor.js";

const none: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};
const k = (over: Partial<Key>): Key => ({ ...none, ...over });

describe("edit", () => {
  it("inserts at the cursor and moves it", () => {
    let s = edit(EMPTY, "helo", none)!;
    s = edit(s, "", k({ leftArrow: true }))!;
    s = edit(s, "l", none)!;
    expect(s).toEqual({ value: "hello", cursor: 4 });
  });

  it("backspace (DEL from the terminal) erases before the cursor, whole emoji at once", () => {
    const s = edit({ value: "a🎉", cursor: 3 }, "", k({ delete: true }))!;
    expect(s).toEqual({ value: "a", cursor: 1 });
    expect(edit({ value: "x", cursor: 0 }, "", k({ backspace: true }))).toEqual({ value: "x", cursor: 0 });
  });

  it("Ctrl+U, Ctrl+W, Ctrl+A, Ctrl+E", () => {
    expect(edit({ value: "one two three", cursor: 13 }, "w", k({ ctrl: true }))).toEqual({
      value: "one two ",
      cursor: 8,
    });
    expect(edit({ value: "one two", cursor: 4 }, "u", k({ ctrl: true }))).toEqual({
      value: "two",
      cursor: 0,
    });
    expect(edit({ value: "abc", cursor: 2 }, "a", k({ ctrl: true }))?.cursor).toBe(0);
    expect(edit({ value: "abc", cursor: 0 }, "e", k({ ctrl: true }))?.cursor).toBe(3);
  });

  it("leaves the app's keys alone: Alt+digit, Ctrl+N/P, Enter, PgUp, arrows up/down", () => {
    expect(edit(EMPTY, "1", k({ meta: true }))).toBeNull();
    expect(edit(EMPTY, "n", k({ ctrl: true }))).toBeNull();
    expect(edit(EMPTY, "", k({ return: true }))).toBeNull();
    expect(edit(EMPTY, "", k({ pageUp: true }))).toBeNull();
    expect(edit(EMPTY, "", k({ upArrow: true }))).toBeNull();
  });

  it("a paste with line breaks and escape sequences becomes one clean line", () => {
    expect(edit(EMPTY, "one\ntwo\u001b[31m!", none)).toEqual({ value: "one two!", cursor: 8 });
  });
});

describe("history", () => {
  it("recalls older lines with Up and returns to the draft with Down", () => {
    let h = remember(remember(NO_HISTORY, "first"), "second");
    let r = recall(h, "draft", -1);
    expect(r.value).toBe("second");
    h = r.history;
    r = recall(h, r.value, -1);
    expect(r.value).toBe("first");
    r = recall(r.history, r.value, -1);
    expect(r.value).toBe("first");
    r = recall(r.history, r.value, 1);
    r = recall(r.history, r.value, 1);
    expect(r.value).toBe("draft");
  });

  it("does not store empty lines or repeats", () => {
    const h = remember(remember(remember(NO_HISTORY, "a"), "a"), "  ");
    expect(h.entries).toEqual(["a"]);
  });
});

describe("splitLines", () => {
  it("turns a chunk with line breaks and tabs into text, Enter and Tab presses in order", () => {
    const seen: string[] = [];
    splitLines("one\r\ntwo\tthree\r", none, (input, key) =>
      seen.push(key.return ? "<enter>" : key.tab ? "<tab>" : input),
    );
    expect(seen).toEqual(["one", "<enter>", "two", "<tab>", "three", "<enter>"]);
  });

  it("passes single keys through untouched", () => {
    const seen: Array<[string, boolean]> = [];
    splitLines("\r", k({ return: true }), (input, key) => seen.push([input, key.return]));
    splitLines("x", none, (input, key) => seen.push([input, key.return]));
    expect(seen).toEqual([
      ["\r", true],
      ["x", false],
    ]);
  });
});

import { describe, expect, it } from "vitest";
import {
  LineSplitter,
  MAX_CLIENT_TAGS_BYTES,
  buildLine,
  parseLine,
  splitUtf8,
} from "../../../src/hub/gateway/irc/line.js";
import { ircToMarkdown, markdownToIrc } from "../../../src/hub/gateway/irc/format.js";

const b = (s: string | number[]) => (typeof s === "string" ? Buffer.from(s, "utf8") : Buffer.from(s));

function ok(line: string | Buffer) {
  const parsed = parseLine(typeof line === "string" ? b(line) : line);
  if (!parsed.ok) throw new Error(`expected a message, got ${JSON.stringify(parsed.problem)}`);
  return parsed.message;
}

describe("LineSplitter", () => {
  it("splits on LF and CR LF, across chunks", () => {
    const s = new LineSplitter();
    expect(s.push(b("NICK a\r\nUS")).map(String)).toEqual(["NICK a"]);
    expect(s.push(b("ER x 0 * :y\nPING")).map(String)).toEqual(["USER x 0 * :y"]);
    expect(s.push(b(" z\r\n")).map(String)).toEqual(["PING z"]);
  });

  it("refuses an endless line once and resyncs at the next LF", () => {
    const s = new LineSplitter(100);
    expect(s.push(Buffer.alloc(150, 0x61))).toEqual(["too-long"]);
    expect(s.push(Buffer.alloc(1000, 0x61))).toEqual([]);
    expect(s.push(b("aaa\nPING x\r\n")).map(String)).toEqual(["PING x"]);
  });

  it("refuses a too long line that ends in the same chunk", () => {
    const s = new LineSplitter(10);
    const out = s.push(b("PRIVMSG #a :0123456789\r\nPING y\r\n"));
    expect(out.map((x) => (x === "too-long" ? x : String(x)))).toEqual(["too-long", "PING y"]);
  });
});

describe("parseLine", () => {
  it("parses tags, source, command and params", () => {
    const m = ok("@time=2020;+draft/react=\\:)\\s;x :nick!u@h privmsg #chan :hello  world");
    expect(m.tags.get("time")).toBe("2020");
    expect(m.tags.get("+draft/react")).toBe(";) ");
    expect(m.tags.get("x")).toBe("");
    expect(m.source).toBe("nick!u@h");
    expect(m.command).toBe("PRIVMSG");
    expect(m.params).toEqual(["#chan", "hello  world"]);
  });

  it("keeps an empty trailing and collapses repeated spaces between middles", () => {
    expect(ok("TOPIC   #a   :").params).toEqual(["#a", ""]);
    expect(ok("JOIN #a,#b key").params).toEqual(["#a,#b", "key"]);
  });

  it("puts the 15th and later words into the last parameter", () => {
    const words = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const m = ok(`CMD ${words.join(" ")}`);
    expect(m.params).toHaveLength(15);
    expect(m.params[14]).toBe(words.slice(14).join(" "));
  });

  it("accepts a body of exactly 510 bytes and refuses 511", () => {
    const head = "PRIVMSG #a :";
    const fits = head + "x".repeat(510 - head.length);
    expect(parseLine(b(fits)).ok).toBe(true);
    expect(parseLine(b(fits + "x"))).toEqual({ ok: false, problem: { kind: "too-long", part: "body" } });
  });

  it("accepts a client's tags up to 4096 bytes (4094 of data) and refuses more", () => {
    const tag = (n: number) => "@a=" + "v".repeat(n - 4) + " ";
    expect(parseLine(b(tag(MAX_CLIENT_TAGS_BYTES) + "PING x")).ok).toBe(true);
    expect(parseLine(b(tag(MAX_CLIENT_TAGS_BYTES + 1) + "PING x"))).toEqual({
      ok: false,
      problem: { kind: "too-long", part: "tags" },
    });
  });

  it("takes UTF-8 and refuses other bytes", () => {
    expect(ok("PRIVMSG #a :héllo 😀").params[1]).toBe("héllo 😀");
    const latin1 = Buffer.concat([b("PRIVMSG #a :h"), b([0xe9]), b("llo")]);
    expect(parseLine(latin1)).toEqual({ ok: false, problem: { kind: "bad-utf8" } });
    expect(parseLine(b([0xff, 0xfe, 0x00]))).toEqual({ ok: false, problem: { kind: "bad-utf8" } });
  });

  it("refuses malformed lines without throwing", () => {
    for (const bad of [
      "@a=b",
      ":src",
      ":src   ",
      "   ",
      "PING\x01 x",
      "PRIV$MSG x",
      "@bad key=1 PING",
      "PING a\0b",
    ]) {
      const parsed = parseLine(b(bad));
      expect(parsed.ok, bad).toBe(false);
    }
  });

  it("never throws on random bytes", () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(Array.from({ length: rand() % 64 }, rand));
      expect(() => parseLine(bytes)).not.toThrow();
    }
  });
});

describe("buildLine", () => {
  it("escapes tags and uses a trailing parameter when needed", () => {
    expect(
      buildLine({
        tags: [
          ["time", "2020-01-01T00:00:00.000Z"],
          ["x", "a b;c"],
        ],
        source: "a!a@h",
        command: "PRIVMSG",
        params: ["#c", "hi there"],
      }),
    ).toBe("@time=2020-01-01T00:00:00.000Z;x=a\\sb\\:c :a!a@h PRIVMSG #c :hi there\r\n");
    expect(buildLine({ command: "PING", params: ["x"] })).toBe("PING x\r\n");
    expect(buildLine({ command: "X", params: [":y"] })).toBe("X ::y\r\n");
    expect(buildLine({ command: "X", params: [""] })).toBe("X :\r\n");
  });

  it("cannot be made to send a second line", () => {
    expect(buildLine({ command: "PRIVMSG", params: ["#a", "x\r\nQUIT :bye"] })).toBe(
      "PRIVMSG #a :x  QUIT :bye\r\n",
    );
  });

  it("round-trips through parseLine", () => {
    const line = buildLine({ tags: [["msgid", "1"]], source: "s", command: "NOTICE", params: ["a", ":b c"] });
    const m = ok(line.slice(0, -2));
    expect(m.params).toEqual(["a", ":b c"]);
  });
});

describe("splitUtf8", () => {
  it("cuts at spaces, never inside a character", () => {
    const parts = splitUtf8("😀".repeat(100), 30);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(30);
    expect(parts.join("")).toBe("😀".repeat(100));
    expect(splitUtf8("aaa bbb ccc", 8)).toEqual(["aaa bbb", "ccc"]);
  });
});

describe("formatting", () => {
  it("turns mIRC codes into Markdown", () => {
    expect(ircToMarkdown("a \x02bold\x02 and \x1ditalic\x1d \x11code\x11 \x1estrike\x0f")).toBe(
      "a **bold** and *italic* `code` ~~strike~~",
    );
    expect(ircToMarkdown("\x02bold \x02rest")).toBe("**bold** rest");
    expect(ircToMarkdown("\x0304,12red\x03 \x1funder\x1f")).toBe("red under");
    expect(ircToMarkdown("bell\x07 and \x01")).toBe("bell and ");
  });

  it("turns Markdown into mIRC codes", () => {
    expect(markdownToIrc("a **bold** and *italic* `code` ~~strike~~")).toBe(
      "a \x02bold\x02 and \x1ditalic\x1d \x11code\x11 \x1estrike\x1e",
    );
    expect(markdownToIrc("2 * 3 * 4 snake_case_name")).toBe("2 * 3 * 4 snake_case_name");
  });
});

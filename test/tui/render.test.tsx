/**
 * What the message pane prints, through Ink itself (ink-testing-library): formatting, numbered OSC 8
 * links, escape sequences from the network stripped, colours on and off.
 */
/* eslint-disable no-control-regex -- these tests look for escape sequences on purpose */
import { describe, expect, it, vi } from "vitest";

// Ink's chalk decides its colour level when it loads; a test process has no TTY, so force level 1.
vi.hoisted(() => {
  process.env["FORCE_COLOR"] = "1";
});

import React from "react";
import { Box } from "ink";
import { render } from "ink-testing-library";
import type { Message } from "../../src/protocol/index.js";
import { messageLine, noticeLine, type PaneLine } from "../../src/tui/model/lines.js";
import { createTheme, userColor, USER_PALETTE, colorWanted } from "../../src/tui/render/theme.js";
import { MessagePane } from "../../src/tui/views/MessagePane.js";
import { Line } from "../../src/tui/views/Line.js";

const ESC = "\u001b";
const NOW = new Date(2026, 0, 2, 14, 5).getTime();
let nextId = 1;

function msg(from: string, body: string): Message {
  const id = nextId++;
  return { id: String(id), seq: id, ts: NOW, from, room: "general", body };
}

function frame(line: PaneLine, color = true, width = 100): string {
  const { lastFrame, unmount } = render(
    <Box width={width}>
      <Line line={line} theme={createTheme({ color })} firstLinkNumber={1} now={NOW} />
    </Box>,
  );
  const out = lastFrame() ?? "";
  unmount();
  return out;
}

/** Removes SGR colour/style codes and OSC 8 wrappers: what a person reads. */
function visible(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, "").replace(/\u001b\]8;;[^\u0007]*\u0007/g, "");
}

const never = (): boolean => false;

describe("message rendering", () => {
  it("shows time, name and the formatted body with the markers removed", () => {
    const out = frame(messageLine(msg("bob", "**bold** *it* `co*de*` ~~gone~~"), "alice", never));
    expect(visible(out)).toBe("14:05 <bob> bold it co*de* gone");
    expect(out).toContain(`${ESC}[1mbold${ESC}[22m`);
    expect(out).toContain(`${ESC}[3mit${ESC}[23m`);
    expect(out).toContain(`${ESC}[9mgone${ESC}[29m`);
  });

  it("numbers links and wraps them in OSC 8 hyperlinks", () => {
    const out = frame(
      messageLine(msg("bob", "docs: https://example.com/a_b and example.org"), "alice", never),
    );
    expect(visible(out)).toBe("14:05 <bob> docs: https://example.com/a_b[1] and example.org[2]");
    expect(out).toContain(`${ESC}]8;;https://example.com/a_b\u0007https://example.com/a_b`);
    expect(out).toContain(`${ESC}]8;;https://example.org\u0007example.org`);
  });

  it("can print links without OSC 8", () => {
    const { lastFrame } = render(
      <Line
        line={messageLine(msg("bob", "https://example.com"), "alice", never)}
        theme={createTheme({ color: true, hyperlinks: false })}
        firstLinkNumber={4}
        now={NOW}
      />,
    );
    expect(lastFrame()).not.toContain(`${ESC}]8`);
    expect(visible(lastFrame() ?? "")).toContain("https://example.com[4]");
  });

  it("strips escape sequences and controls from network text, names included", () => {
    const evil =
      `hi${ESC}[2J${ESC}[H${ESC}]0;pwned\u0007 ${ESC}]8;;https://evil.example\u0007click${ESC}]8;;\u0007` +
      `\u009b31m\u202e!\u0007`;
    const out = frame(messageLine(msg(`mal${ESC}[31mory`, evil), "alice", never));
    expect(visible(out)).toBe("14:05 <malory> hi click!");
    expect(out).not.toContain("evil.example");
    expect(out).not.toContain("pwned");
    expect(out).not.toContain("\u0007click");
    expect(out).not.toContain("\u202e");
    expect(out).not.toContain(`${ESC}[2J`);
  });

  it("gives each user a stable colour from the palette, and yours a distinct style", () => {
    expect(userColor("bob")).toBe(userColor("BOB"));
    expect(USER_PALETTE).toContain(userColor("bob"));
    const names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
    expect(new Set(names.map(userColor)).size).toBeGreaterThan(3);
    const theirs = frame(messageLine(msg("bob", "hi"), "alice", never));
    const mine = frame(messageLine(msg("alice", "hi"), "alice", never));
    expect(theirs).not.toBe(mine);
    expect(mine).toContain(`${ESC}[97m<alice>`); // whiteBright, bold
  });

  it("shows a notice message (IRC NOTICE, bots) as -name- with a dim body", () => {
    const notice = messageLine({ ...msg("build-bot", "tests passed"), notice: true }, "alice", never);
    const out = frame(notice);
    expect(visible(out)).toBe("14:05 -build-bot- tests passed");
    expect(out).toContain(`${ESC}[2m tests passed`);
    // An ordinary message keeps <name> and an undimmed body.
    const plain = frame(messageLine(msg("build-bot", "tests passed"), "alice", never));
    expect(visible(plain)).toBe("14:05 <build-bot> tests passed");
    expect(plain).not.toContain(`${ESC}[2m tests passed`);
  });

  it("shows notices in their own style and errors in red", () => {
    const sys = frame(noticeLine({ id: 1, ts: NOW, level: "system", text: "bob joined #general" }));
    const err = frame(noticeLine({ id: 2, ts: NOW, level: "error", text: "unknown command /jion" }));
    expect(visible(sys)).toBe("14:05 -!- bob joined #general");
    expect(sys).toContain(`${ESC}[3m`); // italic
    expect(sys).toContain(`${ESC}[90m`); // gray
    expect(err).toContain(`${ESC}[31m`); // red
  });

  it("with colour off prints no colour codes but keeps bold/italic so kinds stay apart", () => {
    const out = frame(messageLine(msg("bob", "**hey** https://example.com"), "alice", never), false);
    expect(out).not.toMatch(/\u001b\[(3[0-7]|9[0-7]|4[0-7]|10[0-7]|38;|48;)[0-9;]*m/);
    expect(out).toContain(`${ESC}[1m`);
    expect(visible(out)).toBe("14:05 <bob> hey https://example.com[1]");
  });

  it("NO_COLOR and --no-color turn colour off", () => {
    expect(colorWanted(true, {})).toBe(true);
    expect(colorWanted(true, { NO_COLOR: "1" })).toBe(false);
    expect(colorWanted(true, { NO_COLOR: "" })).toBe(true);
    expect(colorWanted(false, {})).toBe(false);
  });

  it("highlights a message that mentions you", () => {
    const plain = frame(messageLine(msg("bob", "hello all"), "alice", () => false));
    const mention = frame(messageLine(msg("bob", "hello alice"), "alice", () => true));
    expect(mention).toContain(`${ESC}[93m<bob>`); // yellowBright
    expect(plain).not.toContain(`${ESC}[93m<bob>`);
  });
});

describe("message pane", () => {
  const lines = Array.from({ length: 30 }, (_, i) =>
    messageLine(msg("bob", `line ${i} https://e.org/${i}`), "alice", never),
  );

  it("shows the newest lines that fit, with link numbers counted over the whole view", () => {
    const { lastFrame } = render(
      <MessagePane
        lines={lines}
        theme={createTheme({ color: false })}
        width={60}
        height={5}
        scroll={0}
        now={NOW}
      />,
    );
    const rows = visible(lastFrame() ?? "").split("\n");
    expect(rows).toHaveLength(5);
    expect(rows[4]).toBe("14:05 <bob> line 29 https://e.org/29[30]");
    expect(rows[0]).toBe("14:05 <bob> line 25 https://e.org/25[26]");
  });

  it("scrolls back and says how much is below", () => {
    const { lastFrame } = render(
      <MessagePane
        lines={lines}
        theme={createTheme({ color: false })}
        width={60}
        height={5}
        scroll={10}
        now={NOW}
      />,
    );
    const rows = visible(lastFrame() ?? "").split("\n");
    expect(rows[3]).toBe("14:05 <bob> line 19 https://e.org/19[20]");
    expect(rows[4]).toBe("-- 10 more lines below: PgDn --");
  });

  it("keeps the newest line at the bottom when lines wrap, with wrapped rows under the text, not the time", () => {
    const long = messageLine(msg("bob", "word ".repeat(20).trim()), "alice", never);
    const newest = messageLine(msg("carol", "newest"), "alice", never);
    const { lastFrame } = render(
      <MessagePane
        lines={[...lines.slice(0, 3), long, newest]}
        theme={createTheme({ color: false })}
        width={40}
        height={5}
        scroll={0}
        now={NOW}
      />,
    );
    const rows = visible(lastFrame() ?? "").split("\n");
    expect(rows).toHaveLength(5);
    expect(rows[4]).toBe("14:05 <carol> newest");
    // The long message takes the four rows above; its continuation rows hang under the text column.
    expect(rows[0]).toBe("14:05 <bob> word word word word word");
    for (const row of rows.slice(1, 4)) expect(row).toMatch(/^ {6} ?word( word)*$/);
  });
});

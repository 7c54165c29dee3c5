import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PROTOCOL_DOC, renderProtocolDoc } from "../../scripts/gen-protocol-docs.js";
import { ERROR_CODES } from "../../src/protocol/errors.js";
import { ops } from "../../src/protocol/ops.js";

describe("docs/protocol.md", () => {
  it("is generated from the current schemas (run `npm run docs:protocol` when this fails)", () => {
    expect(readFileSync(PROTOCOL_DOC, "utf8")).toBe(renderProtocolDoc());
  });
  it("documents every op and every error code", () => {
    const doc = readFileSync(PROTOCOL_DOC, "utf8");
    for (const op of Object.keys(ops)) expect(doc).toContain(`### \`${op}\``);
    for (const code of ERROR_CODES) expect(doc).toContain(`| \`${code}\` |`);
  });
});

/**
 * Generates docs/protocol.md from the schemas in src/protocol (ops, events, errors, limits) plus the prose
 * in scripts/protocol-prose.md. `npm run docs:protocol` rewrites it; a test fails when it is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ERROR_CODES, ERROR_DESCRIPTIONS } from "../src/protocol/errors.js";
import { events } from "../src/protocol/events.js";
import * as limits from "../src/protocol/limits.js";
import { ops } from "../src/protocol/ops.js";

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  additionalProperties?: Schema | boolean;
};

const EXAMPLES: Record<string, unknown> = {
  client: "parley-tui/0.1",
  protocol: 1,
  username: "alice",
  password: "correct horse battery staple",
  displayName: "Alice",
  firstName: "Alice",
  lastName: "Liddell",
  device: "laptop",
  token: "3q2-7wEAAAAB…",
  room: "general",
  name: "general",
  user: "bob",
  from: "alice",
  to: "alice2",
  body: "hello **world**",
  cid: "c-1f3a",
  description: "Talk about anything",
  capacity: 50,
  query: "al",
  seq: 42,
  before: 100,
  after: 40,
  limit: 50,
  reason: "spam",
  by: "alice",
  on: true,
  accept: true,
  requestId: "r-8c1d",
  channel: 7,
  key: "MCowBQYDK2VwAyEA…",
  role: "admin",
  old: "correct horse battery staple",
  new: "a much longer passphrase",
  id: "1042",
  ts: 1767225600000,
  online: true,
  detail: true,
  cursors: { "room:general": 41, "dm:bob": 7 },
};

function typeOf(s: Schema): string {
  if (s.anyOf) return s.anyOf.map(typeOf).join(" or ");
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" / ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  const t = Array.isArray(s.type) ? s.type.join(" or ") : (s.type ?? "any");
  if (t === "array" && s.items) return `[${typeOf(s.items)}]`;
  if (t === "object" && s.properties) return `{${Object.keys(s.properties).join(", ")}}`;
  return t;
}

function bounds(s: Schema): string {
  const parts: string[] = [];
  if (s.minLength !== undefined || s.maxLength !== undefined)
    parts.push(`length ${s.minLength ?? 0}–${s.maxLength ?? "∞"}`);
  if (s.minimum !== undefined || s.maximum !== undefined)
    parts.push(`${s.minimum ?? "−∞"}–${s.maximum ?? "∞"}`);
  return parts.join(", ");
}

function fits(value: unknown, s: Schema): boolean {
  const types = s.anyOf ? s.anyOf.flatMap((x) => x.type ?? []) : [s.type ?? []].flat();
  const kind = typeof value === "number" ? ["integer", "number"] : [typeof value];
  return types.length === 0 || types.some((t) => kind.includes(t));
}

function example(name: string, s: Schema): unknown {
  if (name in EXAMPLES && fits(EXAMPLES[name], s)) return EXAMPLES[name];
  if (s.anyOf) return example(name, s.anyOf.find((x) => x.type !== "null") ?? s.anyOf[0]!);
  if (s.enum) return s.enum[0];
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === "object" && s.properties) return exampleObject(s);
  if (t === "array") return s.items ? [example(name.replace(/s$/, ""), s.items)] : [];
  if (t === "string") return name;
  if (t === "integer" || t === "number") return 1;
  if (t === "boolean") return false;
  return null;
}

function exampleObject(s: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(s.properties ?? {})) out[key] = example(key, prop);
  return out;
}

function jsonSchema(schema: z.ZodType): Schema {
  return z.toJSONSchema(schema, { unrepresentable: "any", io: "input" }) as Schema;
}

function fieldTable(schema: Schema): string {
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0) return "_none_\n";
  const required = new Set(schema.required ?? []);
  const rows = props.map(([key, s]) => {
    const notes = [bounds(s), s.description].filter(Boolean).join("; ");
    return `| \`${key}\` | ${typeOf(s).replace(/\|/g, "\\|")} | ${required.has(key) ? "yes" : "no"} | ${notes} |`;
  });
  return ["| field | type | required | notes |", "|---|---|---|---|", ...rows].join("\n") + "\n";
}

function render(): string {
  const prose = readFileSync(fileURLToPath(new URL("./protocol-prose.md", import.meta.url)), "utf8");
  const out: string[] = [prose.trimEnd(), ""];
  out.push("## Limits", "", "| name | value |", "|---|---|");
  for (const [key, value] of Object.entries(limits).sort(([a], [b]) => a.localeCompare(b))) {
    if (typeof value === "number" || typeof value === "string")
      out.push(`| \`${key}\` | ${JSON.stringify(value)} |`);
  }
  out.push(
    "",
    "## Ops",
    "",
    'Generated from `src/protocol/ops.ts`. Every request is `{"id", "op", ...params}`; every reply `{"re", "ok": true, ...result}` or an error reply.',
    "",
  );
  for (const [name, spec] of Object.entries(ops)) {
    const params = jsonSchema(spec.params);
    const result = jsonSchema(spec.result);
    out.push(`### \`${name}\``, "", spec.summary, "");
    out.push(spec.auth ? "Needs a session." : "Allowed before authentication.", "");
    out.push("**Params**", "", fieldTable(params), "**Result**", "", fieldTable(result));
    out.push(
      `**Errors**: ${spec.errors.length ? spec.errors.map((e) => `\`${e}\``).join(", ") : "_only the generic ones_"}`,
      "",
    );
    out.push(
      "```json",
      JSON.stringify({ id: 1, op: name, ...exampleObject(params) }),
      JSON.stringify({ re: 1, ok: true, ...exampleObject(result) }),
      "```",
      "",
    );
  }
  out.push(
    "## Events",
    "",
    'Generated from `src/protocol/events.ts`. Every event is `{"ev": name, ...data}`.',
    "",
  );
  for (const [name, schema] of Object.entries(events)) {
    const s = jsonSchema(schema);
    out.push(
      `### \`${name}\``,
      "",
      s.description ?? "",
      "",
      fieldTable(s),
      "```json",
      JSON.stringify({ ev: name, ...exampleObject(s) }),
      "```",
      "",
    );
  }
  out.push("## Error codes", "", "| code | meaning |", "|---|---|");
  for (const code of ERROR_CODES) out.push(`| \`${code}\` | ${ERROR_DESCRIPTIONS[code]} |`);
  out.push(
    "",
    "Example:",
    "",
    "```json",
    JSON.stringify({
      re: 3,
      ok: false,
      error: { code: "ROOM_FULL", message: "general is full (capacity 50)" },
    }),
    "```",
    "",
  );
  return out.join("\n");
}

export const PROTOCOL_DOC = fileURLToPath(new URL("../docs/protocol.md", import.meta.url));
export { render as renderProtocolDoc };

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(PROTOCOL_DOC, render());
  console.log(`wrote ${PROTOCOL_DOC}`);
}

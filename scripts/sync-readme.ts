/**
 * The README's "Using the terminal client" section is docs/terminal-client.md with its headings one
 * level down, between two marker comments. `npm run docs:readme` rewrites it; a test fails when stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const START =
  "<!-- terminal-client:start (generated from docs/terminal-client.md by npm run docs:readme) -->";
const END = "<!-- terminal-client:end -->";

export const README = fileURLToPath(new URL("../README.md", import.meta.url));
const DOC = fileURLToPath(new URL("../docs/terminal-client.md", import.meta.url));

export function terminalSection(): string {
  const doc = readFileSync(DOC, "utf8").trimEnd();
  let inFence = false;
  const lines = doc.split("\n").map((line) => {
    if (line.startsWith("```")) inFence = !inFence;
    return !inFence && line.startsWith("#") ? `#${line}` : line;
  });
  return `${START}\n${lines.join("\n")}\n${END}`;
}

export function syncedReadme(readme: string): string {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < 0) throw new Error("README.md lacks the terminal-client markers");
  return readme.slice(0, from) + terminalSection() + readme.slice(to + END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(README, syncedReadme(readFileSync(README, "utf8")));
  console.log(`updated ${README}`);
}

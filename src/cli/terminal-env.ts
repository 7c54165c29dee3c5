/**
 * Imported first by main.ts, before any module that reads the environment at import time.
 *
 * Ink renders nothing but the last frame, and chalk drops colour, when they think they run under CI
 * (`CI` or `CONTINUOUS_INTEGRATION` set). `parley chat` at a terminal is a person at a terminal, even
 * inside a CI job's shell, so for it those variables are removed before Ink and chalk look.
 */
if (process.argv[2] === "chat" && process.stdin.isTTY && process.stdout.isTTY) {
  delete process.env["CI"];
  delete process.env["CONTINUOUS_INTEGRATION"];
}

export {};

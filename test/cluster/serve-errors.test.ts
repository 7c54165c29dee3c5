/**
 * `parley serve` pointed at a PostgreSQL or Redis that is not there: it exits with a message naming
 * what it could not reach (and no password), instead of starting half a cluster node.
 */
import { describe, expect, it } from "vitest";
import { spawnHub } from "../helpers/hub.js";
import { freshPrefix, freshSchema, missingServices } from "./services.js";

const missing = await missingServices("postgres", "redis");

async function exitMessage(args: string[]): Promise<string> {
  const err = await spawnHub({ args, timeoutMs: 40_000 }).then(
    async (hub) => {
      await hub.kill();
      throw new Error("the hub started");
    },
    (e: unknown) => e as Error,
  );
  return err.message;
}

describe.skipIf(missing !== undefined)(
  `serve in cluster mode, engines missing${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    it("exits naming the Redis it cannot reach", async () => {
      const schema = await freshSchema();
      try {
        const message = await exitMessage(["--store", schema.url, "--bus", "redis://:hunter2@127.0.0.1:1/0"]);
        expect(message).toMatch(/hub exited with [1-9]/);
        expect(message).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
        expect(message).not.toContain("hunter2");
      } finally {
        await schema.drop();
      }
    }, 60_000);

    it("exits naming the PostgreSQL it cannot reach, without its password", async () => {
      const { url, drop } = freshPrefix();
      try {
        const message = await exitMessage([
          "--store",
          "postgres://parley:hunter2@127.0.0.1:1/parley",
          "--bus",
          url,
        ]);
        expect(message).toMatch(/hub exited with [1-9]/);
        expect(message).toMatch(/ECONNREFUSED 127\.0\.0\.1:1/);
        expect(message).not.toContain("hunter2");
      } finally {
        await drop();
      }
    }, 60_000);
  },
);

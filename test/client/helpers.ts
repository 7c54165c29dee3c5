/** Shared pieces of the SDK tests: a temp config folder per client, and bounded waiting. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ParleyClient, type ParleyClientOptions } from "../../src/client/index.js";

export async function tempConfigDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "parley-client-"));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Polls `check` until it returns true, at most `timeoutMs`; fails with `what` otherwise. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Fast timings for tests: quick reconnects, short request timeout. */
export function testClient(
  url: string,
  configDir: string,
  extra: Partial<ParleyClientOptions> = {},
): ParleyClient {
  return new ParleyClient({
    urls: url,
    configDir,
    clientName: "sdk-test",
    requestTimeoutMs: 5000,
    backoff: { baseMs: 50, maxMs: 500 },
    ...extra,
  });
}

/** Registers and logs in a fresh account on a connected client. */
export async function signUp(
  client: ParleyClient,
  username: string,
  password = "correct-horse-battery",
): Promise<void> {
  await client.register({ username, password });
  await client.login(username, password);
}

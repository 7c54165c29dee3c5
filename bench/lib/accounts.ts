/**
 * Parley accounts for the benchmarks. Registering costs an Argon2id hash on the hub (~10 ms) and logging in
 * another, so a run creates its accounts once on a template data folder and copies that folder for every
 * fresh hub it starts; clients then authenticate with `resume` and the saved session tokens, which is what
 * a reconnecting client does anyway.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { microClock } from "./clock.js";
import { ParleyConn } from "./parley.js";
import { startParley, type Server } from "./servers.js";

export interface Account {
  username: string;
  password: string;
  token: string;
}

export const BENCH_PASSWORD = "bench-password-7447";

export async function createAccounts(
  server: Pick<Server, "host" | "port" | "tls" | "fingerprint">,
  count: number,
  prefix = "user",
  concurrency = 8,
  onProgress?: (done: number) => void,
): Promise<Account[]> {
  const clock = microClock(Date.now());
  const accounts: Account[] = new Array<Account>(count);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const username = `${prefix}${i}`;
      const conn = await ParleyConn.connect(server, clock);
      try {
        await conn.register(username, BENCH_PASSWORD);
        const token = await conn.login(username, BENCH_PASSWORD);
        accounts[i] = { username, password: BENCH_PASSWORD, token };
      } finally {
        conn.close();
      }
      if (++done % 500 === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return accounts;
}

export interface Template {
  dir: string;
  accounts: Account[];
  dispose(): void;
}

/** A data folder holding `count` registered accounts with live sessions, to copy for each hub. */
export async function createTemplate(count: number, log: (s: string) => void = () => {}): Promise<Template> {
  const dir = mkdtempSync(path.join(tmpdir(), "parley-bench-template-"));
  const hub = await startParley({ insecure: true, dataDir: dir });
  const t0 = Date.now();
  let accounts: Account[];
  try {
    accounts = await createAccounts(hub, count, "user", 8, (n) => log(`  ${n}/${count} accounts`));
  } finally {
    await hub.stop();
  }
  log(`  ${count} accounts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { dir, accounts, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh copy of the template's data folder; the caller's hub owns it. */
export function copyTemplate(t: Template): string {
  const dir = mkdtempSync(path.join(tmpdir(), "parley-bench-data-"));
  cpSync(t.dir, dir, { recursive: true });
  return dir;
}

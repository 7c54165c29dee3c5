/**
 * `--remember`: keeps the session token of each hub in sessions.json in the config folder, so the
 * next `parley chat` resumes without asking for the password. Off unless asked for, because the token
 * is as good as the password until it expires or you /logout; the file is readable by you alone (0600).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";

const entrySchema = z.object({ username: z.string(), token: z.string(), expiresAt: z.number() });
const fileSchema = z.record(z.string(), entrySchema);

export type RememberedSession = z.infer<typeof entrySchema>;

export class SessionFile {
  readonly path: string;

  constructor(configDir: string) {
    this.path = join(configDir, "sessions.json");
  }

  private read(): Record<string, RememberedSession> {
    if (!existsSync(this.path)) return {};
    try {
      return fileSchema.parse(JSON.parse(readFileSync(this.path, "utf8")));
    } catch {
      // A damaged file only costs a login: start afresh rather than refuse to start.
      return {};
    }
  }

  private write(all: Record<string, RememberedSession>): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }

  /** The session kept for `hub`, if it has not expired (and is for `username`, when given). */
  get(hub: string, username: string | undefined, now: number = Date.now()): RememberedSession | undefined {
    const entry = this.read()[hub];
    if (!entry || entry.expiresAt <= now) return undefined;
    if (username !== undefined && entry.username !== username.toLowerCase()) return undefined;
    return entry;
  }

  set(hub: string, entry: RememberedSession): void {
    this.write({ ...this.read(), [hub]: entry });
  }

  delete(hub: string): void {
    const all = this.read();
    if (!(hub in all)) return;
    delete all[hub];
    this.write(all);
  }
}

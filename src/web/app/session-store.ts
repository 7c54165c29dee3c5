/** The session token in the browser's storage, so a reload resumes instead of asking for the password. */
const KEY = "parley.session";

export interface StoredSession {
  username: string;
  token: string;
  expiresAt: number;
}

export function loadSession(storage: Storage): StoredSession | null {
  try {
    const raw = storage.getItem(KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof value.token !== "string" || typeof value.username !== "string") return null;
    if (typeof value.expiresAt === "number" && value.expiresAt < Date.now()) return null;
    return { username: value.username, token: value.token, expiresAt: value.expiresAt ?? 0 };
  } catch {
    return null;
  }
}

export function saveSession(storage: Storage, session: StoredSession): void {
  try {
    storage.setItem(KEY, JSON.stringify(session));
  } catch {
    // Private mode or a full storage: the session simply does not survive a reload.
  }
}

export function clearSession(storage: Storage): void {
  try {
    storage.removeItem(KEY);
  } catch {
    // Nothing stored, nothing to clear.
  }
}

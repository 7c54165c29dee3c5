/** Saving a received file without ever replacing one: safe names and the first free "name (n).ext". */
import { open, rename } from "node:fs/promises";
import { basename, extname, join } from "node:path";

/** A name to save under: no folders, no control or path characters, never empty or hidden. */
export function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = basename(name.replace(/[\u0000-\u001f\u007f/\\:]/g, "_"))
    .replace(/^\.+/, "_")
    .trim();
  return cleaned === "" ? "download" : cleaned.slice(0, 200);
}

/**
 * Renames `part` to the first free name like `wanted` in `folder` ("x.bin", "x (1).bin", …). The name
 * is reserved with an exclusive create before the rename (which then replaces only that empty
 * placeholder), so two saves racing for a name cannot both take it. Returns the path.
 */
export async function claimName(part: string, folder: string, wanted: string): Promise<string> {
  const ext = extname(wanted);
  const stem = wanted.slice(0, wanted.length - ext.length);
  for (let n = 0; n < 1000; n++) {
    const candidate = join(folder, n === 0 ? wanted : `${stem} (${n})${ext}`);
    const handle = await open(candidate, "wx").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "EEXIST") return undefined;
      throw error;
    });
    if (!handle) continue;
    await handle.close();
    await rename(part, candidate);
    return candidate;
  }
  throw new Error(`no free name like ${wanted} in ${folder}`);
}

/** The `files` table's rows as both stores read them (same columns), and their mapping to records. */
import type { FileRecord, FileState } from "./file-records.js";

export interface FileRow {
  id: string;
  owner_id: number;
  conv_id: number;
  name: string;
  size: number;
  declared_type: string | null;
  state: FileState;
  created_at: number;
  slot_expires_at: number;
  blob: string | null;
  type: string | null;
  uploaded_at: number | null;
  width: number | null;
  height: number | null;
  thumb_blob: string | null;
  thumb_width: number | null;
  thumb_height: number | null;
  thumb_type: string | null;
  cid: string | null;
}

export const FILE_COLUMNS = `id, owner_id, conv_id, name, size, declared_type, state, created_at, slot_expires_at, blob,
  type, uploaded_at, width, height, thumb_blob, thumb_width, thumb_height, thumb_type, cid`;

export function fileFromRow(row: FileRow): FileRecord {
  const file: FileRecord = {
    id: row.id,
    ownerId: row.owner_id,
    convId: row.conv_id,
    name: row.name,
    size: row.size,
    state: row.state,
    createdAt: row.created_at,
    slotExpiresAt: row.slot_expires_at,
  };
  if (row.declared_type !== null) file.declaredType = row.declared_type;
  if (row.blob !== null) file.blob = row.blob;
  if (row.type !== null) file.type = row.type;
  if (row.uploaded_at !== null) file.uploadedAt = row.uploaded_at;
  if (row.width !== null) file.width = row.width;
  if (row.height !== null) file.height = row.height;
  if (row.thumb_blob !== null) {
    file.thumbnail = {
      blob: row.thumb_blob,
      width: row.thumb_width ?? 0,
      height: row.thumb_height ?? 0,
      type: row.thumb_type ?? "image/webp",
    };
  }
  if (row.cid !== null) file.cid = row.cid;
  return file;
}

/** The blob keys (file and thumbnail) that deleted rows used, each once. */
export function blobsOf(rows: ReadonlyArray<{ blob: string | null; thumb_blob: string | null }>): string[] {
  const keys = new Set<string>();
  for (const row of rows) {
    if (row.blob !== null) keys.add(row.blob);
    if (row.thumb_blob !== null) keys.add(row.thumb_blob);
  }
  return [...keys];
}

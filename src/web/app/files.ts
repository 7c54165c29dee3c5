/**
 * Files in the browser: uploads (file.prepare, then a PUT to the hub that served this page, with
 * progress and cancel) and signed URLs for showing and downloading (an <img> or a link cannot carry
 * the session token, so `file.url` gives a short-lived URL for this user).
 */
import { signal } from "@preact/signals";
import type { ConversationKey, ParleyClient } from "../../client/core/index.js";
import { targetOf } from "../../client/core/keys.js";
import type { FileInfo, OpResult } from "../../protocol/index.js";

export interface Upload {
  id: number;
  name: string;
  size: number;
  done: number;
  cancel(): void;
}

/** Signed URLs are asked again this long before they expire. */
const URL_MARGIN_MS = 60_000;

export class WebFiles {
  readonly uploads = signal<readonly Upload[]>([]);
  private next = 1;
  private readonly urls = new Map<string, Promise<OpResult<"file.url">>>();

  constructor(private readonly client: ParleyClient) {}

  /** Uploads `file` to the conversation and sends it as a message; rejects with what went wrong. */
  async upload(view: ConversationKey, file: File): Promise<void> {
    const slot = await this.client.call("file.prepare", {
      ...targetOf(view),
      name: file.name || "pasted-image",
      size: file.size,
      ...(file.type ? { type: file.type } : {}),
    });
    const token = this.client.session?.token;
    if (!token) throw new Error("log in first");
    const xhr = new XMLHttpRequest();
    const upload: Upload = {
      id: this.next++,
      name: file.name,
      size: file.size,
      done: 0,
      cancel: () => xhr.abort(),
    };
    const update = (patch: Partial<Upload>) => {
      this.uploads.value = this.uploads.value.map((u) => (u.id === upload.id ? { ...u, ...patch } : u));
    };
    this.uploads.value = [...this.uploads.value, upload];
    try {
      const info = await new Promise<FileInfo>((resolve, reject) => {
        // The page came from the hub: the path alone keeps the upload on this origin.
        xhr.open("PUT", new URL(slot.uploadUrl).pathname);
        xhr.setRequestHeader("Authorization", `Bearer ${token}`);
        xhr.upload.onprogress = (e) => update({ done: e.loaded });
        xhr.onload = () => {
          let body: { file?: FileInfo; error?: { message?: string } } | undefined;
          try {
            body = JSON.parse(xhr.responseText) as typeof body;
          } catch {
            body = undefined;
          }
          if (xhr.status === 201 && body?.file) resolve(body.file);
          else reject(new Error(body?.error?.message ?? `the hub answered HTTP ${xhr.status}`));
        };
        xhr.onerror = () => reject(new Error("the upload failed (network)"));
        xhr.onabort = () => reject(new Error("upload cancelled"));
        xhr.send(file);
      });
      await this.client.send(view, "", { file: info });
    } finally {
      this.uploads.value = this.uploads.value.filter((u) => u.id !== upload.id);
    }
  }

  /** A signed URL for the file (and its thumbnail), fetched once and reused until it nearly expires. */
  signed(fileId: string): Promise<OpResult<"file.url">> {
    let found = this.urls.get(fileId);
    if (!found) {
      found = this.client.call("file.url", { fileId });
      this.urls.set(fileId, found);
      found.then(
        (r) =>
          setTimeout(() => this.urls.delete(fileId), Math.max(0, r.expiresAt - Date.now() - URL_MARGIN_MS)),
        () => this.urls.delete(fileId),
      );
    }
    return found;
  }
}

/**
 * The terminal client's file transfers through the hub: /upload, /save and /open of a file. One
 * transfer at a time shows its progress on the notice bar; Esc cancels the newest one.
 */
import { pathToFileURL } from "node:url";
import type { FileInfo } from "../../protocol/index.js";
import type { ConversationKey, ParleyClient } from "../../client/index.js";
import { downloadFile, uploadFile, TransferCancelledError } from "../../client/files.js";
import type { NoticeLevel } from "../model/lines.js";
import type { ViewKey } from "../../ui/view-keys.js";
import { formatBytes, progressBar } from "./progress.js";

export interface TransferHooks {
  flash(text: string, level: NoticeLevel, view: ViewKey): void;
  print(text: string, level: NoticeLevel, view: ViewKey): void;
  openUrl(url: string): Promise<void>;
}

/** How often the progress bar is redrawn at most. */
const REDRAW_MS = 100;

export class TuiFiles {
  private readonly running: AbortController[] = [];
  /** Where each file was saved in this session, so /open can show it. */
  private readonly saved = new Map<string, string>();

  constructor(
    private readonly client: ParleyClient,
    private readonly hooks: TransferHooks,
  ) {}

  /** Cancels the newest running transfer; false when none runs. */
  cancel(): boolean {
    const newest = this.running.pop();
    if (!newest) return false;
    newest.abort();
    return true;
  }

  get busy(): boolean {
    return this.running.length > 0;
  }

  private async track<T>(
    view: ViewKey,
    what: string,
    run: (options: { onProgress(done: number, total: number): void; signal: AbortSignal }) => Promise<T>,
  ): Promise<T | undefined> {
    const controller = new AbortController();
    this.running.push(controller);
    let last = 0;
    const onProgress = (done: number, total: number) => {
      const now = Date.now();
      if (done < total && now - last < REDRAW_MS) return;
      last = now;
      this.hooks.flash(`${what} ${progressBar(done, total)} · Esc cancels`, "info", view);
    };
    try {
      return await run({ onProgress, signal: controller.signal });
    } catch (error) {
      if (error instanceof TransferCancelledError || controller.signal.aborted) {
        this.hooks.print(`${what}: cancelled`, "info", view);
        this.hooks.flash(`${what}: cancelled`, "info", view);
        return undefined;
      }
      throw error;
    } finally {
      const i = this.running.indexOf(controller);
      if (i >= 0) this.running.splice(i, 1);
    }
  }

  /** /upload PATH in a room or DM view: uploads, then sends it as a message. */
  async upload(view: ConversationKey, path: string): Promise<void> {
    const name = path.split("/").pop() ?? path;
    const file = await this.track(view, `uploading ${name}`, (options) =>
      uploadFile(this.client, view, path, options),
    );
    if (!file) return;
    await this.client.send(view, "", { file });
    this.hooks.flash(`uploaded ${file.name} (${formatBytes(file.size)}, ${file.type})`, "info", view);
  }

  /** /save: downloads a file of a message to `target` (a folder or path; default the download folder). */
  async save(view: ViewKey, file: FileInfo, target?: string): Promise<string | undefined> {
    const path = await this.track(view, `downloading ${file.name}`, (options) =>
      downloadFile(this.client, file, target, options),
    );
    if (path === undefined) return undefined;
    this.saved.set(file.id, path);
    this.hooks.print(`Saved ${file.name} (${formatBytes(file.size)}) to ${path}`, "info", view);
    this.hooks.flash(`saved ${path}`, "info", view);
    return path;
  }

  /**
   * /open of a file: the saved copy if there is one, else an image in the browser (through a signed
   * URL, since a browser cannot send the session token); anything else needs /save first.
   */
  async open(view: ViewKey, file: FileInfo): Promise<string> {
    const local = this.saved.get(file.id);
    if (local !== undefined) {
      await this.hooks.openUrl(pathToFileURL(local).href);
      return `Opened ${local}`;
    }
    if (file.type.startsWith("image/") && file.thumbnail) {
      const { url } = await this.client.call("file.url", { fileId: file.id });
      await this.hooks.openUrl(url);
      return `Opened ${file.name} in the browser`;
    }
    throw new Error(`save it first (/save), then /open opens the saved copy: ${file.name} is ${file.type}`);
  }
}

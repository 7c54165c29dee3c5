/**
 * Files through the hub, for Node clients: upload a local file to a room or DM and download a shared
 * one, streamed, with progress and cancellation. The HTTPS requests go to the hub the client is
 * connected to — never to a host named in a URL the hub sent — and only after its certificate matched
 * the one the WebSocket connection pinned, so the session token cannot leak to anyone else.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tls from "node:tls";
import { FILES_PATH, type FileInfo } from "../protocol/index.js";
import type { ParleyClient } from "./core/client.js";
import { HubError, NotConnectedError } from "./core/errors.js";
import { targetOf } from "./core/keys.js";
import type { ConversationKey } from "./core/types.js";
import { fingerprintOf } from "./known-hubs.js";
import { claimName, safeFileName } from "../peer/save-file.js";

export { safeFileName };

export interface TransferOptions {
  /** Bytes done so far and the total, as they move. */
  onProgress?(done: number, total: number): void;
  /** Aborting stops the transfer; the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

export class TransferCancelledError extends Error {
  constructor() {
    super("cancelled");
    this.name = "AbortError";
  }
}

interface HubHttp {
  secure: boolean;
  host: string;
  port: number;
  fingerprint: string | undefined;
  token: string;
}

function hubHttp(client: ParleyClient): HubHttp {
  const hub = client.state.hub;
  const token = client.session?.token;
  if (!hub || !token) throw new NotConnectedError("log in first");
  const url = new URL(hub.url);
  return {
    secure: url.protocol === "wss:",
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(url.port),
    fingerprint: hub.fingerprint,
    token,
  };
}

/** A TLS socket to the hub whose certificate is the pinned one, before anything is written on it. */
function pinnedSocket(hub: HubHttp, signal?: AbortSignal): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: hub.host,
      port: hub.port,
      ...(isIP(hub.host) === 0 ? { servername: hub.host } : {}),
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
      ...(signal && { signal }),
    });
    socket.once("error", reject);
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      // Errors after this (a cancel, the hub going away) reach the request that uses the socket.
      socket.on("error", () => {});
      const raw = socket.getPeerCertificate(false)?.raw;
      const seen = raw && raw.length > 0 ? fingerprintOf(raw) : undefined;
      if (seen === undefined || seen !== hub.fingerprint) {
        socket.destroy();
        reject(new Error(`the hub's certificate (${seen ?? "none"}) is not the one this session pinned`));
        return;
      }
      resolve(socket);
    });
  });
}

async function hubRequest(
  hub: HubHttp,
  method: string,
  path: string,
  headers: Record<string, string | number>,
  signal?: AbortSignal,
): Promise<{ req: ReturnType<typeof httpRequest>; response: Promise<IncomingMessage> }> {
  const options = {
    host: hub.host,
    port: hub.port,
    method,
    path,
    headers: { authorization: `Bearer ${hub.token}`, ...headers },
    ...(signal && { signal }),
  };
  let req;
  if (hub.secure) {
    const socket = await pinnedSocket(hub, signal);
    req = httpsRequest({ ...options, createConnection: () => socket });
  } else {
    req = httpRequest(options);
  }
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
  });
  return { req, response };
}

async function readJson(res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    // Answers are small JSON objects; anything bigger is not one of ours.
    if (size > 1024 * 1024) throw new Error("the hub's answer is too long");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}

async function failure(res: IncomingMessage): Promise<Error> {
  const body = (await readJson(res).catch(() => undefined)) as
    { error?: { code?: string; message?: string } } | undefined;
  const error = body?.error;
  if (error?.code && error.message) {
    return new HubError({ code: error.code as never, message: error.message });
  }
  return new Error(`the hub answered HTTP ${res.statusCode}`);
}

function progress(total: number, options: TransferOptions): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      options.onProgress?.(done, total);
      callback(null, chunk);
    },
  });
}

function cancelled(error: unknown, signal?: AbortSignal): unknown {
  return signal?.aborted ? new TransferCancelledError() : error;
}

/**
 * Uploads the file at `path` to a room or DM (`file.prepare`, then the PUT) and returns what the hub
 * found; send it with `client.send(key, body, { file })`.
 */
export async function uploadFile(
  client: ParleyClient,
  key: ConversationKey,
  path: string,
  options: TransferOptions = {},
): Promise<FileInfo> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  const slot = await client.call("file.prepare", {
    ...targetOf(key),
    name: basename(path),
    size: info.size,
  });
  const hub = hubHttp(client);
  const { signal } = options;
  try {
    const { req, response } = await hubRequest(
      hub,
      "PUT",
      `${FILES_PATH}/${encodeURIComponent(slot.fileId)}`,
      { "content-length": info.size, "content-type": "application/octet-stream" },
      signal,
    );
    options.onProgress?.(0, info.size);
    const sent = pipeline(createReadStream(path), progress(info.size, options), req);
    // The hub may answer (an error) before it read everything, or the transfer be cancelled: the
    // answer (or its failure) says how it went, not the rest of the body.
    sent.catch(() => undefined);
    const res = await response;
    await sent.catch(() => undefined);
    if (res.statusCode !== 201) throw await failure(res);
    const body = (await readJson(res)) as { file?: FileInfo } | undefined;
    if (!body?.file) throw new Error("the hub's answer to the upload has no file");
    return body.file;
  } catch (error) {
    throw cancelled(error, signal);
  }
}

/** The folder downloads go to: $XDG_DOWNLOAD_DIR, else ~/Downloads. */
export function downloadFolder(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_DOWNLOAD_DIR"];
  if (xdg && xdg.trim() !== "") return xdg.replace(/^\$HOME(?=\/|$)/, homedir());
  return join(env["HOME"] ?? homedir(), "Downloads");
}

/**
 * Downloads a shared file to `target` — a folder (default: the download folder) or a file path — and
 * never overwrites: "name (1).ext", "name (2).ext"… when the name is taken. The bytes go to a
 * `.part` file first, renamed when complete. Returns the path written.
 */
export async function downloadFile(
  client: ParleyClient,
  file: Pick<FileInfo, "id" | "name" | "size">,
  target: string = downloadFolder(),
  options: TransferOptions = {},
): Promise<string> {
  const hub = hubHttp(client);
  const isFolder = await stat(target).then(
    (s) => s.isDirectory(),
    () => target.endsWith("/"),
  );
  const folder = isFolder ? target : dirname(target);
  const wanted = isFolder ? safeFileName(file.name) : basename(target);
  await mkdir(folder, { recursive: true });
  const { signal } = options;
  const part = join(folder, `.${wanted}.${process.pid}.${Date.now()}.part`);
  try {
    const { req, response } = await hubRequest(
      hub,
      "GET",
      `${FILES_PATH}/${encodeURIComponent(file.id)}`,
      {},
      signal,
    );
    req.end();
    const res = await response;
    if (res.statusCode !== 200) throw await failure(res);
    const total = Number(res.headers["content-length"] ?? file.size);
    options.onProgress?.(0, total);
    await pipeline(res, progress(total, options), createWriteStream(part, { flags: "wx", mode: 0o600 }));
    return await claimName(part, folder, wanted);
  } catch (error) {
    await rm(part, { force: true });
    throw cancelled(error, signal);
  }
}

/**
 * The file ops on the WebSocket (`file.prepare`, `file.url`). Thin: the rules are in domain/files.ts;
 * here the domain's answers become URLs on the same host and port the client connected to.
 */
import { FILES_PATH } from "../../protocol/limits.js";
import type { Files } from "../domain/files.js";
import type { Connection } from "./connection.js";
import type { HandlerTable } from "./handlers.js";

/** Where this client reaches the hub over HTTP(S): the Host it used for the WebSocket, else `fallback`. */
export function baseUrl(conn: Connection, secure: boolean, fallback: string): string {
  const host = conn.host && /^[A-Za-z0-9.[\]:-]+$/.test(conn.host) ? conn.host : fallback;
  return `${secure ? "https" : "http"}://${host}`;
}

export function fileHandlers(files: Files, secure: boolean, fallbackHost: () => string): HandlerTable {
  return {
    "file.prepare": async (ctx, p) => {
      const { fileId, expiresAt } = await files.prepare(ctx.actor, p);
      const base = baseUrl(ctx.conn, secure, fallbackHost());
      return { fileId, uploadUrl: `${base}${FILES_PATH}/${fileId}`, expiresAt };
    },
    "file.url": async (ctx, p) => {
      const signed = await files.signedQuery(ctx.actor, p.fileId);
      const at = `${baseUrl(ctx.conn, secure, fallbackHost())}${FILES_PATH}/${encodeURIComponent(p.fileId)}`;
      return {
        url: `${at}?${signed.query}`,
        ...(signed.thumbnail && { thumbnailUrl: `${at}/thumbnail?${signed.query}` }),
        expiresAt: signed.expiresAt,
      };
    },
  };
}

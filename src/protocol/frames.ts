/** Frame envelopes and the one parser every side uses at its boundary. */
import type { ErrorCode, WireError } from "./errors.js";
import type { AnyEvent } from "./events.js";

export type RequestId = string | number;

export interface RequestFrame {
  id: RequestId;
  op: string;
  [param: string]: unknown;
}

export interface OkReply {
  re: RequestId;
  ok: true;
  [field: string]: unknown;
}

export interface ErrorReply {
  re: RequestId | null;
  ok: false;
  error: WireError;
}

export type Reply = OkReply | ErrorReply;
export type ServerFrame = Reply | AnyEvent;

export type ParsedRequest =
  /** `params` is the whole frame, `id` and `op` included (not copied out: schemas strip unknown keys). */
  | { ok: true; id: RequestId; op: string; params: Record<string, unknown> }
  | { ok: false; id: RequestId | null; message: string };

function isRequestId(value: unknown): value is RequestId {
  return (
    (typeof value === "string" && value.length > 0 && value.length <= 128) ||
    (typeof value === "number" && Number.isSafeInteger(value))
  );
}

/** Parses a client text frame; never throws. On failure, returns the id when it was readable. */
export function parseRequest(text: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, id: null, message: "frame is not valid JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, id: null, message: "frame must be a JSON object" };
  }
  const params = value as Record<string, unknown>;
  const { id, op } = params;
  const readableId = isRequestId(id) ? id : null;
  if (readableId === null) {
    return { ok: false, id: null, message: "frame needs an `id` (string or integer)" };
  }
  if (typeof op !== "string" || op.length === 0) {
    return { ok: false, id: readableId, message: "frame needs an `op` (string)" };
  }
  return { ok: true, id: readableId, op, params };
}

export function errorReply(
  re: RequestId | null,
  code: ErrorCode,
  message: string,
  extra?: Partial<WireError>,
): ErrorReply {
  return { re, ok: false, error: { code, message, ...extra } };
}

export function okReply(re: RequestId, result: object): OkReply {
  return { re, ok: true, ...result };
}

/** `JSON.stringify(okReply(re, result))`, without building the merged object (the message path's reply). */
export function okReplyText(re: RequestId, result: object): string {
  const fields = JSON.stringify(result);
  return `{"re":${JSON.stringify(re)},"ok":true${fields === "{}" ? "" : `,${fields.slice(1, -1)}`}}`;
}

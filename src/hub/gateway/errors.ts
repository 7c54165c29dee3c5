/** The one place where failures become error replies: domain refusals, schema errors, and faults. */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { ZodError } from "zod";
import { errorReply, type ErrorReply, type RequestId } from "../../protocol/frames.js";
import { systemClock } from "../clock.js";
import { DomainError } from "../domain/errors.js";
import { LogThrottle } from "../log-throttle.js";
import { StoreUnavailableError } from "../store/store.js";

export function invalidParams(re: RequestId, error: ZodError): ErrorReply {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : undefined;
  const what = issue?.message ?? "invalid parameters";
  return errorReply(re, "INVALID_PARAMS", field ? `${field}: ${what}` : what, field ? { field } : {});
}

/** How long a client is told to wait when the storage refuses writes. */
export const STORAGE_RETRY_MS = 5000;

/** Storage refusals are logged once a minute per log, however many requests meet them. */
const storageLogs = new WeakMap<Logger, LogThrottle>();

/**
 * A refusal keeps its code; storage refusing to work (disk full …) is UNAVAILABLE with a retry delay,
 * nothing stored; anything else is INTERNAL with a correlation id that is in the log.
 */
export function failureReply(re: RequestId | null, error: unknown, log: Logger, context: object): ErrorReply {
  if (error instanceof DomainError) return errorReply(re, error.code, error.message, error.extra);
  if (error instanceof StoreUnavailableError) {
    let throttle = storageLogs.get(log);
    if (!throttle) storageLogs.set(log, (throttle = new LogThrottle(systemClock)));
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    throttle.log(
      log,
      "error",
      "storage",
      { code: cause?.code, reason: cause?.message, ...context },
      "storage refusing writes: answering UNAVAILABLE",
    );
    return errorReply(re, "UNAVAILABLE", "the hub cannot store this right now; nothing was stored — retry", {
      retryAfterMs: STORAGE_RETRY_MS,
    });
  }
  const correlationId = randomUUID();
  log.error({ err: error, correlationId, ...context }, "request failed");
  return errorReply(re, "INTERNAL", `internal error (correlation id ${correlationId})`, { correlationId });
}

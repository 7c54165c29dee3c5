/** The one place where failures become error replies: domain refusals, schema errors, and faults. */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { ZodError } from "zod";
import { errorReply, type ErrorReply, type RequestId } from "../../protocol/frames.js";
import { DomainError } from "../domain/errors.js";

export function invalidParams(re: RequestId, error: ZodError): ErrorReply {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : undefined;
  const what = issue?.message ?? "invalid parameters";
  return errorReply(re, "INVALID_PARAMS", field ? `${field}: ${what}` : what, field ? { field } : {});
}

/** A refusal keeps its code; anything else is INTERNAL with a correlation id that is in the log. */
export function failureReply(re: RequestId, error: unknown, log: Logger, context: object): ErrorReply {
  if (error instanceof DomainError) return errorReply(re, error.code, error.message, error.extra);
  const correlationId = randomUUID();
  log.error({ err: error, correlationId, ...context }, "request failed");
  return errorReply(re, "INTERNAL", `internal error (correlation id ${correlationId})`, { correlationId });
}

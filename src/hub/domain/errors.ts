import type { ErrorCode, WireError } from "../../protocol/errors.js";

/** An expected refusal by a domain rule. The gateway maps it to an error reply; nothing is logged as a fault. */
export class DomainError extends Error {
  constructor(
    public readonly code: Exclude<ErrorCode, "INTERNAL">,
    message: string,
    public readonly extra: Partial<Pick<WireError, "field" | "retryAfterMs">> = {},
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export function fail(code: DomainError["code"], message: string, extra?: DomainError["extra"]): never {
  throw new DomainError(code, message, extra);
}

/** Full validation of replies and events against the protocol's zod schemas (the Node SDK's default). */
import {
  events as eventSchemas,
  ops,
  type AnyEvent,
  type EventName,
  type OpName,
  type OpResult,
} from "../../protocol/index.js";
import type { Checked, FrameCheck } from "./frame-check.js";

export const schemaCheck: FrameCheck = {
  reply<O extends OpName>(op: O, data: Record<string, unknown>): Checked<OpResult<O>> {
    const parsed = ops[op].result.safeParse(data);
    return parsed.success
      ? { ok: true, value: parsed.data as OpResult<O> }
      : { ok: false, error: parsed.error.message };
  },
  event(name, data) {
    if (!Object.prototype.hasOwnProperty.call(eventSchemas, name)) return undefined;
    const parsed = eventSchemas[name as EventName].safeParse(data);
    return parsed.success
      ? { ok: true, value: { ev: name, ...parsed.data } as AnyEvent }
      : { ok: false, error: parsed.error.message };
  },
};

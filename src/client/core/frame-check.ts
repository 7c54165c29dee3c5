/**
 * How a connection checks what the hub sends. Node clients validate every reply and event against the
 * protocol's schemas (`schemaCheck`, ./schema-check.ts). The browser client is itself served by the
 * hub it talks to — a hub that wanted to lie could just as well send different code — so schemas
 * would protect nothing there and would cost the page most of its JavaScript budget (zod); it uses
 * `shapeCheck`, which only tells known events from newer ones and checks a frame's outline.
 */
import type { AnyEvent, OpName, OpResult } from "../../protocol/index.js";
import { EVENT_NAMES } from "../../protocol/event-names.js";

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export interface FrameCheck {
  /** A reply's result for `op`. */
  reply<O extends OpName>(op: O, data: Record<string, unknown>): Checked<OpResult<O>>;
  /** An event; undefined for an event this client does not know (a newer hub's), which is ignored. */
  event(name: string, data: Record<string, unknown>): Checked<AnyEvent> | undefined;
}

const KNOWN_EVENTS: ReadonlySet<string> = new Set(EVENT_NAMES);

export const shapeCheck: FrameCheck = {
  reply<O extends OpName>(_op: O, data: Record<string, unknown>): Checked<OpResult<O>> {
    return { ok: true, value: data as OpResult<O> };
  },
  event(name, data) {
    if (!KNOWN_EVENTS.has(name)) return undefined;
    return { ok: true, value: { ...data, ev: name } as AnyEvent };
  },
};

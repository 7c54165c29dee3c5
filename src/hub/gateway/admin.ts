/**
 * The admin ops on the wire: each checks that the session's user is a server admin (the domain's rule)
 * and runs the domain method of ADMIN_OPS; plus `password.reset`, which needs no session.
 */
import { ADMIN_OPS, type AdminOpName } from "../domain/admin.js";
import type { Handler, HandlerTable } from "./handlers.js";

function adminHandler<O extends AdminOpName>(op: O): Handler<O> {
  const run = ADMIN_OPS[op] as (typeof ADMIN_OPS)[O];
  return async (ctx, params) => {
    const by = await ctx.domain.admin.authorize(ctx.actor);
    return run(ctx.domain.admin, by, params as never);
  };
}

export const adminHandlers: HandlerTable = {
  ...(Object.fromEntries(
    (Object.keys(ADMIN_OPS) as AdminOpName[]).map((op) => [op, adminHandler(op)]),
  ) as HandlerTable),
  "password.reset": (ctx, p) => ctx.domain.accounts.resetPassword(p, ctx.conn.address),
};

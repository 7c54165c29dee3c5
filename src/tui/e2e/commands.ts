/**
 * `/e2e [ROOM]`: whose devices an end-to-end encrypted room's messages are sealed to now, and how each
 * stands here (verified, unverified, KEY CHANGED and left out) — what a member checks before saying
 * something that matters, and after a membership change.
 */
import { CommandError, type CommandSpec } from "../../ui/commands/types.js";
import { roomName } from "../../ui/commands/targets.js";
import type { TuiCommandContext } from "../commands/registry.js";
import { trustWord } from "../p2p/verify.js";

export const e2eCommands: readonly CommandSpec<TuiCommandContext>[] = [
  {
    name: "e2e",
    usage: "/e2e [ROOM]",
    summary: "An end-to-end encrypted room's member devices: whom messages are sealed to, verified or not.",
    max: 1,
    async run(ctx, { positional: [room] }) {
      const name =
        room !== undefined ? roomName(room) : ctx.view.startsWith("room:") ? ctx.view.slice(5) : undefined;
      if (name === undefined) throw new CommandError("name the room (/e2e ROOM), or run it in the room");
      if (ctx.state.rooms[name]?.info.e2e !== true)
        throw new CommandError(`#${name} is not an end-to-end encrypted room you are in`);
      if (!ctx.sealed) throw new CommandError("this terminal has no device keys (direct chats are off)");
      const devices = await ctx.sealed.members(name);
      ctx.print(`#${name} [e2e]: messages are sealed to these member devices (the hub cannot read them):`);
      for (const d of devices) {
        const state = d.blocked
          ? "KEY CHANGED: not sealed to"
          : d.incapable
            ? "an older client: cannot receive sealed messages"
            : trustWord(d.trust);
        ctx.print(
          `  ${d.user}  device ${d.id}  ${d.signed ? "signed" : "NOT signed by their master key"}, ${state}`,
          d.blocked || d.trust !== "verified" ? "error" : "info",
        );
      }
      if (devices.some((d) => d.trust !== "verified"))
        ctx.print("Compare safety numbers with /verify USER to verify a member's devices.");
    },
  },
];

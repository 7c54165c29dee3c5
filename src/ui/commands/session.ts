/** Commands about the session itself: help, logout, quit. */
import { CommandError, type CommandSpec } from "./types.js";

export const sessionCommands: CommandSpec[] = [
  {
    name: "help",
    aliases: ["h", "?"],
    usage: "/help [COMMAND]",
    summary: "List the commands, or explain one.",
    listing: true,
    max: 1,
    run(ctx, { positional: [name] }) {
      if (name !== undefined) {
        const wanted = name.replace(/^\//, "").toLowerCase();
        const spec = ctx.commands.find((c) => c.name === wanted || c.aliases?.includes(wanted));
        if (!spec) throw new CommandError(`there is no /${wanted} — /help lists the commands`);
        ctx.print(`${spec.usage} — ${spec.summary}`);
        if (spec.aliases?.length) ctx.print(`  also: ${spec.aliases.map((a) => `/${a}`).join(", ")}`);
        if (spec.details) ctx.print(`  ${spec.details}`);
        return;
      }
      ctx.print("Commands (/help COMMAND for more):");
      for (const c of ctx.commands) ctx.print(`  ${c.usage} — ${c.summary}`);
      ctx.print("Keys:");
      for (const [key, what] of ctx.keyHelp) ctx.print(`  ${key} — ${what}`);
      ctx.print(
        "A line not starting with / is a message to the current room or user; start it with // to send a leading /.",
      );
    },
  },
  {
    name: "logout",
    usage: "/logout",
    summary: "End this session on the hub and return to the login screen.",
    max: 0,
    async run(ctx) {
      await ctx.logout();
    },
  },
  {
    name: "quit",
    aliases: ["exit", "q"],
    usage: "/quit",
    summary: "Leave the app (you stay a member of your rooms).",
    max: 0,
    run(ctx) {
      ctx.quit();
    },
  },
];

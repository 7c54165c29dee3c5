/**
 * `parley admin`: server administration, against a running hub (`--hub URL --user ADMIN`, over the
 * protocol's admin ops) or directly on a stopped hub's data folder or store (as the operator). Every
 * subcommand is one admin op; the rules are the domain's (src/hub/domain/admin.ts).
 */
import { Command, Option } from "commander";
import { HubError, ParleyClient } from "../client/index.js";
import { OPERATOR, ADMIN_OPS, type AdminOpName } from "../hub/domain/admin.js";
import { DomainError } from "../hub/domain/errors.js";
import { openLocalAdmin } from "../hub/admin-local.js";
import type { AdminConnection, AdminRoom, AdminUser, AuditEntry } from "../protocol/model.js";
import { ops, type OpParams, type OpResult } from "../protocol/ops.js";
import { fromFile, layered } from "./config.js";
import { promptHidden } from "./prompt.js";

interface AdminFlags {
  hub?: string;
  user?: string;
  fingerprint?: string;
  configDir?: string;
  dataDir?: string;
  store?: string;
  bus?: string;
  config?: string;
  json?: boolean;
}

type Call = <O extends AdminOpName>(op: O, params: OpParams<O>) => Promise<OpResult<O>>;

/** Ops that only read, or change nothing a running hub caches: allowed beside a running SQLite hub. */
const SAFE_BESIDE_A_RUNNING_HUB = new Set<AdminOpName>([
  "admin.users",
  "admin.rooms",
  "admin.audit",
  "admin.grant",
]);

async function withBackend<T>(
  flags: AdminFlags,
  op: AdminOpName,
  run: (call: Call) => Promise<T>,
): Promise<T> {
  // An empty PARLEY_HUB counts as none.
  if (flags.hub) {
    if (!flags.user) throw new Error("--hub needs --user: an account that is a server admin");
    const password = process.env["PARLEY_PASSWORD"] ?? (await promptHidden(`password for ${flags.user}: `));
    const client = new ParleyClient({
      urls: flags.hub,
      clientName: "parley-admin",
      device: "parley admin",
      ...(flags.fingerprint !== undefined && { fingerprint: flags.fingerprint }),
      ...(flags.configDir !== undefined && { configDir: flags.configDir }),
    });
    try {
      await client.connect();
      await client.login(flags.user, password);
      return await run((o, p) => client.call(o, p) as never);
    } catch (error) {
      if (error instanceof HubError) throw new Error(`${error.code}: ${error.message}`);
      throw error;
    } finally {
      await client.close().catch(() => undefined);
    }
  }
  const file = fromFile(flags.config ?? process.env["PARLEY_CONFIG"]);
  const config = layered(
    {
      ...(flags.dataDir !== undefined && { dataDir: flags.dataDir }),
      ...(flags.store !== undefined && { store: flags.store }),
      ...(flags.bus !== undefined && { bus: flags.bus }),
    },
    process.env,
    file.values,
  );
  const local = await openLocalAdmin(config, { allowRunning: SAFE_BESIDE_A_RUNNING_HUB.has(op) });
  try {
    return await run(async (o, p) => {
      // The same boundary check as the gateway's.
      const params = ops[o].params.parse(p) as OpParams<typeof o>;
      const handler = ADMIN_OPS[o] as (
        admin: typeof local.domain.admin,
        by: typeof OPERATOR,
        params: OpParams<typeof o>,
      ) => Promise<unknown>;
      return ((await handler(local.domain.admin, OPERATOR, params)) ?? {}) as OpResult<typeof o>;
    });
  } catch (error) {
    if (error instanceof DomainError) throw new Error(`${error.code}: ${error.message}`);
    throw error;
  } finally {
    await local.close();
  }
}

function when(ts: number | undefined): string {
  return ts === undefined ? "-" : new Date(ts).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function printUsers(users: AdminUser[]): void {
  for (const u of users) {
    const flags = [
      u.admin && "admin",
      u.online && "online",
      u.suspended && `SUSPENDED (${u.suspended.reason})`,
    ];
    console.log(
      [u.username, `"${u.displayName}"`, `created ${when(u.createdAt)}`, `seen ${when(u.lastSeen)}`, ...flags]
        .filter(Boolean)
        .join("  "),
    );
  }
  if (users.length === 0) console.log("(no users)");
}

function printRooms(rooms: AdminRoom[]): void {
  for (const r of rooms) {
    console.log(
      `#${r.name}  owner ${r.owner ?? "-"}  ${r.members} members  ${r.lastSeq} messages${r.locked ? "  password" : ""}  created ${when(r.createdAt)}`,
    );
  }
  if (rooms.length === 0) console.log("(no rooms)");
}

function printConnections(connections: AdminConnection[]): void {
  for (const c of connections)
    console.log(`${c.id}  node ${c.node}  from ${c.address}  since ${when(c.since)}`);
  if (connections.length === 0) console.log("(no open connections)");
}

function printAudit(entries: AuditEntry[]): void {
  for (const e of entries) {
    console.log(
      [`${e.id}`, when(e.at), e.actor, e.action, e.target ?? "", e.detail ? `(${e.detail})` : ""]
        .filter((x) => x !== "")
        .join("  "),
    );
  }
  if (entries.length === 0) console.log("(no entries)");
}

export function adminCommand(): Command {
  const admin = new Command("admin")
    .description("administer a hub: users, passwords, suspensions, rooms, connections, audit log")
    .addOption(
      new Option("--hub <url>", "a running hub, e.g. wss://127.0.0.1:7447 [env PARLEY_HUB]").env(
        "PARLEY_HUB",
      ),
    )
    .addOption(
      new Option("-u, --user <name>", "a server admin's username, with --hub [env PARLEY_USER]").env(
        "PARLEY_USER",
      ),
    )
    .option("--fingerprint <AA:BB:…>", "with --hub: require this certificate fingerprint")
    .option("--config-dir <dir>", "with --hub: folder of known-hubs.json")
    .option("--data-dir <dir>", "without --hub: the hub's data folder [env PARLEY_DATA_DIR] (default ./data)")
    .option("--store <spec>", "without --hub: sqlite:PATH or postgres://… [env PARLEY_STORE]")
    .option(
      "--bus <spec>",
      "without --hub, in a cluster: redis://… so the running nodes hear [env PARLEY_BUS]",
    )
    .option("-c, --config <file>", "the hub's config file, for its data-dir/store/bus [env PARLEY_CONFIG]")
    .option("--json", "print results as JSON")
    .addHelpText(
      "after",
      "\nAgainst a running hub: --hub URL --user ADMIN (password from PARLEY_PASSWORD or asked).\n" +
        "Without --hub: straight on the data folder (or --store) of a stopped hub, as the operator;\n" +
        "users, rooms, audit, grant and revoke also work while a SQLite hub runs on it.\n" +
        "Every change is recorded in the audit log (`parley admin audit`).",
    );

  const sub = (name: string, description: string) => admin.command(name).description(description);
  const flagsOf = (command: Command) => command.optsWithGlobals() as AdminFlags & Record<string, string>;
  const done = (flags: AdminFlags, text: string, result: object = {}) =>
    console.log(flags.json ? JSON.stringify(result) : text);

  sub("users", "list or search accounts (by username or display-name prefix)")
    .argument("[query]")
    .option("--after <username>", "the page after this username")
    .option("--limit <n>", "page size (default 100, at most 500)")
    .action(async (query: string | undefined, _o, command: Command) => {
      const f = flagsOf(command);
      const params: OpParams<"admin.users"> = {
        ...(query !== undefined && { query }),
        ...(f["after"] !== undefined && { after: f["after"] }),
        ...(f["limit"] !== undefined && { limit: Number(f["limit"]) }),
      };
      const { users } = await withBackend(f, "admin.users", (call) => call("admin.users", params));
      if (f.json) console.log(JSON.stringify(users));
      else printUsers(users);
    });

  for (const [name, on] of [
    ["grant", true],
    ["revoke", false],
  ] as const) {
    sub(name, on ? "make a user a server admin" : "take the server-admin role away")
      .argument("<username>")
      .action(async (username: string, _o, command: Command) => {
        const f = flagsOf(command);
        await withBackend(f, "admin.grant", (call) => call("admin.grant", { username, on }));
        done(f, on ? `${username} is now a server admin` : `${username} is no longer a server admin`);
      });
  }

  sub("password", "reset a password: print a one-time reset token (24 h), or --set a new password")
    .argument("<username>")
    .option("--set", "set a new password (from PARLEY_NEW_PASSWORD, or asked) instead of making a token")
    .action(async (username: string, _o, command: Command) => {
      const f = flagsOf(command);
      const password = f["set"]
        ? (process.env["PARLEY_NEW_PASSWORD"] ?? (await promptHidden(`new password for ${username}: `)))
        : undefined;
      const result = await withBackend(f, "admin.password", (call) =>
        call("admin.password", { username, ...(password !== undefined && { password }) }),
      );
      if (f.json) console.log(JSON.stringify(result));
      else if (result.resetToken) {
        console.log(`reset token for ${username} (valid until ${when(result.expiresAt)}, works once):`);
        console.log(result.resetToken);
        console.log(`they run: parley reset-password --hub URL --user ${username}`);
      } else console.log(`password of ${username} set; their sessions ended`);
    });

  sub("suspend", "suspend an account everywhere: sessions end at once, logins refused with the reason")
    .argument("<username>")
    .requiredOption("--reason <text>", "told to the user")
    .action(async (username: string, _o, command: Command) => {
      const f = flagsOf(command);
      await withBackend(f, "admin.suspend", (call) =>
        call("admin.suspend", { username, reason: f["reason"]! }),
      );
      done(f, `${username} is suspended`);
    });

  sub("unsuspend", "lift a suspension")
    .argument("<username>")
    .action(async (username: string, _o, command: Command) => {
      const f = flagsOf(command);
      await withBackend(f, "admin.unsuspend", (call) => call("admin.unsuspend", { username }));
      done(f, `${username} may log in again`);
    });

  sub("delete", 'delete an account; its messages stay, shown as from "deleted user", unless --erase')
    .argument("<username>")
    .option("--erase", "erase the account's messages (and their files) too")
    .action(async (username: string, _o, command: Command) => {
      const f = flagsOf(command);
      const erase = f["erase"] !== undefined;
      await withBackend(f, "admin.delete", (call) => call("admin.delete", { username, erase }));
      done(f, `${username} deleted${erase ? ", messages erased" : ""}`);
    });

  sub("rooms", "list every room with owner and member count (by name prefix)")
    .argument("[query]")
    .option("--after <room>", "the page after this room")
    .option("--limit <n>", "page size (default 100, at most 500)")
    .action(async (query: string | undefined, _o, command: Command) => {
      const f = flagsOf(command);
      const params: OpParams<"admin.rooms"> = {
        ...(query !== undefined && { query }),
        ...(f["after"] !== undefined && { after: f["after"] }),
        ...(f["limit"] !== undefined && { limit: Number(f["limit"]) }),
      };
      const { rooms } = await withBackend(f, "admin.rooms", (call) => call("admin.rooms", params));
      if (f.json) console.log(JSON.stringify(rooms));
      else printRooms(rooms);
    });

  sub("takedown", "take a room down: delete it with its history")
    .argument("<room>")
    .option("--reason <text>", "for the audit log")
    .action(async (room: string, _o, command: Command) => {
      const f = flagsOf(command);
      await withBackend(f, "admin.room.delete", (call) =>
        call("admin.room.delete", { room, ...(f["reason"] !== undefined && { reason: f["reason"] }) }),
      );
      done(f, `#${room} taken down`);
    });

  sub("transfer", "make a user the owner of a room (the old owner becomes an admin)")
    .argument("<room>")
    .argument("<username>")
    .action(async (room: string, username: string, _o, command: Command) => {
      const f = flagsOf(command);
      await withBackend(f, "admin.room.owner", (call) => call("admin.room.owner", { room, username }));
      done(f, `${username} now owns #${room}`);
    });

  sub("connections", "a user's open connections on every node (needs --hub)")
    .argument("<username>")
    .action(async (username: string, _o, command: Command) => {
      const f = flagsOf(command);
      const { connections } = await withBackend(f, "admin.connections", (call) =>
        call("admin.connections", { username }),
      );
      if (f.json) console.log(JSON.stringify(connections));
      else printConnections(connections);
    });

  sub("kick", "end every session of a user on every node (they may log in again)")
    .argument("<username>")
    .action(async (username: string, _o, command: Command) => {
      const f = flagsOf(command);
      await withBackend(f, "admin.kick", (call) => call("admin.kick", { username }));
      done(f, `${username}'s sessions ended`);
    });

  sub("audit", "the audit log of admin actions, newest first")
    .option("--limit <n>", "how many (default 100, at most 500)")
    .option("--before <id>", "entries older than this id")
    .action(async (_o, command: Command) => {
      const f = flagsOf(command);
      const { entries } = await withBackend(f, "admin.audit", (call) =>
        call("admin.audit", {
          ...(f["limit"] !== undefined && { limit: Number(f["limit"]) }),
          ...(f["before"] !== undefined && { before: Number(f["before"]) }),
        }),
      );
      if (f.json) console.log(JSON.stringify(entries));
      else printAudit(entries);
    });

  return admin;
}

/** `parley reset-password`: sets a new password with the one-time token an admin gave you. */
export function resetPasswordCommand(): Command {
  return new Command("reset-password")
    .description("set a new password with the one-time reset token a hub admin gave you")
    .addOption(new Option("--hub <url>", "the hub [env PARLEY_HUB]").env("PARLEY_HUB").makeOptionMandatory())
    .addOption(
      new Option("-u, --user <name>", "your username [env PARLEY_USER]")
        .env("PARLEY_USER")
        .makeOptionMandatory(),
    )
    .option("--fingerprint <AA:BB:…>", "require this certificate fingerprint")
    .option("--config-dir <dir>", "folder of known-hubs.json")
    .addHelpText(
      "after",
      "\nThe token comes from PARLEY_RESET_TOKEN and the new password from PARLEY_NEW_PASSWORD, or both are asked.",
    )
    .action(async (flags: { hub: string; user: string; fingerprint?: string; configDir?: string }) => {
      const token = process.env["PARLEY_RESET_TOKEN"] ?? (await promptHidden("reset token: "));
      const password = process.env["PARLEY_NEW_PASSWORD"] ?? (await promptHidden("new password: "));
      const client = new ParleyClient({
        urls: flags.hub,
        clientName: "parley-reset-password",
        ...(flags.fingerprint !== undefined && { fingerprint: flags.fingerprint }),
        ...(flags.configDir !== undefined && { configDir: flags.configDir }),
      });
      try {
        await client.connect();
        await client.call("password.reset", { username: flags.user, token: token.trim(), password });
        console.log("password set; log in with it");
      } catch (error) {
        if (error instanceof HubError) throw new Error(`${error.code}: ${error.message}`);
        throw error;
      } finally {
        await client.close().catch(() => undefined);
      }
    });
}

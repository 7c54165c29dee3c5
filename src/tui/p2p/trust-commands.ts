/**
 * Commands about trust in direct chats: compare and confirm safety numbers (`/verify`), see how
 * someone's devices stand (`/whois`), manage your own devices and master key (`/devices`), and choose
 * who learns your network addresses (`/set p2p.addresses`).
 */
import { readFile, writeFile } from "node:fs/promises";
import { P2pKeyChangedError, type OwnDevice, type PeerDevice } from "../../client/index.js";
import { parseAddressMode } from "../../client/p2p-settings.js";
import { ADDRESS_MODES } from "../../peer/addresses.js";
import type { User } from "../../protocol/index.js";
import { CommandError, UsageError, type CommandSpec } from "../../ui/commands/types.js";
import { userName } from "../../ui/commands/targets.js";
import type { TuiCommandContext } from "../commands/registry.js";
import { formatTime } from "../render/time.js";
import type { P2pTui } from "./p2p-tui.js";
import { safetyNumberQr, trustWord } from "./verify.js";

function p2pOf(ctx: TuiCommandContext): P2pTui {
  if (!ctx.p2p) throw new CommandError("direct chats are not available in this client");
  return ctx.p2p;
}

/** `/verify bob` is about bob's devices; `/verify` alone, the person of the current DM view. */
function personArg(ctx: TuiCommandContext, user: string | undefined): string {
  if (user !== undefined) return userName(user);
  if (ctx.view.startsWith("dm:")) return ctx.view.slice(3);
  throw new UsageError("name the person (/verify USER), or run it in their DM view");
}

function deviceLine(d: PeerDevice | OwnDevice, trust: string | undefined, now: number): string {
  const name = d.name ? ` "${d.name}"` : "";
  const parts = [
    "current" in d && d.current ? "this device" : undefined,
    d.signed ? "signed" : "NOT signed by the master key",
    trust,
    `last seen ${formatTime(d.lastSeen, now)}`,
  ].filter(Boolean);
  return `  ${d.id}${name}  ${parts.join(", ")}`;
}

async function showVerification(
  ctx: TuiCommandContext,
  user: string,
  device: string | undefined,
): Promise<void> {
  const chats = await p2pOf(ctx).ready();
  const v = await chats.verification(user, device);
  ctx.print(`Safety number with ${v.user} (their device ${v.device}, ${trustWord(v.trust)}):`);
  ctx.print(`Safety number: ${v.safetyNumber}`);
  for (const row of await safetyNumberQr(v.safetyNumber)) ctx.print(row);
  ctx.print(
    `Compare it with ${v.user} in person or by phone (or scan the code): the same 60 digits must show on both screens. ` +
      `If they do, /verify ${v.user} confirm; if not, someone is between you — do not confirm.`,
  );
}

export const p2pTrustCommands: CommandSpec<TuiCommandContext>[] = [
  {
    name: "verify",
    usage: "/verify [USER] [DEVICE | confirm]",
    summary:
      "Show the safety number of your device and USER's (with a QR code) to compare out of band; `confirm` marks their device verified once it matches.",
    details:
      "Without DEVICE: the device of your direct chat with them, else the one they used last. A verified " +
      "device shows `verified` in the status line; so do their other devices signed by their master key. " +
      "If a verified person's key changes, direct chats stop (KEY CHANGED) until you verify again.",
    max: 2,
    async run(ctx, { positional: [user, what] }) {
      const name = personArg(ctx, user);
      const p2p = p2pOf(ctx);
      if (what?.toLowerCase() === "confirm") {
        const v = await (await p2p.ready()).confirmVerified(name);
        p2p.refreshTrust(name);
        ctx.print(`Verified ${v.user}'s device ${v.device}: direct chats with it say verified from now on`);
        return;
      }
      await showVerification(ctx, name, what);
    },
  },
  {
    name: "whois",
    usage: "/whois USER",
    summary: "Who USER is: names, presence, and each of their devices — signed or not, verified or not.",
    min: 1,
    max: 1,
    async run(ctx, { positional: [user = ""] }) {
      const name = userName(user);
      const { users } = await ctx.client.call("users.search", { query: name });
      const found: User | undefined = users.find((u) => u.username.toLowerCase() === name);
      if (!found) throw new CommandError(`no user is called ${name}`);
      const full = [found.firstName, found.lastName].filter(Boolean).join(" ");
      ctx.print(
        `${found.username}${found.displayName !== found.username ? ` (${found.displayName})` : ""}` +
          `${full ? ` — ${full}` : ""} — ${found.online ? "online" : "offline"}`,
      );
      const p2p = p2pOf(ctx);
      const chats = await p2p.ready();
      const devices = await chats.devicesOf(name);
      const standing = chats.standing(name);
      ctx.print(`  direct chats: ${trustWord(standing) ?? "no device of theirs seen yet"}`);
      if (devices.length === 0) ctx.print("  no device keys published");
      const now = Date.now();
      for (const d of devices) ctx.print(deviceLine(d, trustWord(d.trust), now));
      p2p.refreshTrust(name);
    },
  },
  {
    name: "devices",
    usage: "/devices [sign ID | revoke ID | rotate | export FILE | import FILE]",
    summary:
      "List your devices; sign a new one with your master key, revoke one for good, give this one a new encryption key, or export/import the master key (encrypted with a passphrase).",
    details:
      "Each device has its own key. Your first device made your master key, which signs the others, so people " +
      "who verified you trust your new devices too. A device the hub lists without your signature shows " +
      "`NOT signed` — if it is not yours, revoke it. Export the master key as a backup, or to import it " +
      "on another device (which then signs itself).",
    max: 2,
    async run(ctx, { positional: [action, arg] }) {
      const chats = await p2pOf(ctx).ready();
      const now = Date.now();
      switch (action?.toLowerCase()) {
        case undefined: {
          const mine = await chats.ownDevices();
          const standing = chats.device.standing;
          ctx.print(
            `Your devices (${standing.holdsMaster ? "this one holds your master key" : "this one does not hold your master key"}):`,
          );
          for (const d of mine) ctx.print(deviceLine(d, undefined, now));
          return;
        }
        case "sign": {
          if (!arg) throw new UsageError("name the device: /devices sign ID (a unique start of it will do)");
          const d = await chats.signDevice(arg);
          ctx.print(`Signed device ${d.id} with your master key`);
          return;
        }
        case "rotate": {
          const standing = await chats.rotateKeys();
          ctx.print(
            `This device has a new encryption key${standing.signed ? ", signed by your master key" : " — NOT signed: sign it from a device holding your master key (/devices sign)"}. Messages of end-to-end encrypted rooms sealed to the old key can no longer be opened, here or by anyone who later gets this device's files.`,
          );
          return;
        }
        case "revoke": {
          if (!arg) throw new UsageError("name the device: /devices revoke ID");
          const d = await chats.revokeDevice(arg);
          ctx.print(`Revoked device ${d.id}${d.current ? " (this one)" : ""}: it can no longer chat as you`);
          return;
        }
        case "export": {
          if (!arg) throw new UsageError("name the file: /devices export FILE");
          const passphrase = await ctx.ask("Passphrase to encrypt the master key with");
          if ((await ctx.ask("The passphrase again")) !== passphrase)
            throw new CommandError("the passphrases differ; nothing was written");
          await writeFile(arg, await chats.exportMasterKey(passphrase), { mode: 0o600, flag: "wx" });
          ctx.print(
            `Wrote your master key, encrypted, to ${arg}: keep it safe, and the passphrase apart from it`,
          );
          return;
        }
        case "import": {
          if (!arg) throw new UsageError("name the file: /devices import FILE");
          const pem = await readFile(arg, "utf8");
          const passphrase = await ctx.ask("Passphrase of the master key");
          const standing = await chats.importMasterKey(pem, passphrase);
          ctx.print(
            standing.signed
              ? "Imported your master key: this device is signed with it now"
              : "Imported the key, but it is not the master key your account published",
          );
          return;
        }
        default:
          throw new UsageError(`unknown action ${action}: sign, revoke, rotate, export or import`);
      }
    },
  },
  {
    name: "set",
    usage: "/set [p2p.addresses relay-only|verified|contacts|all]",
    summary:
      "Show or change this device's settings; p2p.addresses says who may learn your network addresses.",
    details:
      "p2p.addresses: relay-only — nobody (every direct chat goes through the hub relay); verified (default) — " +
      "only people whose device you verified; contacts — people you chatted with before; all — anyone whose " +
      "request you accept. Others get the relay, where the hub sees only ciphertext and they only the hub.",
    max: 2,
    async run(ctx, { positional: [key, value] }) {
      const chats = await p2pOf(ctx).ready();
      if (key === undefined) {
        ctx.print(`p2p.addresses = ${chats.addressMode}  (${ADDRESS_MODES.join(" | ")})`);
        return;
      }
      if (key.toLowerCase() !== "p2p.addresses")
        throw new UsageError(`unknown setting ${key}: p2p.addresses`);
      if (value === undefined) {
        ctx.print(`p2p.addresses = ${chats.addressMode}`);
        return;
      }
      let mode;
      try {
        mode = parseAddressMode(value);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const note = await chats.setAddressMode(mode);
      ctx.print(`p2p.addresses = ${mode}${note ? ` — ${note}` : ""}`);
    },
  },
];

/** `/trustkey` for a verified person: say why it will not do, and what will. */
export function verifiedKeyRefusal(error: unknown): CommandError | undefined {
  if (!(error instanceof P2pKeyChangedError) || !error.warning.blocked) return undefined;
  const user = error.warning.user;
  return new CommandError(
    `${user} was verified, so /trustkey does not accept a change of their key: compare the safety number (/verify ${user}) and, if it matches, /verify ${user} confirm`,
  );
}

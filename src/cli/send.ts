/** `parley send`: a one-shot, scriptable client — log in, send one message, wait for the ack, exit. */
import { Command, Option } from "commander";
import { HubError, ParleyClient, dmKey, roomKey } from "../client/index.js";
import { promptHidden } from "./prompt.js";

interface SendFlags {
  hub: string;
  user: string;
  room?: string;
  to?: string;
  join?: boolean;
  notice?: boolean;
  fingerprint?: string;
  configDir?: string;
  timeout: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function sendCommand(): Command {
  return new Command("send")
    .description("send one message to a room or a user and exit (for scripts)")
    .argument("[text...]", "the message; read from standard input when absent")
    .requiredOption(
      "--hub <url>",
      "hub URL, e.g. wss://127.0.0.1:7447 [env PARLEY_HUB]",
      process.env["PARLEY_HUB"],
    )
    .requiredOption("-u, --user <username>", "your username [env PARLEY_USER]", process.env["PARLEY_USER"])
    .option("-r, --room <room>", "send to this room")
    .option("-t, --to <user>", "send a direct message to this user")
    .option("--join", "join the room first if you are not a member")
    .option("--notice", "send it as a notice (shown apart, as IRC NOTICE: for bots and automated senders)")
    .option(
      "--fingerprint <AA:BB:…>",
      "require this hub certificate fingerprint (otherwise trust on first use)",
    )
    .option(
      "--config-dir <dir>",
      "folder of known-hubs.json (default $PARLEY_CONFIG_DIR or the OS config folder)",
    )
    .addOption(new Option("--timeout <ms>", "give up after this long").default("15000"))
    .addHelpText(
      "after",
      "\nThe password comes from PARLEY_PASSWORD, or is asked for on the terminal.\nExit status: 0 sent and acknowledged, 1 otherwise.",
    )
    .action(async (words: string[], flags: SendFlags) => {
      if ((flags.room === undefined) === (flags.to === undefined))
        throw new Error("give exactly one of --room and --to");
      const text = words.length > 0 ? words.join(" ") : await readStdin();
      const password = process.env["PARLEY_PASSWORD"] ?? (await promptHidden(`password for ${flags.user}: `));
      const client = new ParleyClient({
        urls: flags.hub,
        clientName: "parley-send",
        device: "parley send",
        ...(flags.fingerprint !== undefined && { fingerprint: flags.fingerprint }),
        ...(flags.configDir !== undefined && { configDir: flags.configDir }),
      });
      const timer = setTimeout(() => {
        console.error(`parley send: no acknowledgement within ${flags.timeout} ms`);
        process.exit(1);
      }, Number(flags.timeout));
      try {
        await client.connect();
        await client.login(flags.user, password);
        if (flags.room !== undefined && flags.join) {
          await client.joinRoom(flags.room).catch((error: unknown) => {
            if (!(error instanceof HubError && error.code === "ALREADY_MEMBER")) throw error;
          });
        }
        const key = flags.room !== undefined ? roomKey(flags.room) : dmKey(flags.to as string);
        const message = await client.send(key, text, { notice: flags.notice === true });
        console.log(`sent #${message.seq} at ${new Date(message.ts).toISOString()}`);
      } catch (error) {
        if (error instanceof HubError) throw new Error(`${error.code}: ${error.message}`);
        throw error;
      } finally {
        clearTimeout(timer);
        await client.close().catch(() => undefined);
      }
    });
}

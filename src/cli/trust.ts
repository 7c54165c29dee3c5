/** `parley trust URL`: pins (or re-pins) a hub's TLS certificate in the known-hubs file. */
import { Command } from "commander";
import { trustHub } from "../client/index.js";

export function trustCommand(): Command {
  return new Command("trust")
    .description("accept a hub's current TLS certificate (after checking its fingerprint with the operator)")
    .argument("<url>", "hub URL, wss://host:port")
    .option("--fingerprint <AA:BB:…>", "refuse unless the hub presents exactly this fingerprint")
    .option("--config-dir <dir>", "folder of known-hubs.json")
    .action(async (url: string, flags: { fingerprint?: string; configDir?: string }) => {
      const result = await trustHub(url, {
        ...(flags.fingerprint !== undefined && { fingerprint: flags.fingerprint }),
        ...(flags.configDir !== undefined && { configDir: flags.configDir }),
      });
      if (result.previous) console.log(`replaced ${result.previous}`);
      console.log(`trusted ${result.hostPort}: ${result.fingerprint}`);
    });
}

/** `parley backup FILE` and `parley restore FILE --data-dir DIR`: a SQLite hub's data in one archive. */
import { Command } from "commander";
import { backup, restore, sqliteFileOf } from "../hub/backup.js";
import { fromFile, layered } from "./config.js";

interface Flags {
  dataDir?: string;
  store?: string;
  config?: string;
}

export function backupCommand(): Command {
  return new Command("backup")
    .description("write a consistent backup of a (running or stopped) SQLite hub to FILE")
    .argument("<file>", "the archive to write (a .tar.gz)")
    .option("--data-dir <dir>", "the hub's data folder [env PARLEY_DATA_DIR] (default ./data)")
    .option("--store <spec>", "the hub's --store, when not the default sqlite [env PARLEY_STORE]")
    .option("-c, --config <file>", "the hub's config file, for its data-dir and store [env PARLEY_CONFIG]")
    .addHelpText(
      "after",
      "\nThe database is copied with SQLite's online backup API while the hub keeps running: the copy holds\n" +
        "every message acknowledged before the backup started. The TLS certificate and key and any other\n" +
        "files in the data folder come along. PostgreSQL hubs: use pg_dump (docs/operations.md).",
    )
    .action(async (file: string, flags: Flags) => {
      const config = settings(flags);
      const result = await backup(config.dataDir, sqliteFileOf(config.store, config.dataDir), file);
      const size = (result.bytes / 1024 / 1024).toFixed(1);
      const extra = result.entries.length > 0 ? ` with ${result.entries.join(", ")}` : "";
      console.log(
        `backup written to ${file} (${size} MiB, schema v${result.schemaVersion}${extra}) in ${result.ms} ms`,
      );
    });
}

export function restoreCommand(): Command {
  return new Command("restore")
    .description("restore a backup into a new, empty data folder (then start the hub on it)")
    .argument("<file>", "an archive written by parley backup")
    .requiredOption("--data-dir <dir>", "the folder to restore into: absent or empty")
    .action(async (file: string, flags: { dataDir: string }) => {
      const manifest = await restore(file, flags.dataDir);
      console.log(
        `restored the backup of ${manifest.createdAt} into ${flags.dataDir}; start the hub with: parley serve --data-dir ${flags.dataDir}`,
      );
    });
}

function settings(flags: Flags) {
  const file = fromFile(flags.config ?? process.env["PARLEY_CONFIG"]);
  return layered(
    {
      ...(flags.dataDir !== undefined && { dataDir: flags.dataDir }),
      ...(flags.store !== undefined && { store: flags.store }),
    },
    process.env,
    file.values,
  );
}

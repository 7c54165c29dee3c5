/** `parley serve`: runs a hub until SIGINT/SIGTERM. */
import { Command, Option } from "commander";
import type { HubConfigInput } from "../hub/config.js";
import { createHub } from "../hub/server.js";
import { fromFile, layered } from "./config.js";
import { notifySystemd } from "./systemd.js";

export function serveCommand(): Command {
  return new Command("serve")
    .description("run a Parley hub")
    .addOption(new Option("--host <address>", "address to listen on [env PARLEY_HOST] (default 127.0.0.1)"))
    .addOption(
      new Option("--port <n>", "port; 0 picks a free one and prints it [env PARLEY_PORT] (default 7447)"),
    )
    .addOption(
      new Option(
        "--data-dir <dir>",
        "data folder: database, TLS certificate [env PARLEY_DATA_DIR] (default ./data)",
      ),
    )
    .addOption(
      new Option("--tls-cert <file>", "PEM certificate instead of the self-signed one [env PARLEY_TLS_CERT]"),
    )
    .addOption(new Option("--tls-key <file>", "PEM private key for --tls-cert [env PARLEY_TLS_KEY]"))
    .addOption(
      new Option("--insecure", "plain ws:// without TLS — for tests on loopback only [env PARLEY_INSECURE]"),
    )
    .addOption(
      new Option("--store <spec>", "sqlite (default), sqlite:PATH or postgres://… [env PARLEY_STORE]"),
    )
    .addOption(
      new Option(
        "--sqlite-synchronous <mode>",
        "normal (survives a hub crash) or full (also a power loss) [env PARLEY_SQLITE_SYNCHRONOUS] (default normal)",
      ),
    )
    .addOption(
      new Option(
        "--sqlite-append <where>",
        "thread (on the hub's event loop) or worker (a writer thread commits groups) [env PARLEY_SQLITE_APPEND] (default thread)",
      ),
    )
    .addOption(new Option("--bus <spec>", "in-process (default) or redis://… for a cluster [env PARLEY_BUS]"))
    .addOption(new Option("--node-id <name>", "this node's name in a cluster [env PARLEY_NODE_ID]"))
    .addOption(
      new Option(
        "--log-level <level>",
        "fatal, error, warn, info, debug, trace or silent [env PARLEY_LOG_LEVEL] (default info)",
      ),
    )
    .addOption(
      new Option("--log-file <file>", "write logs to this file instead of stderr [env PARLEY_LOG_FILE]"),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "auto (readable at a terminal, JSON otherwise), pretty or json [env PARLEY_LOG_FORMAT] (default auto)",
      ),
    )
    .addOption(
      new Option(
        "--max-frame-bytes <n>",
        "largest accepted frame [env PARLEY_MAX_FRAME_BYTES] (default 65536)",
      ),
    )
    .addOption(
      new Option(
        "--trust-proxy <addresses>",
        "reverse proxies (comma-separated addresses) whose X-Forwarded-For names the client, for per-address limits and logs [env PARLEY_TRUST_PROXY]",
      ),
    )
    .addOption(
      new Option("--max-body-chars <n>", "longest message body [env PARLEY_MAX_BODY_CHARS] (default 4000)"),
    )
    .addOption(new Option("--no-web", "do not serve the browser client at / [env PARLEY_WEB=false]"))
    .addOption(
      new Option(
        "--max-file-bytes <n>",
        "largest file a user may upload; 0 turns file sharing off [env PARLEY_MAX_FILE_BYTES] (default 26214400 = 25 MiB)",
      ),
    )
    .addOption(
      new Option(
        "--file-quota-bytes <n>",
        "bytes each user may upload per day (UTC) [env PARLEY_FILE_QUOTA_BYTES] (default 262144000 = 250 MiB)",
      ),
    )
    .addOption(
      new Option(
        "--file-storage-bytes <n>",
        "total bytes of files the hub keeps [env PARLEY_FILE_STORAGE_BYTES] (default 10737418240 = 10 GiB)",
      ),
    )
    .addOption(
      new Option(
        "--metrics-port <n>",
        "serve Prometheus metrics at http://METRICS-HOST:N/metrics (off unless given; 0 picks a port) [env PARLEY_METRICS_PORT]",
      ),
    )
    .addOption(
      new Option(
        "--metrics-host <address>",
        "address of the metrics endpoint [env PARLEY_METRICS_HOST] (default 127.0.0.1: this machine only)",
      ),
    )
    .addOption(
      new Option(
        "--admin-first-user",
        "the first account registered on this (empty) hub becomes a server admin [env PARLEY_ADMIN_FIRST_USER]",
      ),
    )
    .addOption(
      new Option(
        "--max-connections <n>",
        "WebSocket connections at once; beyond it HTTP 503 + Retry-After [env PARLEY_MAX_CONNECTIONS] (default 10000)",
      ),
    )
    .addOption(
      new Option(
        "--max-connections-per-address <n>",
        "connections at once from one client address [env PARLEY_MAX_CONNECTIONS_PER_ADDRESS] (default 16)",
      ),
    )
    .addOption(
      new Option(
        "--connection-rate-per-address <n>",
        "new connections per second from one client address [env PARLEY_CONNECTION_RATE_PER_ADDRESS] (default 4)",
      ),
    )
    .addOption(
      new Option(
        "--limit-loopback",
        "apply the per-address connection limits to loopback addresses too [env PARLEY_LIMIT_LOOPBACK]",
      ),
    )
    .addOption(
      new Option(
        "--handshake-timeout-ms <ms>",
        "deadline for the TLS handshake and the HTTP upgrade request [env PARLEY_HANDSHAKE_TIMEOUT_MS] (default 10000)",
      ),
    )
    .addOption(
      new Option(
        "--shutdown-timeout-ms <ms>",
        "on SIGTERM/SIGINT the process exits by then, whatever is still open [env PARLEY_SHUTDOWN_TIMEOUT_MS] (default 10000)",
      ),
    )
    .addOption(
      new Option(
        "--max-rooms-per-user <n>",
        "rooms one user may own (create) [env PARLEY_MAX_ROOMS_PER_USER] (default 100)",
      ),
    )
    .addOption(
      new Option(
        "--e2e-max-devices <n>",
        "member devices one message of an end-to-end encrypted room may be sealed to, at most 200 [env PARLEY_E2E_MAX_DEVICES] (default 100)",
      ),
    )
    .addOption(
      new Option(
        "--irc-port <n>",
        "serve IRC (plain) on this port — loopback or behind a TLS proxy; off unless given (docs/irc.md) [env PARLEY_IRC_PORT]",
      ),
    )
    .addOption(
      new Option(
        "--edit-window <duration>",
        "how long after sending its author may edit a message: 24h, 30m, 90s; 0 for no limit [env PARLEY_EDIT_WINDOW] (default 24h)",
      ),
    )
    .addOption(
      new Option(
        "--irc-tls-port <n>",
        "serve IRC over TLS with the hub's certificate on this port; off unless given [env PARLEY_IRC_TLS_PORT]",
      ),
    )
    .addOption(
      new Option(
        "--max-reactions <n>",
        "different emoji one user may have on one message [env PARLEY_MAX_REACTIONS] (default 20)",
      ),
    )
    .addOption(
      new Option(
        "--irc-guests",
        "IRC clients without SASL/PASS get a new account named by their NICK — conformance tests and open hubs only [env PARLEY_IRC_GUESTS]",
      ),
    )
    .addOption(
      new Option(
        "--irc-history-replay <n>",
        "messages per channel replayed to IRC clients on connect and JOIN, 0-200 [env PARLEY_IRC_HISTORY_REPLAY] (default 50)",
      ),
    )
    .addOption(
      new Option(
        "--irc-prefixes <set>",
        "IRC channel prefixes: qo (owner ~, admins @) or o (owner and admins @) [env PARLEY_IRC_PREFIXES] (default qo)",
      ),
    )
    .addOption(
      new Option(
        "--irc-server-name <name>",
        "server name IRC clients see replies come from [env PARLEY_IRC_SERVER_NAME] (default parley)",
      ),
    )
    .addOption(
      new Option(
        "--irc-network <name>",
        "network name shown to IRC clients [env PARLEY_IRC_NETWORK] (default Parley)",
      ),
    )
    .addOption(
      new Option(
        "--no-rate-limits",
        "lift login, message and request rate limits — benchmarks only [env PARLEY_RATE_LIMITS=false]",
      ),
    )
    .addOption(
      new Option(
        "-c, --config <file>",
        "config file, TOML or JSON [env PARLEY_CONFIG] (default ./parley.toml or ./parley.json)",
      ),
    )
    .addHelpText(
      "after",
      "\nPrecedence: flags, then PARLEY_* environment variables, then the config file, then defaults.\n" +
        'Config file keys are the flag names (data-dir or dataDir), optionally under a [hub] table, e.g.\n  port = 7447\n  data-dir = "/var/lib/parley"\n',
    )
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const flags: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(opts)) {
        if (key === "config") continue;
        // Only what was typed counts as a flag, so the environment and the file can fill the rest.
        if (command.getOptionValueSource(key) === "cli") flags[key] = value;
      }
      const file = fromFile((opts["config"] as string | undefined) ?? process.env["PARLEY_CONFIG"]);
      const config = layered(flags as HubConfigInput, process.env, file.values);
      // stdout and stderr may be pipes whose reader is gone (EPIPE): that must not crash the hub.
      for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
      const hub = await createHub(config);
      console.log(`parley hub listening on ${hub.url}`);
      if (hub.webUrl) console.log(`web client: ${hub.webUrl} (open it in a browser)`);
      if (hub.fingerprint) {
        console.log(
          `TLS certificate SHA-256 fingerprint: ${hub.fingerprint}${hub.certificateCreated ? " (new)" : ""}`,
        );
      } else {
        console.log("WARNING: --insecure: connections are not encrypted");
      }
      if (!config.rateLimits)
        console.log("WARNING: --no-rate-limits: login, message and request limits are off");
      console.log(`data folder: ${hub.dataDir}${file.path ? `; config file: ${file.path}` : ""}`);
      if (hub.metricsUrl) console.log(`metrics: ${hub.metricsUrl}`);
      if (hub.irc?.port !== undefined) console.log(`IRC: ${hub.host}:${hub.irc.port} (plain)`);
      if (hub.irc?.tlsPort !== undefined) console.log(`IRC over TLS: ${hub.host}:${hub.irc.tlsPort}`);
      notifySystemd(`serving ${hub.url}`, (message) => hub.log.warn(message));
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          // A second signal: the operator does not want to wait for the drain.
          hub.log.warn({ signal }, "second signal: exiting now");
          process.exit(1);
        }
        stopping = true;
        hub.log.info({ signal }, "signal received");
        // The hard deadline: close() bounds each of its steps to fit, this is the backstop.
        setTimeout(() => {
          hub.log.error({ ms: config.shutdownTimeoutMs }, "shutdown deadline passed: exiting");
          process.exit(1);
        }, config.shutdownTimeoutMs).unref();
        hub.close().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(`shutdown failed: ${(error as Error).message}`);
            process.exit(1);
          },
        );
      };
      process.on("SIGINT", () => stop("SIGINT"));
      process.on("SIGTERM", () => stop("SIGTERM"));
    });
}

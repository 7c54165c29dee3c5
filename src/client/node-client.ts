/** The SDK's client for Node: the shared core with the pinned-TLS transport and the known-hubs file. */
import { ParleyClient as CoreParleyClient } from "./core/client.js";
import type { CoreClientOptions } from "./core/options.js";
import type { Transport } from "./core/transport.js";
import { schemaCheck } from "./core/schema-check.js";
import { configDir, KnownHubs, knownHubsPath } from "./known-hubs.js";
import { nodeTransport } from "./node-transport.js";

export interface ParleyClientOptions extends Omit<CoreClientOptions, "transport" | "check"> {
  /** Folder holding known-hubs.json. Default: $PARLEY_CONFIG_DIR, else the OS config folder for "parley". */
  configDir?: string;
  /** Require exactly this certificate fingerprint (AA:BB:…) instead of trust on first use; it is then pinned. */
  fingerprint?: string;
  /** Another transport (tests); default: `ws` over certificate-pinned TLS. */
  transport?: Transport;
}

export class ParleyClient extends CoreParleyClient {
  constructor(options: ParleyClientOptions) {
    const { configDir: dir, fingerprint, transport, ...rest } = options;
    super({
      ...rest,
      check: schemaCheck,
      transport:
        transport ??
        nodeTransport({
          knownHubs: new KnownHubs(knownHubsPath(dir ?? configDir())),
          ...(fingerprint !== undefined ? { fingerprint } : {}),
        }),
    });
  }
}

/**
 * A real cluster for tests: N `parley serve` processes on one PostgreSQL schema and one Redis prefix,
 * both fresh and dropped afterwards, and SDK clients spread over the nodes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ParleyClient } from "../../src/client/index.js";
import type { MessageNotice } from "../../src/client/index.js";
import { spawnHub, type SpawnedHub } from "../helpers/hub.js";
import { freshPrefix, freshSchema } from "./services.js";

export interface Cluster {
  hubs: SpawnedHub[];
  urls: string[];
  storeUrl: string;
  busUrl: string;
  /** Starts node `i` again (after a kill) on the same data folder, hence the same certificate. */
  restart(i: number): Promise<SpawnedHub>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Extra `parley serve` arguments for every node. */
  args?: string[];
  /** Redis URL instead of the machine's (e.g. a PrivateRedis the test may restart). */
  redisUrl?: string;
}

export async function startCluster(n: number, options: ClusterOptions = {}): Promise<Cluster> {
  const extraArgs = options.args ?? [];
  const schema = await freshSchema();
  const prefix = freshPrefix(options.redisUrl);
  const args = (i: number) => [
    "--store",
    schema.url,
    "--bus",
    prefix.url,
    "--node-id",
    `node${i}`,
    ...extraArgs,
  ];
  const hubs: SpawnedHub[] = [];
  try {
    // One at a time: the first migrates the schema, and two cores start three tsx processes slowly.
    for (let i = 0; i < n; i++) hubs.push(await spawnHub({ args: args(i) }));
  } catch (err) {
    await Promise.all(hubs.map((h) => h.kill()));
    await schema.drop();
    await prefix.drop();
    throw err;
  }
  const cluster: Cluster = {
    hubs,
    urls: hubs.map((h) => h.url),
    storeUrl: schema.url,
    busUrl: prefix.url,
    restart: async (i) => {
      const old = hubs[i]!;
      const port = String(old.port);
      const hub = await spawnHub({ dataDir: old.dataDir, args: [...args(i), "--port", port] });
      hubs[i] = hub;
      return hub;
    },
    stop: async () => {
      await Promise.all(hubs.map((h) => h.stop()));
      await Promise.all(hubs.map((h) => rm(h.dataDir, { recursive: true, force: true })));
      await schema.drop();
      await prefix.drop();
    },
  };
  return cluster;
}

/** An SDK client that knows every node, starting with node `first`; records what it is shown. */
export class ClusterClient {
  readonly notices: MessageNotice[] = [];
  readonly events: Array<{ ev: string; [k: string]: unknown }> = [];

  private constructor(
    readonly client: ParleyClient,
    readonly username: string,
    private readonly configDir: string,
  ) {
    client.on("message", (n) => this.notices.push(n));
    client.on("event", (e) => this.events.push(e as { ev: string }));
  }

  static async create(urls: readonly string[], first: number, username: string): Promise<ClusterClient> {
    const configDir = await mkdtemp(join(tmpdir(), "parley-cluster-client-"));
    const ordered = [...urls.slice(first), ...urls.slice(0, first)];
    // Fast reconnects: a test kills nodes on purpose.
    const client = new ParleyClient({
      urls: ordered,
      configDir,
      clientName: "cluster-test",
      backoff: { baseMs: 100, maxMs: 1_000 },
    });
    await client.connect();
    await client.register({ username, password: `pw-${username}-long` });
    await client.login(username, `pw-${username}-long`);
    return new ClusterClient(client, username, configDir);
  }

  /** Bodies shown for one conversation, in the order shown. */
  shown(key: string): string[] {
    return this.notices.filter((n) => n.key === key).map((n) => n.message.body);
  }

  /** The seqs shown for one conversation, in the order shown. */
  seqs(key: string): number[] {
    return this.notices.filter((n) => n.key === key).map((n) => n.message.seq);
  }

  async close(): Promise<void> {
    await this.client.close();
    await rm(this.configDir, { recursive: true, force: true });
  }
}

/** Polls `check` every 100 ms until it holds, at most `ms`; the error names `what`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < Math.ceil(ms / 100); i++) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A Redis of the test's own, on a free port, without persistence — so a test can restart "Redis"
 * mid-traffic without taking the machine's shared Redis away from everyone else's tests.
 */
export class PrivateRedis {
  private proc: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.up();
    return redis;
  }

  private async up(): Promise<void> {
    const proc = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--loglevel",
        "warning",
      ],
      { stdio: "ignore" },
    );
    this.proc = proc;
    await until(`redis-server on port ${this.port}`, () => answers(this.port), 10_000);
  }

  /** Like `redis-cli shutdown nosave` and starting it again: every key and connection is lost. */
  async restart(downMs = 500): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.up();
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill("SIGTERM");
    await exited;
  }
}

/** True when something on `port` answers PING with PONG. */
async function answers(port: number): Promise<boolean> {
  const { createConnection } = await import("node:net");
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => socket.write("PING\r\n"));
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString().startsWith("+PONG"));
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * deploy/nginx.conf, tested: the example site file (only its ports and certificate paths changed) in a
 * throw-away nginx in front of two hub nodes on the real PostgreSQL and Redis. Clients know only the
 * nginx address; when the node they are on is SIGKILLed they reconnect through nginx to the other one.
 *
 * Skips naming what to install or start when nginx, PostgreSQL or Redis is missing (fails under CI,
 * where scripts/ensure-services.sh provides them).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParleyClient } from "../../src/client/index.js";
import { selfSignedIdentity } from "../../src/hub/tls.js";
import { ROOT } from "../helpers/hub.js";
import { freePort, startCluster, until, type Cluster } from "./cluster.js";
import { missingServices } from "./services.js";

function nginxMissing(): string | undefined {
  const probe = spawnSync("nginx", ["-v"], { stdio: "ignore" });
  if (probe.status === 0) return undefined;
  const message = "needs nginx (apt-get install nginx, or run scripts/ensure-services.sh)";
  if (process.env.CI) throw new Error(`CI requires ${message}`);
  return message;
}

const missing = nginxMissing() ?? (await missingServices("postgres", "redis"));

/** The example site file with this test's node ports, public port and certificate paths. */
export function siteConfig(
  example: string,
  nodes: number[],
  publicPort: number,
  cert: string,
  key: string,
): string {
  const lines = example.split("\n");
  const firstServer = lines.findIndex((l) => /^\s*server 127\.0\.0\.1:\d+/.test(l));
  const servers = nodes.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=5s;`);
  const kept = lines.filter((l) => !/^\s*server 127\.0\.0\.1:\d+/.test(l));
  kept.splice(firstServer, 0, ...servers);
  return kept
    .join("\n")
    .replace(/listen 443 ssl;/, `listen 127.0.0.1:${publicPort} ssl;`)
    .replaceAll("/etc/parley/public.pem", cert)
    .replaceAll("/etc/parley/public.key", key)
    .replaceAll("/etc/parley/node.pem", cert);
}

describe.skipIf(missing !== undefined)(
  `nginx in front of a cluster${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    let dir: string;
    let cluster: Cluster;
    let nginx: ChildProcess | undefined;
    let publicUrl: string;
    let fingerprint: string;
    const clients: ParleyClient[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "parley-nginx-"));
      const identity = await selfSignedIdentity(dir, "127.0.0.1");
      fingerprint = identity.fingerprint;
      const cert = join(dir, "tls", "cert.pem");
      const key = join(dir, "tls", "key.pem");
      cluster = await startCluster(2, {
        args: ["--tls-cert", cert, "--tls-key", key, "--trust-proxy", "127.0.0.1"],
      });

      const publicPort = await freePort();
      const example = await readFile(join(ROOT, "deploy", "nginx.conf"), "utf8");
      await writeFile(
        join(dir, "parley.conf"),
        siteConfig(
          example,
          cluster.hubs.map((h) => h.port),
          publicPort,
          cert,
          key,
        ),
      );
      await mkdir(join(dir, "temp"));
      // A minimal main file around the site file, as Debian's /etc/nginx/nginx.conf would be.
      await writeFile(
        join(dir, "nginx.conf"),
        [
          "worker_processes 1;",
          "user root root;",
          `pid ${dir}/nginx.pid;`,
          `error_log ${dir}/error.log warn;`,
          "events { worker_connections 256; }",
          "http {",
          "  access_log off;",
          ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
            (t) => `  ${t}_temp_path ${dir}/temp/${t};`,
          ),
          `  include ${dir}/parley.conf;`,
          "}",
          "",
        ].join("\n"),
      );
      const check = spawnSync("nginx", ["-t", "-p", dir, "-c", join(dir, "nginx.conf")], {
        encoding: "utf8",
      });
      expect(check.status, check.stderr).toBe(0);
      nginx = spawn("nginx", ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], {
        stdio: "ignore",
      });
      await until("nginx to listen", () => canConnect(publicPort), 10_000);
      publicUrl = `wss://127.0.0.1:${publicPort}`;
    }, 120_000);

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      if (nginx && nginx.exitCode === null) {
        const exited = new Promise((resolve) => nginx!.once("exit", resolve));
        nginx.kill("SIGTERM");
        await exited;
      }
      await cluster?.stop();
      if (process.env["PARLEY_KEEP_NGINX"])
        console.log(await readFile(join(dir, "error.log"), "utf8").catch(() => ""));
      if (dir) await rm(dir, { recursive: true, force: true });
    }, 60_000);

    async function client(
      username: string,
    ): Promise<{ client: ParleyClient; bodies: string[]; drops: () => number }> {
      const configDir = join(dir, `client-${username}`);
      // Pinned to the certificate nginx presents; the client never learns the nodes' addresses.
      const c = new ParleyClient({
        urls: publicUrl,
        configDir,
        fingerprint,
        backoff: { baseMs: 100, maxMs: 1_000 },
      });
      clients.push(c);
      const bodies: string[] = [];
      let drops = 0;
      c.on("message", (n) => bodies.push(n.message.body));
      c.on("status", (s) => void (s.state === "reconnecting" && drops++));
      await c.connect();
      await c.register({ username, password: `pw-${username}-long` });
      await c.login(username, `pw-${username}-long`);
      return { client: c, bodies, drops: () => drops };
    }

    it("carries WebSocket chat through nginx, and moves clients to a live node when theirs dies", async () => {
      const ann = await client("ann");
      const bob = await client("bob");
      await ann.client.createRoom({ name: "hall" });
      await bob.client.joinRoom("hall");
      const before = ["ann-1", "bob-1", "ann-2"];
      for (const body of before) await (body.startsWith("ann") ? ann : bob).client.send("room:hall", body);
      await until("both to see the first messages", () => ann.bodies.length >= 3 && bob.bodies.length >= 3);

      await cluster.hubs[0]!.kill("SIGKILL");
      const after = ["bob-2", "ann-3", "bob-3"];
      for (const body of after) await (body.startsWith("ann") ? ann : bob).client.send("room:hall", body);
      await until("both to see every message", () => ann.bodies.length >= 6 && bob.bodies.length >= 6);
      expect(ann.bodies).toEqual([...before, ...after]);
      expect(bob.bodies).toEqual([...before, ...after]);
      // least_conn put the two on different nodes: one of them lost its node and came back through nginx.
      expect(ann.drops() + bob.drops()).toBeGreaterThanOrEqual(1);
      expect(ann.client.status).toMatchObject({ state: "online", url: expect.stringContaining(publicUrl) });
    }, 90_000);
  },
);

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

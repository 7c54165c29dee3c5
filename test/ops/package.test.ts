/**
 * Packaging: the `npm pack` tarball installs globally in a temporary prefix and its `parley serve` runs
 * a hub with the web client — without pg and ioredis, which load only for postgres:// and redis://
 * specs; it tells systemd when it is ready (Type=notify); and the systemd unit in deploy/ verifies.
 *
 * The install uses npm's cache (`--prefer-offline`) and skips install scripts: better-sqlite3's
 * prebuilt binary cannot be downloaded here and compiling it takes minutes on a shared two-core
 * machine, so the test copies the binary this checkout built — the same Node, the same version.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../cluster/cluster.js";
import { registerAndLogin } from "../helpers/client.js";
import { httpGet } from "../helpers/http.js";
import { ROOT, tempDir } from "../helpers/hub.js";

const run = promisify(execFile);

interface Served {
  url: string;
  out: () => string;
  stop: () => Promise<number | null>;
}

function serve(bin: string, args: string[], env: Record<string, string> = {}): Promise<Served> {
  const proc = spawn(bin, ["serve", "--host", "127.0.0.1", "--port", "0", ...args], {
    env: { ...process.env, PARLEY_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${out}`)), 60_000);
    proc.stdout.on("data", () => {
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({
        url,
        out: () => out,
        stop: async () => {
          if (proc.exitCode === null) proc.kill("SIGTERM");
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`parley serve exited with ${code}:\n${out}`), { out, code }));
    });
  });
}

describe("the npm package", () => {
  let work: string;
  let bin: string;
  let installed: string;

  beforeAll(async () => {
    work = await tempDir("parley-pack-");
    if (!existsSync(join(ROOT, "dist/cli/main.js")) || !existsSync(join(ROOT, "dist/web/index.html"))) {
      await run("npm", ["run", "--silent", "build"], { cwd: ROOT, timeout: 300_000 });
    }
    const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", work, "--json"], {
      cwd: ROOT,
      timeout: 120_000,
      maxBuffer: 1 << 26,
    });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining(["bin/parley.js", "dist/cli/main.js", "dist/web/index.html"]),
    );
    expect(files.filter((f) => /^(src|test|bench)\//.test(f))).toEqual([]);
    const prefix = join(work, "prefix");
    await run(
      "npm",
      [
        "install",
        "--global",
        "--prefix",
        prefix,
        "--prefer-offline",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        join(work, packed!.filename),
      ],
      { cwd: work, timeout: 300_000 },
    );
    installed = join(prefix, "lib/node_modules/parley");
    await cp(
      join(ROOT, "node_modules/better-sqlite3/build"),
      join(installed, "node_modules/better-sqlite3/build"),
      {
        recursive: true,
      },
    );
    // A SQLite hub must not need them: they are loaded only when a postgres:// or redis:// spec asks.
    await rm(join(installed, "node_modules/pg"), { recursive: true, force: true });
    await rm(join(installed, "node_modules/ioredis"), { recursive: true, force: true });
    bin = join(prefix, "bin/parley");
  }, 600_000);

  afterAll(() => rm(work, { recursive: true, force: true }));

  it("serves a hub with its web client from the installed package, without pg and ioredis", async () => {
    const hub = await serve(bin, ["--data-dir", join(work, "data")]);
    try {
      expect(hub.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect((await httpGet(hub.url, "/healthz")).status).toBe(200);
      const page = await httpGet(hub.url, "/");
      expect(page.status).toBe(200);
      expect(page.body).toMatch(/<!doctype html>/i);
      const alice = await registerAndLogin(hub.url, "alice");
      await alice.call("room.create", { name: "installed" });
      await alice.close();
    } finally {
      expect(await hub.stop()).toBe(0);
    }
  }, 120_000);

  it("loads pg only for a postgres:// store, and says so when it is missing", async () => {
    const failed = await serve(bin, [
      "--data-dir",
      join(work, "pg"),
      "--store",
      "postgres://127.0.0.1:1/none",
    ]).then(
      async (hub) => {
        await hub.stop();
        throw new Error("started without pg");
      },
      (error: { out: string; code: number }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/Cannot find package 'pg'/);
  }, 120_000);

  it("tells systemd it is ready through NOTIFY_SOCKET", async () => {
    if (spawnSync("systemd-notify", ["--help"]).status !== 0 || spawnSync("socat", ["-V"]).status !== 0) {
      throw new Error("needs systemd-notify and socat (Debian: systemd, socat)");
    }
    const socket = join(work, "notify.sock");
    const listener = spawn("socat", ["-u", `UNIX-RECV:${socket}`, "-"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let received = "";
    listener.stdout.setEncoding("utf8").on("data", (d: string) => (received += d));
    try {
      await until("the notify socket", () => existsSync(socket), 10_000);
      const hub = await serve(bin, ["--data-dir", join(work, "notify"), "--insecure"], {
        NOTIFY_SOCKET: socket,
      });
      try {
        await until("READY=1", () => received.includes("READY=1"), 20_000);
        expect(received).toContain(`STATUS=serving ${hub.url}`);
      } finally {
        await hub.stop();
      }
    } finally {
      listener.kill();
    }
  }, 120_000);

  it("ships a systemd unit that systemd-analyze accepts", async () => {
    const unit = (await readFile(join(ROOT, "deploy/parley.service"), "utf8")).replaceAll(
      "/usr/local/bin/parley",
      bin,
    );
    expect(unit).toMatch(/^Type=notify$/m);
    for (const line of [
      "DynamicUser=yes",
      "ProtectSystem=strict",
      "StateDirectory=parley",
      "NoNewPrivileges=yes",
    ]) {
      expect(unit).toContain(line);
    }
    const path = join(work, "parley.service");
    await writeFile(path, unit);
    const check = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
    if (check.error) throw new Error("needs systemd-analyze (Debian: systemd)");
    expect(check.stderr.split("\n").filter((l) => l.includes("parley.service"))).toEqual([]);
  }, 60_000);
});

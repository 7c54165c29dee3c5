/**
 * Starting the servers under test as child processes on loopback — Parley's hub, the bare reference and
 * InspIRCd — so that their CPU and memory are measured apart from the load generator's.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface Server {
  /** "parley", "parley-tls", "parley-irc", "bare", "inspircd". */
  name: string;
  proto: "parley" | "bare" | "irc";
  pid: number;
  host: string;
  port: number;
  tls: boolean;
  fingerprint?: string;
  /** IRC into a Parley hub: the accounts' password, sent as `PASS username:password`. */
  ircPassword?: string;
  /** IRC into a Parley hub: the same hub's WebSocket side, where the benchmark creates its rooms. */
  parleyWs?: Pick<Server, "name" | "proto" | "host" | "port" | "tls" | "fingerprint">;
  dataDir?: string;
  /** With a GC probe (Parley hubs started with `gcProbe`): the hub's running GC totals now. */
  gcSample?: () => Promise<GcSample>;
  stop(): Promise<void>;
}

/** Running totals of a hub's main-thread garbage collection (bench/lib/gc-probe.mjs). */
export interface GcSample {
  scavenges: number;
  markSweeps: number;
  gcMs: number;
  allocatedBytes: number;
}

/** Children still running: killed if the benchmark itself ends early (error, Ctrl-C), never left behind. */
const children = new Set<ChildProcess>();
let reaperInstalled = false;

function track(proc: ChildProcess): void {
  children.add(proc);
  proc.once("exit", () => children.delete(proc));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once("exit", () => {
    for (const child of children) child.kill("SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      for (const child of children) child.kill("SIGKILL");
      process.exit(130);
    });
  }
}

function waitForExit(proc: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      resolve();
    }, ms);
    proc.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Spawns `cmd`, collects stdout until `ready` matches the text seen so far, or fails with its output. */
function spawnUntil(
  cmd: string,
  args: string[],
  ready: (stdout: string) => boolean,
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; stderrFile?: string } = {},
): Promise<{ proc: ChildProcess; stdout: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    track(proc);
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(
        new Error(`${cmd} ${args.join(" ")}: not ready after ${opts.timeoutMs ?? 60_000} ms\n${out}\n${err}`),
      );
    }, opts.timeoutMs ?? 60_000);
    proc.stdout!.setEncoding("utf8");
    proc.stderr!.setEncoding("utf8");
    const onOut = (chunk: string): void => {
      out += chunk;
      if (ready(out)) {
        clearTimeout(timer);
        proc.stdout!.off("data", onOut);
        proc.stdout!.resume(); // keep draining so the child never blocks on a full pipe
        resolve({ proc, stdout: out });
      }
    };
    proc.stdout!.on("data", onOut);
    proc.stderr!.on("data", (chunk: string) => {
      // Keep only the tail: hubs log every connection to stderr under load.
      err = (err + chunk).slice(-8000);
    });
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code ?? signal}) before it was ready\n${out}\n${err}`));
    });
  });
}

export interface HubOptions {
  insecure: boolean;
  dataDir?: string;
  /** Extra Node flags, e.g. ["--cpu-prof", "--cpu-prof-dir=…"]. */
  nodeFlags?: string[];
  /** Use `dist/` (after `npm run build`) when present; otherwise run the TypeScript source through tsx. */
  preferDist?: boolean;
  /** Extra `parley serve` flags (e.g. larger file limits). */
  args?: string[];
  /** Another checkout to run the hub from (an A/B baseline); default this one. */
  root?: string;
  /** The server's name in results (default parley / parley-tls). */
  name?: string;
  /** Count the hub's garbage collections and allocated bytes (bench/lib/gc-probe.mjs). */
  gcProbe?: boolean;
  /** Keep the hub's rate limits on (default: off, --no-rate-limits). */
  limits?: boolean;
  /**
   * Serve plain IRC too (`--irc-port 0`) and return the IRC side as the server under test (proto "irc",
   * name parley-irc), logging in with `ircPassword`; the WebSocket side is `parleyWs`.
   */
  ircPassword?: string;
}

/** The hub command line: built output when asked and present, else the source through tsx. */
export function hubCommand(preferDist = true, root = ROOT): string[] {
  const dist = path.join(root, "dist/cli/main.js");
  return preferDist && existsSync(dist) ? [dist] : ["--import", "tsx", path.join(root, "src/cli/main.ts")];
}

let benchFlagCache: string[] | undefined;

/**
 * Flags that lift the hub's rate limits for a benchmark, when this hub version has them: every generator
 * client comes from 127.0.0.1, so per-address limits would throttle setup, and the per-connection request
 * bucket would cap the login and history workloads. Logs at `warn` so stderr stays quiet under load.
 */
export function benchHubFlags(preferDist = true): string[] {
  if (benchFlagCache) return benchFlagCache;
  const help = spawnSync(process.execPath, [...hubCommand(preferDist), "serve", "--help"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });
  const text = help.stdout ?? "";
  benchFlagCache = [];
  if (/--no-rate-limits/.test(text)) benchFlagCache.push("--no-rate-limits");
  else console.warn("note: this hub has no --no-rate-limits flag; its rate limits apply");
  if (/--log-level/.test(text)) benchFlagCache.push("--log-level", "warn");
  return benchFlagCache;
}

export async function startParley(opts: HubOptions): Promise<Server> {
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), "parley-bench-"));
  const probeFile = opts.gcProbe ? path.join(dataDir, "gc-probe.jsonl") : undefined;
  const args = [
    ...(opts.nodeFlags ?? []),
    ...(probeFile ? ["--import", path.join(ROOT, "bench/lib/gc-probe.mjs")] : []),
    ...hubCommand(opts.preferDist ?? true, opts.root),
    "serve",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--data-dir",
    dataDir,
    ...(opts.insecure ? ["--insecure"] : []),
    ...benchHubFlags(opts.preferDist ?? true).filter((f) => !(opts.limits && f === "--no-rate-limits")),
    ...(opts.ircPassword !== undefined ? ["--irc-port", "0"] : []),
    ...(opts.args ?? []),
  ];
  const ircLine = /IRC: (\S+):(\d+) \(plain\)/;
  const { proc, stdout } = await spawnUntil(
    process.execPath,
    args,
    (out) =>
      /listening on \S+/.test(out) &&
      (opts.insecure || /fingerprint: [0-9A-F:]+/.test(out)) &&
      (opts.ircPassword === undefined || ircLine.test(out)),
    probeFile ? { env: { PARLEY_GC_PROBE: probeFile } } : {},
  );
  const url = new URL(/listening on (\S+)/.exec(stdout)![1]!);
  const fingerprint = /fingerprint: ([0-9A-F:]+)/.exec(stdout)?.[1];
  const gcSample = probeFile
    ? async (): Promise<GcSample> => {
        const lines = () => (existsSync(probeFile) ? readFileSync(probeFile, "utf8").trim().split("\n") : []);
        const before = lines().filter(Boolean).length;
        proc.kill("SIGUSR2");
        for (let i = 0; i < 500; i++) {
          const now = lines().filter(Boolean);
          if (now.length > before) return JSON.parse(now.at(-1)!) as GcSample;
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error("the hub's GC probe did not answer");
      }
    : undefined;
  const ws = {
    name: opts.name ?? (opts.insecure ? "parley" : "parley-tls"),
    proto: "parley" as const,
    host: url.hostname,
    port: Number(url.port),
    tls: url.protocol === "wss:",
    ...(fingerprint ? { fingerprint } : {}),
  };
  const irc = ircLine.exec(stdout);
  const tested =
    irc && opts.ircPassword !== undefined
      ? {
          name: opts.name ?? "parley-irc",
          proto: "irc" as const,
          host: irc[1]!,
          port: Number(irc[2]),
          tls: false,
          ircPassword: opts.ircPassword,
          parleyWs: ws,
        }
      : ws;
  return {
    ...tested,
    pid: proc.pid!,
    ...(gcSample ? { gcSample } : {}),
    dataDir,
    async stop() {
      proc.kill("SIGTERM");
      await waitForExit(proc, 10_000);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The bare reference; `mode` other than "batched" names it bare-MODE (see bench/bare-server.ts). */
export async function startBare(mode: "batched" | "corked" | "naive" = "batched"): Promise<Server> {
  const { proc, stdout } = await spawnUntil(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "bench/bare-server.ts"), "--port", "0", "--mode", mode],
    (out) => /bare listening on \S+/.test(out),
  );
  const url = new URL(/bare listening on (\S+)/.exec(stdout)![1]!);
  return {
    name: mode === "batched" ? "bare" : `bare-${mode}`,
    proto: "bare",
    pid: proc.pid!,
    host: url.hostname,
    port: Number(url.port),
    tls: false,
    async stop() {
      proc.kill("SIGTERM");
      await waitForExit(proc, 5000);
    },
  };
}

export function findInspircd(): string | undefined {
  for (const p of ["/usr/sbin/inspircd", "/usr/bin/inspircd", "/usr/local/sbin/inspircd"]) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

export const INSPIRCD_INSTALL_HINT =
  "InspIRCd is not installed: `sudo apt-get install -y inspircd` (Debian/Ubuntu), then run again.";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * An InspIRCd 3 configuration for benchmarks: loopback only, and every limit that would throttle a load
 * generator lifted (connections per address, flood "fake lag", send/receive queues, channel size, DNS).
 */
export function inspircdConfig(port: number, dir: string): string {
  return `<server name="bench.local" description="benchmark" network="bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="${port}" type="clients">
<connect name="bench" allow="127.0.0.1" timeout="120" pingfreq="600" threshold="100000000"
         localmax="100000" globalmax="100000" maxconnwarn="no" useident="no"
         hardsendq="67108864" softsendq="67108864" recvq="1048576"
         fakelag="no" commandrate="1000000000" limit="100000" maxchans="100" resolvehostnames="no">
<channels users="100" opers="100">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxhost="64" maxquit="255" maxtopic="307"
        maxkick="255" maxreal="128" maxgecos="128" maxaway="200" maxline="512">
<performance netbuffersize="65534" somaxconn="4096" softlimit="19000" clonesonconnect="no"
             timeskipwarn="0" nouserdns="yes">
<security hideserver="" userstats="Pu" customversion="" announceinvites="none" maxtargets="20">
<options prefixquit="Quit: " syntaxhints="no" announcets="no" hostintopic="no" pingwarning="0"
         splitwhois="no" exemptchanops="">
<pid file="${dir}/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="sparse" target="${dir}/inspircd.log">
<files motd="${dir}/motd.txt">
<dns server="127.0.0.1" timeout="1">
`;
}

export async function startInspircd(): Promise<Server | undefined> {
  const bin = findInspircd();
  if (!bin) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "inspircd-bench-"));
  const port = await freePort();
  writeFileSync(path.join(dir, "motd.txt"), "bench\n");
  const conf = path.join(dir, "inspircd.conf");
  writeFileSync(conf, inspircdConfig(port, dir));
  const proc = spawn(bin, ["--nofork", "--runasroot", "--config", conf], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  track(proc);
  let output = "";
  proc.stdout!.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  proc.stderr!.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`inspircd exited (${proc.exitCode}):\n${output}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`inspircd did not listen on ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: "inspircd",
    proto: "irc",
    pid: proc.pid!,
    host: "127.0.0.1",
    port,
    tls: false,
    async stop() {
      proc.kill("SIGTERM");
      await waitForExit(proc, 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

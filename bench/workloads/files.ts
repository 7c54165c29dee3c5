/**
 * The `files` workload: one client uploads a file of S MiB through the hub (file.prepare, PUT to
 * /v1/files/<id> with the bearer token), attaches it to a message, and downloads it again (GET), R
 * times; reports upload and download throughput in MB/s (median and spread), the hub's CPU share and
 * how much its RSS grew (the bytes are streamed, so it should not grow with S).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { createHash, randomBytes } from "node:crypto";
import type { Account } from "../lib/accounts.js";
import { microClock } from "../lib/clock.js";
import type { ServerInfo } from "../lib/connect.js";
import { ParleyConn } from "../lib/parley.js";
import { cpuShare, sampleProcess } from "../lib/proc.js";

export interface FilesOptions {
  server: ServerInfo & { pid: number };
  account: Account;
  sizeMiB: number;
  rounds: number;
}

export interface FilesResult {
  workload: "files";
  server: string;
  sizeMiB: number;
  rounds: number;
  uploadMBps: { median: number; min: number; max: number };
  downloadMBps: { median: number; min: number; max: number };
  serverCpu: number;
  rssGrowthMiB: number;
  failures: number;
}

function transfer(
  server: ServerInfo,
  method: "PUT" | "GET",
  path: string,
  token: string,
  body?: { block: Buffer; blocks: number },
): Promise<{ status: number; bytes: number; hash: string }> {
  const request = server.tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: server.host,
        port: server.port,
        method,
        path,
        rejectUnauthorized: false,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body && { "content-length": body.block.length * body.blocks }),
        },
      },
      (res: IncomingMessage) => {
        let bytes = 0;
        const hash = createHash("sha256");
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (method === "GET") hash.update(chunk);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, hash: hash.digest("hex") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (!body) {
      req.end();
      return;
    }
    let sent = 0;
    const pump = (): void => {
      while (sent < body.blocks) {
        sent++;
        if (!req.write(body.block)) {
          req.once("drain", pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

function spread(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    median: round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    min: round(sorted[0] ?? 0),
    max: round(sorted.at(-1) ?? 0),
  };
}

export async function runFiles(opts: FilesOptions): Promise<FilesResult> {
  const conn = await ParleyConn.connect(opts.server, microClock(Date.now()));
  const token = await conn.login(opts.account.username, opts.account.password);
  const room = `files-${randomBytes(3).toString("hex")}`;
  await conn.request("room.create", { name: room });
  const block = randomBytes(1024 * 1024);
  const size = block.length * opts.sizeMiB;
  const expected = createHash("sha256");
  for (let i = 0; i < opts.sizeMiB; i++) expected.update(block);
  const wanted = expected.digest("hex");
  const up: number[] = [];
  const down: number[] = [];
  let failures = 0;
  const rssBefore = sampleProcess(opts.server.pid).rssKiB;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, sampleProcess(opts.server.pid).rssKiB);
  }, 50);
  const before = sampleProcess(opts.server.pid);
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const slot = await conn.request("file.prepare", { room, name: `bench-${round}.bin`, size });
      const path = new URL(slot.uploadUrl as string).pathname;
      let t = performance.now();
      const put = await transfer(opts.server, "PUT", path, token, { block, blocks: opts.sizeMiB });
      if (put.status !== 201) {
        failures++;
        continue;
      }
      up.push(size / 1e6 / ((performance.now() - t) / 1000));
      await conn.request("msg.send", { room, body: "", cid: `bench-${round}`, file: slot.fileId });
      t = performance.now();
      const got = await transfer(opts.server, "GET", path, token);
      if (got.status !== 200 || got.bytes !== size || got.hash !== wanted) {
        failures++;
        continue;
      }
      down.push(size / 1e6 / ((performance.now() - t) / 1000));
    }
  } finally {
    clearInterval(sampler);
    conn.close();
  }
  const after = sampleProcess(opts.server.pid);
  return {
    workload: "files",
    server: opts.server.name,
    sizeMiB: opts.sizeMiB,
    rounds: opts.rounds,
    uploadMBps: spread(up),
    downloadMBps: spread(down),
    serverCpu: Math.round(cpuShare(before, after) * 100) / 100,
    rssGrowthMiB: Math.round(((rssPeak - rssBefore) / 1024) * 10) / 10,
    failures,
  };
}

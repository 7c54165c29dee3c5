/**
 * The `fanout` workload against one or more hub nodes: the same load generator (`FanoutEngine`), the same
 * rooms, bodies and checks as `bench/workloads/fanout.ts`, but the clients are spread evenly over the
 * nodes (client i connects to node i mod N, so every room has members on every node) and the CPU and
 * RSS of each node, and of PostgreSQL and Redis, are sampled.
 *
 * The generator always runs in the same number of slices (worker threads) whatever the node count, so
 * the one-node and two-node runs differ in the hubs only.
 */
import type { Account } from "./accounts.js";
import type { ClientSpec } from "./connect.js";
import { summarize } from "./histogram.js";
import { cpuShare, sampleProcess, SelfCpu, type ProcSample } from "./proc.js";
import type { Server } from "./servers.js";
import { sampleServices, servicesCpu } from "./cluster-services.js";
import {
  createRooms,
  inThread,
  inWorker,
  mergeSlices,
  type FanoutResult,
  type SliceRunner,
} from "../workloads/fanout.js";
import type { FanoutSlice } from "../workloads/fanout-engine.js";

export interface ClusterFanoutOptions {
  /** The topology's name in the report, e.g. "pg+redis ×2". */
  topology: string;
  nodes: Server[];
  clients: number;
  rooms: number;
  messages: number;
  /** Aggregate msg/s; 0 = burst. */
  rate: number;
  /** Generator slices, each in a worker thread; a multiple of the node count. 0 = one slice per node, in this thread. */
  workers: number;
  accounts: Account[];
  /** Unique per run on one store: rooms are named after it. */
  label: string;
  idleMs?: number;
}

export interface NodeFigures {
  name: string;
  clients: number;
  cpu: number;
  rssKiB: number;
}

export interface ClusterFanoutResult extends FanoutResult {
  topology: string;
  nodes: NodeFigures[];
  /** CPU of the machine's PostgreSQL (all its processes) and Redis during the run; 1.0 = one core. */
  postgresCpu: number;
  redisCpu: number;
  /** Wall time the CPU shares were sampled over (send start until the last reply or idle timeout). */
  sampleMs: number;
}

export async function runClusterFanout(opts: ClusterFanoutOptions): Promise<ClusterFanoutResult> {
  const n = opts.nodes.length;
  if (n < 1) throw new Error("no nodes");
  const slices = opts.workers > 0 ? opts.workers : n;
  if (slices % n !== 0) throw new Error(`--workers (${slices}) must be a multiple of the node count (${n})`);
  const roomSize = Math.floor(opts.clients / opts.rooms);
  if (roomSize < 2) throw new Error("fanout needs at least 2 clients per room");
  const clients = roomSize * opts.rooms;
  if (opts.accounts.length < clients) throw new Error(`need ${clients} accounts`);
  const prefix = `${opts.label.replace(/[^a-z0-9]/g, "")}r`;
  const epochMs = Date.now();
  const specs: ClientSpec[] = Array.from({ length: clients }, (_, i) => ({
    index: i,
    room: Math.floor(i / roomSize),
    slot: i % roomSize,
    username: opts.accounts[i]!.username,
    token: opts.accounts[i]!.token,
  }));
  const names = Array.from({ length: opts.rooms }, (_, r) => `${prefix}${r}`);
  await createRooms(
    opts.nodes[0]!,
    names.map((_, r) => opts.accounts[r * roomSize]!),
    names,
    epochMs,
  );

  // Client i is in slice i mod S and slice s talks to node s mod N: since S is a multiple of N, client i
  // is on node i mod N, and consecutive members of a room alternate between the nodes.
  const runners: SliceRunner[] = [];
  for (let s = 0; s < slices; s++) {
    const node = opts.nodes[s % n]!;
    const slice: FanoutSlice = {
      server: {
        name: node.name,
        proto: "parley",
        host: node.host,
        port: node.port,
        tls: node.tls,
        ...(node.fingerprint ? { fingerprint: node.fingerprint } : {}),
      },
      roomPrefix: prefix,
      clients: specs.filter((c) => c.index % slices === s),
      roomSize,
      messagesPerClient: opts.messages,
      rate: opts.rate,
      totalClients: clients,
      epochMs,
      setupConcurrency: 16,
    };
    runners.push(opts.workers > 0 ? inWorker(slice) : inThread(slice));
  }
  try {
    await Promise.all(runners.map((r) => r.ready));
    // Let connection setup settle (presence events, joins crossing the bus) before measuring.
    await new Promise((r) => setTimeout(r, 500));
    const self = new SelfCpu();
    const before: ProcSample[] = opts.nodes.map((node) => sampleProcess(node.pid));
    const servicesBefore = sampleServices();
    const paceMs = opts.rate > 0 ? (clients * opts.messages * 1000) / opts.rate : 0;
    const all = await Promise.all(runners.map((r) => r.run(opts.idleMs ?? 5000, paceMs + 120_000)));
    const after: ProcSample[] = opts.nodes.map((node) => sampleProcess(node.pid));
    const services = servicesCpu(servicesBefore, sampleServices());
    const generatorCpu = self.share();

    const {
      hist,
      expected,
      delivered,
      orderViolations,
      misrouted,
      sendErrors,
      acked,
      closedEarly,
      shortReceivers,
      shortExamples,
      sent,
      firstSendError,
      durationMs,
    } = mergeSlices(all);
    const nodes: NodeFigures[] = opts.nodes.map((node, i) => ({
      name: node.name,
      clients: specs.filter((c) => c.index % n === i).length,
      cpu: Math.round(cpuShare(before[i]!, after[i]!) * 100) / 100,
      rssKiB: after[i]!.rssKiB,
    }));
    return {
      workload: "fanout",
      label: opts.label,
      server: opts.topology,
      topology: opts.topology,
      clients,
      rooms: opts.rooms,
      roomSize,
      messagesPerClient: opts.messages,
      mode: opts.rate > 0 ? "paced" : "burst",
      rate: opts.rate,
      expected,
      delivered,
      loss: Math.max(0, expected - delivered),
      orderViolations,
      misrouted,
      acked,
      sendErrors,
      ...(firstSendError ? { firstSendError } : {}),
      closedEarly,
      shortReceivers,
      shortExamples,
      sent,
      durationMs: Math.round(durationMs),
      deliveriesPerSec: durationMs > 0 ? Math.round(delivered / (durationMs / 1000)) : 0,
      latency: summarize(hist),
      // The hub side as a whole: every node's CPU summed, every node's RSS summed.
      serverCpu: Math.round(nodes.reduce((a, x) => a + x.cpu, 0) * 100) / 100,
      serverRssKiB: nodes.reduce((a, x) => a + x.rssKiB, 0),
      deliveriesPerCpuSec: (() => {
        const cpuMs = after.reduce((a, s, i) => a + s.cpuMs - before[i]!.cpuMs, 0);
        return cpuMs > 0 ? Math.round(delivered / (cpuMs / 1000)) : 0;
      })(),
      generatorCpu: Math.round(generatorCpu * 100) / 100,
      workers: opts.workers,
      nodes,
      postgresCpu: services.postgres,
      redisCpu: services.redis,
      sampleMs: Math.round(after[0]!.atMs - before[0]!.atMs),
    };
  } finally {
    await Promise.all(runners.map((r) => r.close()));
  }
}

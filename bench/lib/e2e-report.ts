/** The `e2e` workload's scenarios (20 and 100 member devices, burst and paced) and its table. */
import type { E2eResult } from "../workloads/e2e.js";
import { fmtInt, table } from "./report.js";

export interface E2eScenario {
  label: string;
  devices: number;
  messages: number;
  /** msg/s; 0 = burst. */
  rate: number;
  bodyChars: number;
  plain?: boolean;
}

export function e2eScenarios(quick: boolean): E2eScenario[] {
  const scale = quick ? 1 : 4;
  return [
    { label: "burst-20", devices: 20, messages: 500 * scale, rate: 0, bodyChars: 200 },
    { label: "plain burst-20", devices: 20, messages: 500 * scale, rate: 0, bodyChars: 200, plain: true },
    { label: "burst-100", devices: 100, messages: 200 * scale, rate: 0, bodyChars: 200 },
    { label: "plain burst-100", devices: 100, messages: 200 * scale, rate: 0, bodyChars: 200, plain: true },
    { label: "paced-20 @100/s", devices: 20, messages: 300 * scale, rate: 100, bodyChars: 200 },
    { label: "paced-100 @50/s", devices: 100, messages: 150 * scale, rate: 50, bodyChars: 200 },
  ];
}

export function e2eTable(results: E2eResult[]): string {
  return table(
    [
      "scenario",
      "server",
      "devices",
      "messages",
      "envelope bytes",
      "msg/s",
      "deliveries/s",
      "p50 ms",
      "p99 ms",
      "loss",
      "doubles",
      "hub CPU",
      "sender seal ms/msg",
    ],
    results.map((r) => [
      r.label,
      r.server,
      r.devices,
      r.messages,
      fmtInt(r.envelopeBytes),
      fmtInt(r.messagesPerSec),
      fmtInt(r.deliveriesPerSec),
      r.latency.p50Ms,
      r.latency.p99Ms,
      r.loss,
      r.duplicates,
      r.serverCpu,
      r.sealMs,
    ]),
  );
}

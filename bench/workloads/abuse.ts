/**
 * The `abuse` workload (issue 9): a bystander's round trips (msg.send and room.history, alternately)
 * with no attack, then under each attack of one hostile user alone, then all at once. The hub runs with
 * its limits on and --limit-loopback; attacker and bystander use different loopback addresses (see
 * bench/lib/abuse.ts). Reports the bystander's p50/p99/max per attack and what the attacker was refused.
 */
import { sleep } from "../lib/clock.js";
import { ATTACKS, bystander, measure, startAttacker, type Attack, type AttackReport } from "../lib/abuse.js";

export interface AbuseRow {
  attack: "none" | Attack | "all";
  samples: number;
  p50: number;
  p99: number;
  max: number;
  refused: AttackReport;
}

export interface AbuseResult {
  workload: "abuse";
  server: string;
  rows: AbuseRow[];
}

export async function runAbuse(opts: {
  server: { name: string; url: string };
  samples: number;
  warmupMs: number;
}): Promise<AbuseResult> {
  const client = await bystander(opts.server.url);
  const rows: AbuseRow[] = [];
  try {
    const plans: Array<AbuseRow["attack"]> = ["none", ...ATTACKS, "all"];
    for (const attack of plans) {
      const attacker =
        attack === "none" ? undefined : startAttacker(opts.server.url, attack === "all" ? ATTACKS : [attack]);
      await attacker?.ready;
      if (attacker) await sleep(opts.warmupMs);
      const trips = await measure(client, opts.samples);
      const report = (await attacker?.stop()) ?? {};
      const refused = Object.fromEntries(Object.entries(report).filter(([k]) => !k.endsWith(":ok")));
      rows.push({ attack, ...trips, refused });
      // Let the hub settle (closed connections, budgets) before the next attack.
      await sleep(1000);
    }
  } finally {
    client.close();
  }
  return { workload: "abuse", server: opts.server.name, rows };
}

export function abuseTable(results: AbuseResult[]): string {
  const lines = [
    "| server | attack | samples | bystander p50 ms | p99 ms | max ms | refused (attacker's view) |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    for (const row of r.rows) {
      const refused = Object.entries(row.refused)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      lines.push(
        `| ${r.server} | ${row.attack} | ${row.samples} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} | ${row.max.toFixed(1)} | ${refused || "—"} |`,
      );
    }
  }
  return lines.join("\n");
}

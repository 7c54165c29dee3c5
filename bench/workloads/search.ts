/**
 * The `search` workload (#12): `search` latency through the protocol over a store holding many
 * messages (1M by default). Seeded straight through the Store API before the hub starts, as `history`
 * is (the full-text index is kept by the same triggers either way), in ROOMS rooms with bodies drawn
 * from a skewed vocabulary, so queries range from a word in a third of all messages to one in 1 of
 * 10,000. Every result page is checked: each result holds the words, newest first.
 */
import type { Account } from "../lib/accounts.js";
import { microClock } from "../lib/clock.js";
import type { ServerInfo } from "../lib/connect.js";
import { Histogram, summarize, type LatencySummary } from "../lib/histogram.js";
import { ParleyConn } from "../lib/parley.js";
import { cpuShare, sampleProcess } from "../lib/proc.js";
import { openStore } from "../../src/hub/store/open.js";

const ROOMS = 10;
const VOCABULARY = 5000;
/** In one message of RARE_EVERY; a phrase in one of PHRASE_EVERY. */
const RARE_WORD = "zanzibarite";
const RARE_EVERY = 10_000;
const PHRASE = "quantum leap";
const PHRASE_EVERY = 1000;

/** A deterministic PRNG (mulberry32), so every run searches the same text. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Word i of the vocabulary: letters only, 4–9 of them, distinct for distinct i. */
function word(i: number): string {
  const letters = "bcdfghjklmnprstvz";
  const vowels = "aeiou";
  let n = i + 1;
  let w = "";
  while (n > 0) {
    w += letters[n % letters.length]! + vowels[Math.floor(n / letters.length) % vowels.length]!;
    n = Math.floor(n / (letters.length * vowels.length));
  }
  return w.length < 4 ? `${w}ra` : w;
}

export async function seedSearch(
  dataDir: string,
  owner: string,
  count: number,
): Promise<{ ms: number; perSec: number }> {
  const store = await openStore(undefined, dataDir);
  try {
    const user = await store.getUserByName(owner);
    if (!user) throw new Error(`no account ${owner} to own the search rooms`);
    const convs: number[] = [];
    for (let r = 0; r < ROOMS; r++) {
      convs.push(
        (await store.createRoom({ name: `search-${r}`, ownerId: user.id, createdAt: Date.now() })).convId,
      );
    }
    const random = prng(12);
    const t0 = performance.now();
    const chunk = 20_000;
    for (let base = 0; base < count; base += chunk) {
      const n = Math.min(chunk, count - base);
      await Promise.all(
        Array.from({ length: n }, (_, i) => {
          const k = base + i;
          const words: string[] = [];
          const len = 8 + Math.floor(random() * 7);
          // Cubing skews towards the start of the vocabulary: word 0 is in about a third of messages.
          for (let w = 0; w < len; w++) words.push(word(Math.floor(VOCABULARY * random() ** 3)));
          if (k % RARE_EVERY === 0) words.push(RARE_WORD);
          if (k % PHRASE_EVERY === 0) words.push(PHRASE);
          return store.appendMessage({
            convId: convs[k % ROOMS]!,
            fromUserId: user.id,
            body: words.join(" "),
            cid: `s${k}`,
            ts: Date.now(),
          });
        }),
      );
    }
    const ms = performance.now() - t0;
    return { ms: Math.round(ms), perSec: Math.round(count / (ms / 1000)) };
  } finally {
    await store.close();
  }
}

/** The queries, each with the words its every result must hold. */
function queries(owner: string): Array<{ name: string; params: Record<string, unknown>; words: string[] }> {
  const common = word(0);
  const medium = word(60);
  const prefix = medium.slice(0, 4);
  return [
    { name: "common word", params: { query: common }, words: [common] },
    { name: "medium word", params: { query: medium }, words: [medium] },
    { name: "rare word", params: { query: RARE_WORD }, words: [RARE_WORD] },
    { name: "two words", params: { query: `${common} ${medium}` }, words: [common, medium] },
    { name: "prefix", params: { query: `${prefix}*` }, words: [prefix] },
    { name: "phrase", params: { query: `"${PHRASE}"` }, words: [PHRASE] },
    { name: "in:#room from:", params: { query: `${medium} in:#search-3 from:${owner}` }, words: [medium] },
    { name: "relevance", params: { query: medium, sort: "relevance" }, words: [medium] },
  ];
}

export interface SearchOptions {
  server: ServerInfo & { pid: number };
  owner: Account;
  messages: number;
  requests: number;
  connections: number;
  limit: number;
}

export interface SearchResult {
  workload: "search";
  server: string;
  storedMessages: number;
  pageSize: number;
  requests: number;
  wrongPages: number;
  firstWrong?: string;
  requestsPerSec: number;
  latency: LatencySummary;
  /** Per query kind. */
  byQuery: Array<{ name: string; latency: LatencySummary }>;
  serverCpu: number;
}

export async function runSearch(opts: SearchOptions): Promise<SearchResult> {
  const clock = microClock(Date.now());
  const conns = await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      const c = await ParleyConn.connect(opts.server, clock);
      await c.resume(opts.owner.token);
      return c;
    }),
  );
  const kinds = queries(opts.owner.username);
  const all = new Histogram();
  const per = kinds.map(() => new Histogram());
  let wrongPages = 0;
  let firstWrong: string | undefined;
  let issued = 0;
  const before = sampleProcess(opts.server.pid);
  const t0 = performance.now();
  try {
    await Promise.all(
      conns.map(async (conn) => {
        while (issued < opts.requests) {
          const k = issued++;
          const q = kinds[k % kinds.length]!;
          const s = performance.now();
          const reply = await conn.request("search", { ...q.params, limit: opts.limit });
          const us = (performance.now() - s) * 1000;
          all.record(us);
          per[k % kinds.length]!.record(us);
          const results = reply.results as Array<{ id: string; body: string }> | undefined;
          const newest = q.params.sort === undefined;
          const ok =
            results !== undefined &&
            results.length > 0 &&
            results.every((r) => q.words.every((w) => r.body.toLowerCase().includes(w))) &&
            (!newest || results.every((r, i) => i === 0 || Number(r.id) < Number(results[i - 1]!.id)));
          if (!ok) {
            wrongPages++;
            firstWrong ??= `${q.name}: ${JSON.stringify(reply).slice(0, 200)}`;
          }
        }
      }),
    );
    const wall = performance.now() - t0;
    const after = sampleProcess(opts.server.pid);
    return {
      workload: "search",
      server: opts.server.name,
      storedMessages: opts.messages,
      pageSize: opts.limit,
      requests: opts.requests,
      wrongPages,
      ...(firstWrong ? { firstWrong } : {}),
      requestsPerSec: Math.round(opts.requests / (wall / 1000)),
      latency: summarize(all),
      byQuery: kinds.map((q, i) => ({ name: q.name, latency: summarize(per[i]!) })),
      serverCpu: Math.round(cpuShare(before, after) * 100) / 100,
    };
  } finally {
    for (const c of conns) c.close();
  }
}

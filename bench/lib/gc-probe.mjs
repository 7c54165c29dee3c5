/**
 * Loaded into a hub under test with `--import` (bench/lib/servers.ts, `gcProbe`): counts the main
 * thread's garbage collections and the bytes it allocated on V8's heap, and on SIGUSR2 appends the
 * running totals as one JSON line to the file named by PARLEY_GC_PROBE. The benchmark signals before
 * and after its measured window and takes the difference.
 *
 * Bytes allocated = growth of the used heap between collections plus what each collection freed:
 * the sum over collections of (used before it − used after the previous one), and the growth since the
 * last. It is V8's JS heap only (not Buffers' backing stores, not other threads).
 */
import { appendFileSync } from "node:fs";
import process from "node:process";
import v8 from "node:v8";

const file = process.env.PARLEY_GC_PROBE;
if (file) {
  let profiler = new v8.GCProfiler();
  profiler.start();
  let lastAfter = v8.getHeapStatistics().used_heap_size;
  const totals = { scavenges: 0, markSweeps: 0, gcMs: 0, allocatedBytes: 0 };
  process.on("SIGUSR2", () => {
    const data = profiler.stop();
    profiler = new v8.GCProfiler();
    profiler.start();
    for (const gc of data?.statistics ?? []) {
      totals.allocatedBytes += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - lastAfter);
      lastAfter = gc.afterGC.heapStatistics.usedHeapSize;
      if (gc.gcType === "Scavenge") totals.scavenges += 1;
      else totals.markSweeps += 1;
      totals.gcMs += gc.cost / 1000;
    }
    const used = v8.getHeapStatistics().used_heap_size;
    const line = { ...totals, allocatedBytes: totals.allocatedBytes + Math.max(0, used - lastAfter) };
    appendFileSync(file, JSON.stringify(line) + "\n");
  });
}

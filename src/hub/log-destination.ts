/**
 * Where the hub's log goes (stderr or a file), written asynchronously — and safe when nobody reads it
 * any more. pino's own destination flushes synchronously at exit, and sonic-boom's synchronous flush
 * retries every error but EAGAIN: with the log pipe closed (EPIPE) the process spun at exit forever.
 * This one registers no exit flush (the hub flushes asynchronously while shutting down) and stops
 * writing at the first error, so a dead destination neither keeps the process alive nor crashes it.
 */
// A CommonJS package: its default import is module.exports, which carries the class as a property too.
import sonicBoom from "sonic-boom";

type SonicBoom = InstanceType<typeof sonicBoom.SonicBoom>;

export function logDestination(dest: string | number): SonicBoom {
  const stream = new sonicBoom.SonicBoom({ dest, mkdir: typeof dest === "string", sync: false });
  stream.on("error", () => {
    stream.write = () => true;
    stream.flush = (cb?: (err?: Error) => unknown) => void cb?.();
  });
  return stream;
}

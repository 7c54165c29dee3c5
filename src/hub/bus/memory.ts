/**
 * An in-memory broker that behaves like a distributed bus, for several hubs in one process (as
 * socket.io's cluster-adapter tests run several servers on one in-memory adapter).
 *
 * It keeps the parts of the Redis bus's contract that make ordering hard, so the gateway's ordering is
 * exercised without Redis: delivery is never inside `publish` (every node, the publisher included, hears
 * a message later); one node's messages arrive in publish order, but different nodes' messages
 * interleave at random (each node's outbox is drained after its own random delay); and the broker can
 * lose messages, telling every node of the gap as the Redis bus does after a reconnect. Each message
 * travels through the Redis bus's own wire format, so every node gets its own copy, as over Redis.
 */
import type { Bus, BusMessage } from "./bus.js";
import { decodeFrame, encodeFrame } from "./redis-codec.js";

export interface MemoryBrokerOptions {
  /** Each node's outbox is drained after a random delay up to this many ms (default 3). */
  jitterMs?: number;
  /** The random source (default Math.random); tests may seed their own. */
  random?: () => number;
}

export class MemoryBroker {
  private readonly nodes = new Set<MemoryBus>();
  private toLose = 0;
  /** Messages published and lost, for tests. */
  lost = 0;

  constructor(private readonly options: MemoryBrokerOptions = {}) {}

  /** A bus for one hub node. */
  node(): MemoryBus {
    const bus = new MemoryBus(this);
    this.nodes.add(bus);
    return bus;
  }

  /** The next `count` messages published (by any node) reach nobody; then every node is told of a gap. */
  loseNext(count: number): void {
    this.toLose += count;
  }

  /** @internal When `from`'s outbox should next be drained. */
  delay(): number {
    return Math.floor((this.options.random ?? Math.random)() * ((this.options.jitterMs ?? 3) + 1));
  }

  /** @internal Hands one node's drained messages to every node. */
  carry(messages: readonly BusMessage[]): void {
    for (const message of messages) {
      if (this.toLose > 0) {
        this.toLose -= 1;
        this.lost += 1;
        if (this.toLose === 0) for (const node of this.nodes) node.gap();
        continue;
      }
      const frame = encodeFrame("memory", 0, message);
      for (const node of this.nodes) {
        const copy = decodeFrame(frame);
        if ("message" in copy) node.receive(copy.message);
      }
    }
  }

  /** @internal */
  leave(node: MemoryBus): void {
    this.nodes.delete(node);
  }
}

export class MemoryBus implements Bus {
  private readonly handlers = new Set<(message: BusMessage) => void>();
  private readonly gapHandlers = new Set<() => void>();
  private outbox: BusMessage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly broker: MemoryBroker) {}

  async publish(message: BusMessage): Promise<void> {
    if (this.closed) return;
    this.outbox.push(message);
    this.timer ??= setTimeout(() => this.drain(), this.broker.delay());
  }

  private drain(): void {
    this.timer = undefined;
    const batch = this.outbox;
    this.outbox = [];
    this.broker.carry(batch);
  }

  /** @internal */
  receive(message: BusMessage): void {
    if (this.closed) return;
    for (const handler of this.handlers) handler(message);
  }

  /** @internal */
  gap(): void {
    if (this.closed) return;
    for (const handler of this.gapHandlers) handler();
  }

  subscribe(handler: (message: BusMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onGap(handler: () => void): () => void {
    this.gapHandlers.add(handler);
    return () => this.gapHandlers.delete(handler);
  }

  unreachable(): string | undefined {
    return this.closed ? "the bus is closed" : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.drain();
    this.closed = true;
    this.handlers.clear();
    this.gapHandlers.clear();
    this.broker.leave(this);
  }
}

import type { Bus, BusMessage } from "./bus.js";

/** The single-node bus: synchronous, in-order, in-process. */
export class LocalBus implements Bus {
  private readonly handlers = new Set<(message: BusMessage) => void>();

  async publish(message: BusMessage): Promise<void> {
    for (const handler of this.handlers) handler(message);
  }

  subscribe(handler: (message: BusMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onGap(): () => void {
    return () => {};
  }

  unreachable(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}

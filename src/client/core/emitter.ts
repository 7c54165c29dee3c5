/**
 * A typed event emitter with one-argument listeners. node:events would do, but its "error" event
 * throws when nobody listens and its types are loose; a UI listener that throws must not break the
 * client either, so listener errors are reported, not propagated.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(value: never) => void>>();

  constructor(private readonly onListenerError: (error: unknown, name: keyof Events) => void = () => {}) {}

  on<E extends keyof Events>(name: E, listener: (value: Events[E]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as (value: never) => void);
    return () => {
      set.delete(listener as (value: never) => void);
    };
  }

  emit<E extends keyof Events>(name: E, value: Events[E]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (value: Events[E]) => void)(value);
      } catch (error) {
        this.onListenerError(error, name);
      }
    }
  }

  removeAll(): void {
    this.listeners.clear();
  }
}

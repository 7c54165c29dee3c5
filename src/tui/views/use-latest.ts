/**
 * State that key handlers read and write synchronously. Ink may deliver several keys before React
 * re-renders (fast typists, pasted text, tmux send-keys), so a handler that read React state from its
 * closure would act on a stale value and drop or double keystrokes. The ref is the truth; the tick
 * only asks React to draw it.
 */
import { useCallback, useRef, useState } from "react";

export function useLatest<T>(initial: T): [{ readonly current: T }, (next: T) => void] {
  const ref = useRef(initial);
  const [, setTick] = useState(0);
  const set = useCallback((next: T) => {
    ref.current = next;
    setTick((t) => t + 1);
  }, []);
  return [ref, set];
}

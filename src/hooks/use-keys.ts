/**
 * Key input for screens: several keys in one read are split into one event
 * each (splitKeyEvents), and the handler always sees the latest props and
 * state (held in a ref), so keys typed faster than React renders act in order.
 */
import { useCallback, useEffect, useLayoutEffect, useReducer, useRef } from 'react';
import { useInput, type Key } from 'ink';
import { splitKeyEvents } from '../keymap.js';

/**
 * Calls `handler` once per key event while `isActive`. Return `false` from it to drop the rest
 * of the read (after quitting). `pending` gives keys read before this screen opened (the rest
 * of the read that opened it); they are handled first, once.
 */
export function useKeys(handler: (input: string, key: Key) => void | false, isActive = true, pending?: () => [string, Key][]): void {
  const ref = useRef(handler);
  useLayoutEffect(() => {
    ref.current = handler;
  });
  const replayed = useRef(false);
  useEffect(() => {
    if (replayed.current || !isActive || !pending) return;
    replayed.current = true;
    for (const [i, k] of pending()) if (ref.current(i, k) === false) break;
  }, [isActive, pending]);
  useInput(
    (input, key) => {
      for (const [i, k] of splitKeyEvents(input, key)) if (ref.current(i, k) === false) break;
    },
    { isActive },
  );
}

/**
 * useReducer that also returns `get()`: the state with every dispatched
 * action applied, including those React has not rendered yet.
 */
export function useRefReducer<S, A>(reducer: (s: S, a: A) => S, initial: S | (() => S)): [S, (a: A) => void, () => S] {
  const current = useRef<S | undefined>(undefined);
  if (current.current === undefined) current.current = typeof initial === 'function' ? (initial as () => S)() : initial;
  const [state, reactDispatch] = useReducer(reducer, current.current);
  const dispatch = useCallback(
    (a: A) => {
      current.current = reducer(current.current as S, a);
      reactDispatch(a);
    },
    [reducer],
  );
  const get = useCallback(() => current.current as S, []);
  return [state, dispatch, get];
}

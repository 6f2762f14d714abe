/**
 * Terminal size as React state, updated on the stdout stream's 'resize'
 * event (ink 6 has no such hook; idea: ink 7's src/hooks/use-window-size.ts).
 */
import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export interface WindowSize {
  /** cells per line */
  columns: number;
  /** lines */
  rows: number;
}

/** Size used when the stream does not report one (not a terminal). */
export const FALLBACK_SIZE: WindowSize = { columns: 80, rows: 24 };

/** Columns and rows of a stream; {@link FALLBACK_SIZE} for what it does not report. */
export function sizeOf(stream: { columns?: number; rows?: number }): WindowSize {
  return {
    columns: stream.columns && stream.columns > 0 ? stream.columns : FALLBACK_SIZE.columns,
    rows: stream.rows && stream.rows > 0 ? stream.rows : FALLBACK_SIZE.rows,
  };
}

/** The size of Ink's stdout; re-renders the caller when the terminal is resized. */
export function useWindowSize(): WindowSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState<WindowSize>(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = (): void => {
      const next = sizeOf(stdout);
      setSize((prev) => (prev.columns === next.columns && prev.rows === next.rows ? prev : next));
    };
    stdout.on('resize', onResize);
    onResize(); // the size may have changed between the first render and now
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

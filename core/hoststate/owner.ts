/**
 * Who holds a reservation: a process, named by its PID and its start time (field 22 of
 * /proc/PID/stat, proc(5)), so a PID reused by another process is not taken for the owner.
 * Used by create's staging directories and by the host-wide records' pending entries.
 */
import { readFileSync } from 'node:fs';

/** A process that holds a reservation. */
export interface ProcessOwner {
  pid: number;
  /** field 22 of /proc/PID/stat (clock ticks since boot); null when it could not be read */
  startTime: string | null;
}

/** Field 22 (starttime) of /proc/PID/stat, or null when the process is gone. */
export function processStartTime(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

/** True when the process that wrote `o` still runs (same PID and same start time). */
export function ownerAlive(o: ProcessOwner): boolean {
  if (!Number.isInteger(o.pid) || o.pid <= 0) return false;
  const now = processStartTime(o.pid);
  if (now === null) return false;
  return o.startTime === null || o.startTime === now;
}

/** This process as an owner. */
export function selfOwner(): ProcessOwner {
  return { pid: process.pid, startTime: processStartTime(process.pid) };
}

/**
 * The shell pane's screen model: an xterm.js terminal without a display
 * (@xterm/headless) that parses what the pty child writes (VT100/xterm
 * control sequences, UTF-8, wide glyphs), and {@link bufferToLines}, which
 * turns its visible lines into runs of cells with the same look for
 * components/TerminalPane.tsx.
 *
 * Loaded with a dynamic import when a pane opens (src/screens/ShellPane.tsx):
 * the list and `lxdeck ls` never load xterm.
 */
import xterm from '@xterm/headless';
import type { IBuffer, IBufferCell, Terminal as XTerminal } from '@xterm/headless';
import type { PaneLine, PaneSegment } from '../../components/TerminalPane.js';

/** Chalk/Ink names of the 16 ANSI colours, palette index 0-15 (SGR 30-37 and 90-97). */
export const ANSI_NAMES = [
  'black',
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'white',
  'blackBright',
  'redBright',
  'greenBright',
  'yellowBright',
  'blueBright',
  'magentaBright',
  'cyanBright',
  'whiteBright',
] as const;

function paletteColor(n: number): string {
  return n < 16 ? ANSI_NAMES[n] : `ansi256(${n})`;
}

function rgbColor(v: number): string {
  return `#${(v & 0xffffff).toString(16).padStart(6, '0')}`;
}

/** The Ink colour of a cell's foreground or background, or undefined for the terminal's default. */
function colorOf(cell: IBufferCell, which: 'fg' | 'bg'): string | undefined {
  if (which === 'fg') {
    if (cell.isFgPalette()) return paletteColor(cell.getFgColor());
    if (cell.isFgRGB()) return rgbColor(cell.getFgColor());
    return undefined;
  }
  if (cell.isBgPalette()) return paletteColor(cell.getBgColor());
  if (cell.isBgRGB()) return rgbColor(cell.getBgColor());
  return undefined;
}

/** Where the cursor is drawn: a cell of the visible lines (0-based), or none. */
export interface PaneCursor {
  x: number;
  y: number;
}

function sameLook(a: PaneSegment, b: PaneSegment): boolean {
  return a.fg === b.fg && a.bg === b.bg && a.bold === b.bold && a.dim === b.dim && a.italic === b.italic && a.underline === b.underline && a.strikethrough === b.strikethrough && a.inverse === b.inverse;
}

/**
 * The visible lines of `buffer` (from its viewportY, `rows` lines of `cols` cells) as runs of
 * cells with the same colours and attributes (SGR: bold, dim, italic, underline, strikethrough,
 * inverse; palette and true colours). Blank cells at the end of a line with no colour are left
 * out; a wide glyph is one cell's text followed by none for its second cell; an invisible
 * (SGR 8) cell is drawn as a blank. The cell at `cursor` is drawn inverse (the pane's cursor).
 * Pure: reads the buffer only. Source: xterm.js IBuffer / IBufferCell (typings/xterm-headless.d.ts).
 */
export function bufferToLines(buffer: IBuffer, cols: number, rows: number, cursor: PaneCursor | null = null): PaneLine[] {
  const out: PaneLine[] = [];
  let cell: IBufferCell | undefined;
  for (let y = 0; y < rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    const segs: PaneSegment[] = [];
    if (line) {
      // the last cell worth drawing: past it only default blanks (the cursor's cell counts)
      let last = Math.min(cols, line.length) - 1;
      const curX = cursor && cursor.y === y ? cursor.x : -1;
      for (; last >= 0; last--) {
        cell = line.getCell(last, cell);
        if (!cell) continue;
        if (last === curX || cell.getChars() !== '' && cell.getChars() !== ' ' || !cell.isAttributeDefault() || !cell.isBgDefault()) break;
      }
      if (curX > last && curX < cols) last = curX;
      for (let x = 0; x <= last; x++) {
        cell = line.getCell(x, cell);
        let text: string;
        let look: PaneSegment;
        if (!cell) {
          text = ' ';
          look = { text: '' };
        } else {
          if (cell.getWidth() === 0) continue; // the second cell of a wide glyph
          text = cell.isInvisible() ? ' '.repeat(cell.getWidth()) : cell.getChars() || ' ';
          look = {
            text: '',
            fg: colorOf(cell, 'fg'),
            bg: colorOf(cell, 'bg'),
            bold: cell.isBold() !== 0 || undefined,
            dim: cell.isDim() !== 0 || undefined,
            italic: cell.isItalic() !== 0 || undefined,
            underline: cell.isUnderline() !== 0 || undefined,
            strikethrough: cell.isStrikethrough() !== 0 || undefined,
            inverse: cell.isInverse() !== 0 || undefined,
          };
        }
        if (x === curX) look.inverse = look.inverse ? undefined : true;
        const prev = segs[segs.length - 1];
        if (prev && sameLook(prev, look)) prev.text += text;
        else {
          look.text = text;
          segs.push(look);
        }
      }
    }
    // leave out undefined keys: smaller objects, equal lines compare equal
    out.push(segs.map(compact));
  }
  return out;
}

function compact(s: PaneSegment): PaneSegment {
  const o: PaneSegment = { text: s.text };
  if (s.fg !== undefined) o.fg = s.fg;
  if (s.bg !== undefined) o.bg = s.bg;
  if (s.bold) o.bold = true;
  if (s.dim) o.dim = true;
  if (s.italic) o.italic = true;
  if (s.underline) o.underline = true;
  if (s.strikethrough) o.strikethrough = true;
  if (s.inverse) o.inverse = true;
  return o;
}

/** Plain text of lines made by {@link bufferToLines} (for tests and logs). */
export function linesText(lines: readonly PaneLine[]): string[] {
  return lines.map((l) => l.map((s) => s.text).join('').trimEnd());
}

/** DEC private mode 25 (DECTCEM) as xterm keeps it; not in the public API, so read with care. */
function cursorHidden(t: XTerminal): boolean {
  const core = (t as unknown as { _core?: { coreService?: { isCursorHidden?: boolean } } })._core;
  return core?.coreService?.isCursorHidden === true;
}

/**
 * A terminal screen of `cols` x `rows` cells fed with a child's output. `onChange` hears, at
 * most once per `minIntervalMs` (default 40 ms) and only when something was written since the
 * last call, that {@link lines} has something new: the pane redraws no more often than that.
 */
export class PaneScreen {
  readonly terminal: XTerminal;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private lastEmit = 0;
  private listeners = new Set<() => void>();
  private disposed = false;

  constructor(cols: number, rows: number, private readonly minIntervalMs = 40) {
    this.terminal = new xterm.Terminal({ cols, rows, scrollback: 0, allowProposedApi: true, convertEol: false });
    this.terminal.onWriteParsed(() => this.changed());
    this.terminal.onResize(() => this.changed());
  }

  get cols(): number {
    return this.terminal.cols;
  }

  get rows(): number {
    return this.terminal.rows;
  }

  /** Output of the child, as it came (parsed asynchronously; `done` runs when it is). */
  write(data: string, done?: () => void): void {
    if (!this.disposed) this.terminal.write(data, done);
  }

  /** New size in cells (both at least 1); the lines reflow as xterm does. */
  resize(cols: number, rows: number): void {
    if (this.disposed || (cols === this.cols && rows === this.rows) || cols < 1 || rows < 1) return;
    this.terminal.resize(cols, rows);
  }

  /** xterm's DECCKM (application cursor keys, `CSI ? 1 h`): arrows are sent as `ESC O A` then. */
  get applicationCursorKeys(): boolean {
    return this.terminal.modes.applicationCursorKeysMode;
  }

  /** The visible lines now, the cursor drawn where it is unless the child hid it. */
  lines(): PaneLine[] {
    const b = this.terminal.buffer.active;
    const cursor = cursorHidden(this.terminal) ? null : { x: b.cursorX, y: b.cursorY + b.baseY - b.viewportY };
    return bufferToLines(b, this.cols, this.rows, cursor);
  }

  /** `fn` hears of changes (throttled, see the class comment); returns a function that stops it. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer || this.disposed) return;
    const wait = Math.max(0, this.lastEmit + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.dirty || this.disposed) return;
      this.dirty = false;
      this.lastEmit = Date.now();
      for (const fn of this.listeners) fn();
    }, wait);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
    this.terminal.dispose();
  }
}

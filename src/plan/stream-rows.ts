// Row arithmetic for streams that share stage 0 between overlapping windows (src/wasm/stream-prefix.ts).
// A row is one time step of a map (its h axis). Consecutive windows of a stream overlap by most of their frames;
// where a row of a stage-0 map reads only frames inside the window (no padding at the window's edges), it is
// the same row in every window that holds those frames, so a stream computes it once. Only the last step's rows
// at the window's edges, which read its padding, are computed per window.

/** Time-axis geometry of one step on its planned (whole-window) input. */
export interface RowGeometry {
  /** Input rows each output row reads. */
  kernel: number;
  stride: number;
  /** Padding rows before the first input row: output row r reads input rows r * stride - padTop + [0, kernel). */
  padTop: number;
  inRows: number;
  outRows: number;
}

/** One step of stage 0's trunk: values by index (0 is the input, one frame per row). */
export interface RowStep {
  input: number;
  output: number;
  /** A second output with the output's rows (a fused step's pooled map), or null. */
  aux: number | null;
  /** A value read row for row with the output (an affine transform's residual), or null. */
  residual: number | null;
  rows: RowGeometry;
}

export interface RowSchedule {
  /** Frames per row of every value. */
  framesPerRow: number[];
  /** Windows must start at multiples of this many frames for their rows to line up with the stream's. */
  alignFrames: number;
  /** The last step's window rows [0, top) and [bottom, outRows) read the window's padding: computed per window. */
  top: number;
  bottom: number;
}

/**
 * The schedule of `steps` (in order; the last one's output is what later stages read), or why a stream cannot
 * share them: every row the last step reads must depend on frames only (no step before it reads padding for
 * them), and the last step must have stride 1 (so its rows away from the window's edges are the stream's).
 */
export function rowSchedule(steps: readonly RowStep[], inputRows: number): RowSchedule | { unsupported: string } {
  if (steps.length === 0) return { unsupported: 'stage 0 has no trunk layers' };
  const framesPerRow: number[] = [1];
  const rowsOf: number[] = [inputRows];
  // Rows [0, clean) of each value read no padding (a step's padded last rows are fine when nothing reads them).
  const clean: number[] = [inputRows];
  const lastStep = steps[steps.length - 1];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const g = s.rows;
    const last = s === lastStep;
    if (framesPerRow[s.input] === undefined) return { unsupported: `step ${i} reads a value computed after it` };
    if (rowsOf[s.input] !== g.inRows) return { unsupported: `step ${i} reads ${g.inRows} rows of a ${rowsOf[s.input]}-row map` };
    if (!last && g.padTop !== 0) return { unsupported: `step ${i} pads the window's first rows` };
    if (last && g.stride !== 1) return { unsupported: `the last step of stage 0 has time stride ${g.stride}` };
    if (last && clean[s.input] < g.inRows) return { unsupported: `step ${i} reads rows of the window's padding` };
    const fpr = framesPerRow[s.input] * g.stride;
    const cleanOut = clean[s.input] >= g.kernel ? Math.min(g.outRows, Math.floor((clean[s.input] - g.kernel) / g.stride) + 1) : 0;
    for (const v of [s.output, s.aux]) {
      if (v === null) continue;
      if (framesPerRow[v] !== undefined) return { unsupported: `value ${v} is written twice` };
      framesPerRow[v] = fpr;
      rowsOf[v] = g.outRows;
      clean[v] = cleanOut;
    }
    if (s.residual !== null && (framesPerRow[s.residual] !== fpr || rowsOf[s.residual] !== g.outRows)) {
      return { unsupported: `step ${i}'s residual is not row for row with its output` };
    }
    if (s.residual !== null && clean[s.residual] < (last ? g.outRows : cleanOut)) return { unsupported: `step ${i}'s residual reads the window's padding` };
  }
  const last = lastStep.rows;
  const alignFrames = framesPerRow[lastStep.output];
  if (framesPerRow.some((f) => f !== undefined && alignFrames % f !== 0)) return { unsupported: 'stage 0 mixes time strides that do not divide each other' };
  // Rows past the input's end that the last rows read: the padding after it.
  const padBottom = Math.max(0, (last.outRows - 1) * last.stride + last.kernel - last.padTop - last.inRows);
  const top = last.padTop;
  const bottom = last.outRows - padBottom;
  if (top >= bottom) return { unsupported: 'the window is too short to share any row' };
  return { framesPerRow, alignFrames, top, bottom };
}

/**
 * Output rows [from, to) of a step that a stream can compute once `inputRows` rows of its input exist (global
 * rows: row R reads input rows R * stride - padTop + [0, kernel), all of which must exist; no padding is read).
 */
export function streamRows(g: RowGeometry, inputRows: number): { from: number; to: number } {
  const from = Math.ceil(g.padTop / g.stride);
  const to = inputRows + g.padTop >= g.kernel ? Math.floor((inputRows + g.padTop - g.kernel) / g.stride) + 1 : 0;
  return { from, to: Math.max(from, to) };
}

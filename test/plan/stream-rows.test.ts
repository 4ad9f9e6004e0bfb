// The row arithmetic of streams that share stage 0 (src/plan/stream-rows.ts), on the shipped models' geometry
// and on the cases it must refuse.
import { describe, expect, it } from 'vitest';
import { rowSchedule, streamRows, type RowStep } from '../../src/plan/stream-rows';

const step = (input: number, output: number, rows: RowStep['rows'], extra: Partial<RowStep> = {}): RowStep => ({ input, output, aux: null, residual: null, rows, ...extra });

// kws-reactnet's stage 0 on 98 frames: the stem with its pool folded in (5 rows, stride 4), the pack, a 3x3
// binary conv with the pooled map as its shortcut.
const reactnet = [
  step(0, 1, { kernel: 5, stride: 4, padTop: 0, inRows: 98, outRows: 24 }),
  step(1, 2, { kernel: 1, stride: 1, padTop: 0, inRows: 24, outRows: 24 }),
  step(2, 3, { kernel: 3, stride: 1, padTop: 1, inRows: 24, outRows: 24 }, { residual: 1 }),
];

describe('rowSchedule', () => {
  it('kws-reactnet: windows 4 frames apart share rows 1..22 of the binary conv', () => {
    expect(rowSchedule(reactnet, 98)).toEqual({ framesPerRow: [1, 4, 4, 4], alignFrames: 4, top: 1, bottom: 23 });
  });

  it("a strided 'same' conv whose padded last row nothing reads is fine; one whose row is read is not", () => {
    // XNOR-Net: the 3x3 stride-2 stem pads its 49th row, which the 2x2 pool never reads.
    const stem = step(0, 1, { kernel: 3, stride: 2, padTop: 0, inRows: 98, outRows: 49 });
    const pool = step(1, 2, { kernel: 2, stride: 2, padTop: 0, inRows: 49, outRows: 24 });
    const conv = step(2, 3, { kernel: 3, stride: 1, padTop: 1, inRows: 24, outRows: 24 });
    expect(rowSchedule([stem, pool, conv], 98)).toMatchObject({ alignFrames: 4, top: 1, bottom: 23 });
    const direct = step(1, 2, { kernel: 3, stride: 1, padTop: 1, inRows: 49, outRows: 49 });
    expect(rowSchedule([stem, direct], 98)).toEqual({ unsupported: "step 1 reads rows of the window's padding" });
  });

  it('refuses what a stream cannot share, naming why', () => {
    const padded = step(0, 1, { kernel: 3, stride: 1, padTop: 1, inRows: 16, outRows: 16 });
    expect(rowSchedule([padded, step(1, 2, { kernel: 1, stride: 1, padTop: 0, inRows: 16, outRows: 16 })], 16)).toEqual({ unsupported: "step 0 pads the window's first rows" });
    expect(rowSchedule([step(0, 1, { kernel: 3, stride: 2, padTop: 1, inRows: 16, outRows: 8 })], 16)).toEqual({ unsupported: 'the last step of stage 0 has time stride 2' });
    expect(rowSchedule([step(0, 1, { kernel: 3, stride: 1, padTop: 1, inRows: 12, outRows: 16 })], 16)).toEqual({ unsupported: 'step 0 reads 12 rows of a 16-row map' });
    const residual = step(1, 2, { kernel: 3, stride: 1, padTop: 1, inRows: 8, outRows: 8 }, { residual: 0 });
    expect(rowSchedule([step(0, 1, { kernel: 2, stride: 2, padTop: 0, inRows: 16, outRows: 8 }), residual], 16)).toEqual({ unsupported: "step 1's residual is not row for row with its output" });
    expect(rowSchedule([step(0, 1, { kernel: 5, stride: 1, padTop: 2, inRows: 3, outRows: 3 })], 3)).toEqual({ unsupported: 'the window is too short to share any row' });
    expect(rowSchedule([], 16)).toEqual({ unsupported: 'stage 0 has no trunk layers' });
  });
});

describe('streamRows', () => {
  it('the rows a stream can compute read no padding and only rows that exist', () => {
    const stem = reactnet[0].rows;
    expect(streamRows(stem, 0)).toEqual({ from: 0, to: 0 });
    expect(streamRows(stem, 4)).toEqual({ from: 0, to: 0 });
    expect(streamRows(stem, 5)).toEqual({ from: 0, to: 1 }); // frames 0..4
    expect(streamRows(stem, 98)).toEqual({ from: 0, to: 24 });
    const conv = reactnet[2].rows;
    // Row 0 reads the padding above the stream's first row: never a stream row.
    expect(streamRows(conv, 2)).toEqual({ from: 1, to: 1 });
    expect(streamRows(conv, 3)).toEqual({ from: 1, to: 2 });
    expect(streamRows(conv, 24)).toEqual({ from: 1, to: 23 });
  });
});

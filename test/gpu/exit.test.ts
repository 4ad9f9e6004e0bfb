// exit_result against its CPU twin, and the GPU-resident exit gate (compaction, decisions, END-padded lists).
import { describe, expect, it } from 'vitest';
import { exitResultCpu, exitRecordStride } from '../../src/cpu/exit-result';
import { END_OF_LIST, exitGateDispatch, exitResultDispatch } from '../../src/gpu/kernels/exit';
import { encodeDispatch } from '../../src/gpu/kernels/common';
import { closeTo } from '../helpers/compare';
import { filled, readF32, readU32, run, shuffledSubset, testGpu, upload } from '../helpers/gpu';
import { mulberry32, uniform } from '../helpers/rng';

const SENTINEL = 0xdeadbeef;

describe('exit_result (GPU) vs exitResultCpu', () => {
  it('matches: logits exact, entropy and max probability within 1e-5, argmax exact (first max)', async () => {
    const t = await testGpu();
    const rng = mulberry32(11);
    for (const classes of [1, 2, 12, 35, 100]) {
      const n = 5;
      const logits = Float32Array.from({ length: n * classes }, () => uniform(rng, -8, 8));
      // Clip 1: uniform logits (entropy 1); clip 2: a tie for the max (first wins); clip 3: one-hot-ish.
      logits.fill(0.5, classes, 2 * classes);
      if (classes > 2) logits[2 * classes + 1] = logits[2 * classes + 2] = 20;
      logits.fill(-30, 3 * classes, 4 * classes);
      logits[3 * classes] = 30;
      const expected = exitResultCpu(logits, n, classes);
      const active = [4, 1, 2, 3];
      const stride = exitRecordStride(classes);
      const out = filled(t, n * stride, SENTINEL);
      const d = await exitResultDispatch(t.reg, t.pool, n, classes, { logits: upload(t, logits), clips: upload(t, Uint32Array.from(active)), records: out }, active.length);
      await run(t, [d]);
      const got = await readF32(t, out);
      const raw = new Uint32Array(got.buffer);
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < stride; i++) {
          const k = b * stride + i;
          if (!active.includes(b)) expect(raw[k]).toBe(SENTINEL);
          else if (i < classes || i === classes + 2) expect(got[k]).toBe(expected[k]);
          else expect(closeTo(got[k], expected[k], 1), `clip ${b} field ${i - classes} classes ${classes}: ${got[k]} vs ${expected[k]}`).toBe(true);
        }
      }
    }
  });
});

describe('exit_gate (GPU)', () => {
  it('compacts survivors in order, records decisions, pads the next list with END', async () => {
    const t = await testGpu();
    const rng = mulberry32(12);
    const n = 40;
    const classes = 4;
    const stride = classes + 3;
    const records = new Float32Array(n * stride);
    for (let b = 0; b < n; b++) {
      records[b * stride + classes] = uniform(rng, 0, 1);
      records[b * stride + classes + 1] = uniform(rng, 0, 1);
    }
    // A later stage's list: a subset of the clips, then END; whatever follows the first END is ignored.
    const live = shuffledSubset(n, rng);
    const listIn = new Uint32Array(n).fill(END_OF_LIST);
    listIn.set(live);
    if (live.length + 1 < n) listIn[live.length + 1] = 3;
    for (const [criterion, threshold, isLast] of [['entropy', 0.4, false], ['maxprob', 0.7, false], ['entropy', 0.1, true]] as const) {
      const activeOut = filled(t, n, SENTINEL);
      const decisions = filled(t, n, SENTINEL);
      const d = await exitGateDispatch(t.reg, t.pool, { n, classes, exitIndex: 2, criterion, threshold, isLast }, {
        records: upload(t, records), activeIn: upload(t, listIn), activeOut, decisions,
      });
      await run(t, [d]);
      const leaves = (b: number): boolean => isLast || (criterion === 'entropy'
        ? records[b * stride + classes] < Math.fround(threshold)
        : records[b * stride + classes + 1] >= Math.fround(threshold));
      const kept = live.filter((b) => !leaves(b));
      const gotOut = await readU32(t, activeOut);
      const gotDec = await readU32(t, decisions);
      expect([...gotOut]).toEqual([...kept, ...new Array<number>(n - kept.length).fill(END_OF_LIST)]);
      for (let b = 0; b < n; b++) expect(gotDec[b]).toBe(live.includes(b) && leaves(b) ? 2 : SENTINEL);
    }
  });

  it('a kernel dispatched over every slot after the gate runs for the survivors only', async () => {
    const t = await testGpu();
    const n = 6;
    const classes = 2;
    const records = new Float32Array(n * 5);
    const ent = [0.9, 0.1, 0.8, 0.05, 0.7, 0.2];
    ent.forEach((e, b) => (records[b * 5 + classes] = e));
    const activeOut = filled(t, n, SENTINEL);
    const gate = await exitGateDispatch(t.reg, t.pool, { n, classes, exitIndex: 0, criterion: 'entropy', threshold: 0.5, isLast: false }, {
      records: upload(t, records), activeIn: upload(t, Uint32Array.from([0, 1, 2, 3, 4, 5])), activeOut, decisions: filled(t, n),
    });
    // exit_result from the gate's list, dispatched (in the same pass) over all n slots.
    const logits = Float32Array.from({ length: n * classes }, (_, i) => i);
    const recs = filled(t, n * 5, SENTINEL);
    const follow = await exitResultDispatch(t.reg, t.pool, n, classes, { logits: upload(t, logits), clips: activeOut, records: recs });
    const enc = t.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    encodeDispatch(pass, gate);
    encodeDispatch(pass, follow);
    pass.end();
    t.device.queue.submit([enc.finish()]);
    const got = new Uint32Array((await readF32(t, recs)).buffer);
    for (let b = 0; b < n; b++) expect(got[b * 5] === SENTINEL, `clip ${b}`).toBe(ent[b] < 0.5);
  });
});

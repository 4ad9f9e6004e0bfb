// Stage 0 of a stream on the WASM kernels, each row computed once and shared by every window that holds it
// (the row arithmetic: src/plan/stream-rows.ts). A detector's windows overlap by most of their frames, and
// stage 0 (the stem and the first binary block) is what every window runs, exits or not. Here each map of
// stage 0 is a ring of rows over the whole stream: new frames extend the rings band by band, and a window's
// output is its rows copied out of the last ring, plus the few rows at its edges that read the window's padding,
// computed for that window. The kernels compute every output row from the rows it reads alone, so the bits
// are those of the whole window (checked when the prefix is built, and by test/wasm/stream-prefix.test.ts).
//
// Its own kernels instance (memory): stage 0's parameters are copied in once more, and a window's output goes
// to the executor's memory in one copy (WasmExecutor.setTrunkOutput).
import { BeenetError } from '../errors';
import type { ValueName } from '../model/graph';
import type { PrefixWindow, StreamPrefix, StreamPrefixOptions } from '../plan/executor';
import type { ModelPlan, PlannedLayer } from '../plan/plan';
import { readerCounts } from '../plan/readers';
import { rowSchedule, streamRows, type RowSchedule, type RowStep } from '../plan/stream-rows';
import { groupSteps } from './fuse';
import { prepareConvPoolPack, prepareOp, tensorBytes, tensorInfo, type PreparedOp, type TensorInfo } from './layers';
import { createKernelsSync, type WasmKernels } from './module';

/** Rows [first, first + count) of one value of the stream, at `at`, room for `capacity`. */
class RowRing {
  first = 0;
  count = 0;

  constructor(
    readonly at: number,
    readonly rowBytes: number,
    readonly capacity: number,
    readonly origin: number,
  ) {
    this.first = origin;
  }

  get end(): number {
    return this.first + this.count;
  }

  /** Byte address of global row `row` (held, or the next one to write). */
  addr(row: number): number {
    return this.at + (row - this.first) * this.rowBytes;
  }

  holds(from: number, to: number): boolean {
    return from >= this.first && to <= this.end;
  }

  /** Room for `rows` more rows: rows before `keepFrom` move out first (a memmove, every few windows). */
  room(k: WasmKernels, rows: number, keepFrom: number): void {
    if (this.count + rows <= this.capacity) return;
    const drop = Math.min(this.count, Math.max(0, keepFrom - this.first));
    if (drop > 0) {
      k.u8.copyWithin(this.at, this.at + drop * this.rowBytes, this.at + this.count * this.rowBytes);
      this.first += drop;
      this.count -= drop;
    }
    if (this.count + rows > this.capacity) {
      throw new BeenetError('KERNEL_BINDING', `stream prefix: ${this.count + rows} rows do not fit a ring of ${this.capacity}`);
    }
  }

  reset(): void {
    this.first = this.origin;
    this.count = 0;
  }
}

interface PrefixStep extends RowStep {
  op: PreparedOp;
  runRows: NonNullable<PreparedOp['runRows']>;
}

/** Stage 0's steps (the executor's grouping, src/wasm/fuse.ts) with their value indices, or why not. */
function stageSteps(k: WasmKernels, plan: ModelPlan): { steps: PrefixStep[]; infos: TensorInfo[]; boundary: ValueName } | { unsupported: string } {
  const stage = plan.stages[0];
  const index = new Map<ValueName, number>([['input', 0]]);
  const [h, w, c] = plan.inputShape;
  const infos: TensorInfo[] = [{ kind: 'float', shape: { n: 1, h, w, c } }];
  const steps: PrefixStep[] = [];
  const names: ValueName[] = ['input'];
  const define = (name: ValueName, info: TensorInfo): number => {
    index.set(name, infos.length);
    infos.push(info);
    names.push(name);
    return infos.length - 1;
  };
  for (const g of groupSteps(stage.layers, readerCounts(plan), true)) {
    const first: PlannedLayer = g.kind === 'one' ? g.layer : g.conv;
    const last: PlannedLayer = g.kind === 'one' ? g.layer : g.pack;
    const op =
      g.kind === 'one'
        ? prepareOp(k, g.layer.op, tensorInfo(g.layer.inputInfo))
        : prepareConvPoolPack(k, g.conv.op, g.pool.op, g.pack.op, tensorInfo(g.conv.inputInfo), g.keepPooled);
    if (!op.rows || !op.runRows) return { unsupported: `${last.label} has no band form` };
    const input = index.get(first.input);
    if (input === undefined) return { unsupported: `${first.label} reads a value from outside stage 0` };
    const t = 'transform' in last.op ? last.op.transform : null;
    const residualName = g.kind === 'one' && t && t.kind === 'affine' ? t.residual : null;
    const residual = residualName === null ? null : index.get(residualName);
    if (residual === undefined) return { unsupported: `${last.label}'s residual is not a stage-0 value` };
    const aux = g.kind === 'conv-pool-pack' && op.auxOutput ? define(g.pool.output, op.auxOutput) : null;
    const output = define(last.output, op.output);
    steps.push({ input, output, aux, residual, rows: op.rows, op, runRows: op.runRows });
  }
  // What the exit head and the later stages read of stage 0: it must be the last step's output alone.
  const read = new Set<ValueName>();
  for (const [i, st] of plan.stages.entries()) {
    for (const l of i === 0 ? st.exitLayers : [...st.layers, ...st.exitLayers]) {
      read.add(l.input);
      if ('transform' in l.op && l.op.transform.kind === 'affine' && l.op.transform.residual !== null) read.add(l.op.transform.residual);
    }
  }
  const shared = names.filter((n) => read.has(n));
  const boundary = names[steps[steps.length - 1].output];
  if (shared.length !== 1 || shared[0] !== boundary) return { unsupported: `later stages read ${shared.join(', ') || 'nothing'} of stage 0, not its last map alone` };
  if (steps[steps.length - 1].aux !== null) return { unsupported: "stage 0's last step writes a second map" };
  return { steps, infos, boundary };
}

/** A small deterministic noise source for the build-time check. */
function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return out;
}

export class WasmStreamPrefix implements StreamPrefix {
  readonly alignFrames: number;
  /** The value later stages read (the executor's slot it fills). */
  readonly boundary: ValueName;
  private readonly k: WasmKernels;
  private readonly steps: PrefixStep[];
  private readonly infos: TensorInfo[];
  private readonly schedule: RowSchedule;
  private readonly rings: RowRing[];
  private readonly windowBytes: number;
  private readonly slots: number[];
  private readonly free: number[];
  private readonly scratch: number;
  private readonly bands: number;
  /** No window starts before this frame any more. */
  private nextStart = 0;

  /** The prefix of `plan`'s stage 0 for windows `hopFrames` apart, or why it cannot be shared. */
  static create(plan: ModelPlan, o: StreamPrefixOptions): WasmStreamPrefix | { unsupported: string } {
    if (o.windowFrames !== plan.inputShape[0]) return { unsupported: `windows of ${o.windowFrames} frames, the model takes ${plan.inputShape[0]}` };
    if (!(Number.isInteger(o.windows) && o.windows >= 1)) throw new BeenetError('BAD_INPUT', `a stream prefix needs at least one window slot, got ${o.windows}`);
    const k = createKernelsSync();
    const found = stageSteps(k, plan);
    if ('unsupported' in found) return found;
    const schedule = rowSchedule(found.steps, plan.inputShape[0]);
    if ('unsupported' in schedule) return schedule;
    if (o.hopFrames % schedule.alignFrames !== 0) {
      return { unsupported: `a hop of ${o.hopFrames} frames is not a multiple of stage 0's ${schedule.alignFrames}` };
    }
    const prefix = new WasmStreamPrefix(k, found.steps, found.infos, found.boundary, schedule, o);
    return prefix.matchesWholeWindows(o.hopFrames) ? prefix : { unsupported: 'stage 0 in rows did not give the bits of whole windows' };
  }

  private constructor(k: WasmKernels, steps: PrefixStep[], infos: TensorInfo[], boundary: ValueName, schedule: RowSchedule, o: StreamPrefixOptions) {
    this.k = k;
    this.steps = steps;
    this.infos = infos;
    this.boundary = boundary;
    this.schedule = schedule;
    this.alignFrames = schedule.alignFrames;
    this.bands = infos[0].shape.w * infos[0].shape.c;
    const last = steps[steps.length - 1];
    this.rings = infos.map((info, v) => {
      const rowBytes = tensorBytes(info) / info.shape.h;
      const fpr = schedule.framesPerRow[v];
      // A window's rows, the rows one more hop brings, and the band a step reads past them.
      const capacity = info.shape.h + 2 * Math.ceil(o.hopFrames / fpr) + 16;
      const origin = v === last.output ? streamRows(last.rows, 0).from : 0;
      return new RowRing(k.alloc(capacity * rowBytes), rowBytes, capacity, origin);
    });
    this.scratch = k.alloc(Math.max(...steps.map((s) => s.op.scratchBytes)));
    this.windowBytes = tensorBytes(infos[last.output]);
    this.slots = Array.from({ length: o.windows }, () => k.alloc(this.windowBytes));
    this.free = [...this.slots].reverse();
  }

  addFrames(frames: Float32Array, count: number): void {
    const bands = this.bands;
    if (!Number.isInteger(count) || count < 0 || frames.length < count * bands) {
      throw new BeenetError('BAD_INPUT', `addFrames: ${count} frames of ${bands} values need ${count * bands} floats, got ${frames.length}`);
    }
    // In pieces no larger than a ring's spare room, each followed by the bands it completes.
    const piece = Math.max(1, this.rings[0].capacity - this.infos[0].shape.h);
    for (let done = 0; done < count; ) {
      const n = Math.min(piece, count - done);
      const ring = this.rings[0];
      ring.room(this.k, n, this.keepFrom(0));
      this.k.f32.set(frames.subarray(done * bands, (done + n) * bands), ring.addr(ring.end) >>> 2);
      ring.count += n;
      done += n;
      this.advance();
    }
  }

  /** The oldest row of value `v` that a later band or window still reads. */
  private keepFrom(v: number): number {
    const fpr = this.schedule.framesPerRow[v];
    let keep = Math.floor(this.nextStart / fpr);
    for (const s of this.steps) {
      const next = this.rings[s.output].end;
      if (s.input === v) keep = Math.min(keep, Math.max(0, next * s.rows.stride - s.rows.padTop));
      if (s.residual === v) keep = Math.min(keep, next);
    }
    return keep;
  }

  /** Every step computes the rows its inputs now allow, in one band each. */
  private advance(): void {
    const k = this.k;
    for (const s of this.steps) {
      const out = this.rings[s.output];
      const input = this.rings[s.input];
      let { to } = streamRows(s.rows, input.end);
      if (s.residual !== null) to = Math.min(to, this.rings[s.residual].end);
      const from = out.end;
      const n = to - from;
      if (n <= 0) continue;
      out.room(k, n, this.keepFrom(s.output));
      const aux = s.aux === null ? null : this.rings[s.aux];
      aux?.room(k, n, this.keepFrom(s.aux!));
      const g = s.rows;
      const inFrom = from * g.stride - g.padTop;
      s.runRows(
        input.addr(inFrom),
        (n - 1) * g.stride + g.kernel,
        0,
        n,
        out.addr(from),
        s.residual === null ? 0 : this.rings[s.residual].addr(from),
        this.scratch,
        aux ? aux.addr(from) : 0,
      );
      out.count += n;
      if (aux) aux.count += n;
    }
  }

  takeWindow(start: number): PrefixWindow | null {
    const { alignFrames, top, bottom, framesPerRow } = this.schedule;
    if (!Number.isInteger(start) || start % alignFrames !== 0 || start < this.nextStart) {
      throw new BeenetError('BAD_INPUT', `stream prefix: no window at frame ${start} (windows start at multiples of ${alignFrames}, from frame ${this.nextStart})`);
    }
    const slot = this.free.pop();
    if (slot === undefined) return null;
    const k = this.k;
    const last = this.steps[this.steps.length - 1];
    const g = last.rows;
    const ring = this.rings[last.output];
    const base = start / framesPerRow[last.output];
    const inBase = start / framesPerRow[last.input];
    const input = this.rings[last.input];
    const res = last.residual === null ? null : this.rings[last.residual];
    if (!ring.holds(base + top, base + bottom) || !input.holds(inBase, inBase + g.inRows)) {
      this.free.push(slot);
      throw new BeenetError('BAD_INPUT', `stream prefix: the frames of the window at frame ${start} have not all been added`);
    }
    const rb = ring.rowBytes;
    k.u8.copyWithin(slot + top * rb, ring.addr(base + top), ring.addr(base + bottom));
    // The edge rows read the window's padding: the last step once more, on the window's own first and last rows.
    if (top > 0) {
      const inRows = Math.min(g.inRows, top - 1 - g.padTop + g.kernel);
      last.runRows(input.addr(inBase), inRows, g.padTop, top, slot, res ? res.addr(base) : 0, this.scratch);
    }
    if (bottom < g.outRows) {
      const from = bottom - g.padTop;
      last.runRows(input.addr(inBase + from), g.inRows - from, 0, g.outRows - bottom, slot + bottom * rb, res ? res.addr(base + bottom) : 0, this.scratch);
    }
    this.nextStart = Math.max(this.nextStart, start + 1);
    const bytes = new Uint8Array(k.memory.buffer, slot, this.windowBytes);
    let held = true;
    return {
      bytes,
      release: () => {
        if (held) this.free.push(slot);
        held = false;
      },
    };
  }

  forgetBefore(frame: number): void {
    this.nextStart = Math.max(this.nextStart, frame);
  }

  /** The build-time check: two windows of noise through the rings, against whole-window runs of the same steps. */
  private matchesWholeWindows(hop: number): boolean {
    const k = this.k;
    const h = this.infos[0].shape.h;
    const frames = noise((h + hop) * this.bands, 0x5eed);
    const mark = k.mark;
    const maps = this.infos.map((info) => k.alloc(tensorBytes(info)));
    const whole = (start: number): Uint8Array => {
      k.f32.set(frames.subarray(start * this.bands, (start + h) * this.bands), maps[0] >>> 2);
      for (const s of this.steps) {
        s.op.run(maps[s.input], maps[s.output], s.residual === null ? 0 : maps[s.residual], this.scratch, s.aux === null ? 0 : maps[s.aux]);
      }
      const out = this.steps[this.steps.length - 1].output;
      return k.u8.slice(maps[out], maps[out] + this.windowBytes);
    };
    const expected = [whole(0), whole(hop)];
    this.addFrames(frames, h + hop);
    const got = [0, hop].map((start) => {
      const win = this.takeWindow(start);
      if (!win) return null;
      const copy = win.bytes.slice();
      win.release();
      return copy;
    });
    k.release(mark);
    this.rings.forEach((r) => r.reset());
    this.nextStart = 0;
    return got.every((g, i) => g !== null && g.length === expected[i].length && g.every((b, j) => b === expected[i][j]));
  }
}

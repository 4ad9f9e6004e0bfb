// The streaming detector: incremental features equal clip features of the same samples (at the model's rate
// and through the resampler), windows go through the model in order, events respect the threshold and the
// refractory period, back-pressure drops are counted, and stop / AbortSignal end the stream.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { audioToFeatures, DEFAULT_FRONTEND, MICROFRONTEND_16K } from '../../src/audio/frontend';
import { getResampler } from '../../src/audio/resample';
import { decodeWav } from '../../src/audio/wav';
import { createRuntime, type FrontendConfig } from '../../src/index';
import { createDetector, EventRule } from '../../src/stream/detector';
import { FeatureStream } from '../../src/stream/feature-stream';
import { mulberry32 } from '../helpers/rng';

function noise(seed: number, n: number, amp = 0.1): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, (_, i) => amp * (rng() - 0.5) + 0.2 * Math.sin(i * 0.05 + 3 * Math.sin(i * 1e-4)));
}

/** Pushes `x` in chunks of random sizes. */
function feed(s: FeatureStream, x: Float32Array, seed: number, onFrames: () => void): void {
  const rng = mulberry32(seed);
  for (let i = 0; i < x.length; ) {
    const n = 1 + Math.floor(rng() * 900);
    s.push(x.subarray(i, i + n));
    i += n;
    onFrames();
  }
}

describe('FeatureStream', () => {
  for (const [name, cfg] of [['log-mel', DEFAULT_FRONTEND], ['microfrontend', MICROFRONTEND_16K]] as [string, FrontendConfig][]) {
    it(`${name}: every window equals the clip features of its samples (16 kHz chunks of any size)`, () => {
      const x = noise(1, 16000 * 3);
      const s = new FeatureStream(cfg, 16000);
      let checked = 0;
      feed(s, x, 2, () => {
        const end = s.framesDone;
        if (end < s.windowFrames || end % 7 !== 0) return;
        const from = (end - s.windowFrames) * cfg.hopSamples;
        expect(s.window(end), `window ending at frame ${end}`).toEqual(audioToFeatures(x.slice(from, from + cfg.clipSamples), 16000, cfg));
        checked++;
      });
      expect(checked).toBeGreaterThan(5);
    });
  }

  // Frames depend on the ones before them with the microfrontend's noise reduction: windows are recomputed.
  const dependent: FrontendConfig = { ...MICROFRONTEND_16K, microfrontend: { ...MICROFRONTEND_16K.microfrontend!, noiseReductionEnabled: true } };
  for (const [name, cfg] of [['log-mel', DEFAULT_FRONTEND], ['microfrontend', MICROFRONTEND_16K], ['microfrontend with noise reduction', dependent]] as [string, FrontendConfig][]) {
    it(`${name}: a normalising stream's windows are the normalised clip features, bit for bit`, () => {
      const rng = mulberry32(9);
      const norm = {
        mean: Float32Array.from({ length: cfg.melBands }, () => 4 * rng() - 2),
        std: Float32Array.from({ length: cfg.melBands }, () => 0.5 + rng()),
      };
      const normalised: FrontendConfig = { ...cfg, normalization: { mean: 'frontend.mean', std: 'frontend.std' } };
      const x = noise(6, 16000 * 2);
      const s = new FeatureStream(normalised, 16000, { normalization: norm });
      const raw = new FeatureStream(normalised, 16000);
      let checked = 0;
      feed(s, x, 7, () => {
        const end = s.framesDone;
        while (raw.samplesDone < s.samplesDone) raw.push(x.subarray(raw.samplesDone, s.samplesDone));
        if (end < s.windowFrames || end % 9 !== 0) return;
        const from = (end - s.windowFrames) * cfg.hopSamples;
        const clip = x.slice(from, from + cfg.clipSamples);
        expect(s.window(end), `window ending at frame ${end}`).toEqual(audioToFeatures(clip, 16000, normalised, norm));
        // Without the option the same stream gives raw features, whatever the config says.
        expect(raw.window(end)).toEqual(audioToFeatures(clip, 16000, cfg));
        checked++;
      });
      expect(checked).toBeGreaterThan(3);
    });
  }

  it('44.1 kHz input: windows equal the clip features of the resampled stream', () => {
    const x = noise(3, 44100 * 2);
    const whole = getResampler(44100, 16000).process(x);
    const s = new FeatureStream(DEFAULT_FRONTEND, 44100);
    let checked = 0;
    feed(s, x, 4, () => {
      const end = s.framesDone;
      if (end < s.windowFrames || end % 5 !== 0) return;
      const from = (end - s.windowFrames) * 160;
      expect(s.window(end)).toEqual(audioToFeatures(whole.slice(from, from + 16000), 16000, DEFAULT_FRONTEND));
      checked++;
    });
    expect(checked).toBeGreaterThan(3);
  });

  it('rejects non-finite samples and windows it no longer holds', () => {
    const s = new FeatureStream(DEFAULT_FRONTEND, 16000);
    expect(() => s.push(Float32Array.of(0, NaN))).toThrow(/stream sample 1 is NaN/);
    s.push(noise(5, 32000));
    expect(() => s.window(s.windowFrames)).toThrow(/not available/);
  });
});

describe('KeywordDetector', () => {
  const clip = decodeWav(readFileSync('models/clips/kws/yes.wav'));

  it('runs each window through the model as the clip would, and fires once per refractory period', async () => {
    const model = await (await createRuntime({ backend: 'cpu' })).load(new Uint8Array(readFileSync('models/kws-reactnet.bee')));
    const stream = new Float32Array(16000 * 4);
    stream.set(clip.samples, 16000);
    const outcomes: { time: number; label: string; exit: number }[] = [];
    const det = createDetector(model, {
      sampleRate: 16000,
      hopMs: 250,
      smoothing: 1,
      probabilityThreshold: 0,
      minWindows: 1,
      refractoryMs: 1500,
      ignore: [],
      confirm: false,
      onWindow: (w) => outcomes.push({ time: w.time, label: w.result!.label, exit: w.result!.exit }),
    });
    const events = [];
    for (let i = 0; i < stream.length; i += 1600) events.push(...(await det.push(stream.subarray(i, i + 1600))));
    // Windows end every 250 ms from 1 s on; the one ending at 2 s holds exactly the clip.
    expect(outcomes.map((o) => o.time)).toEqual(Array.from({ length: 13 }, (_, k) => 1 + 0.25 * k));
    const alone = await model.classify({ audio: clip.samples, sampleRate: 16000 });
    expect(outcomes[4]).toEqual({ time: 2, label: alone.label, exit: alone.exit });
    // Threshold 0: the first window fires, then one event per 1.5 s at most.
    expect(events.map((e) => e.time)).toEqual([1, 2.5, 4]);
    for (const e of events) expect(e.probability).toBeGreaterThan(0);
    const st = det.stats();
    expect(st).toMatchObject({ windows: 13, gated: 0, dropped: 0, detections: 3, audioSeconds: 4 });
    expect(st.exits.reduce((a, b) => a + b, 0)).toBe(13);
    model.dispose();
  });

  it('needs minWindows passing windows in a row, and confirms early-exit keywords at the last exit', async () => {
    const model = await (await createRuntime({ backend: 'cpu' })).load(new Uint8Array(readFileSync('models/kws-reactnet.bee')));
    const stream = new Float32Array(16000 * 4);
    stream.set(clip.samples, 16000);
    const last = model.plan.stages.length - 1;
    const base = { sampleRate: 16000, hopMs: 250, smoothing: 1, probabilityThreshold: 0, refractoryMs: 0, ignore: [] };
    const run = async (audio: Float32Array, o: { minWindows: number; confirm: boolean }) => {
      const det = createDetector(model, { ...base, ...o });
      const events = [];
      for (let i = 0; i < audio.length; i += 1600) events.push(...(await det.push(audio.subarray(i, i + 1600))));
      return { events, stats: det.stats() };
    };
    // Silence: every window is the same and passes threshold 0 for the same label, so with 3 in a row windows
    // 3, 6, 9 and 12 of 13 fire (the run restarts after each).
    const three = await run(new Float32Array(stream.length), { minWindows: 3, confirm: false });
    expect(three.events.map((e) => e.time)).toEqual([1.5, 2.25, 3, 3.75]);
    expect(three.stats.confirmations).toBe(0);
    // Confirmed: every passing window that left early is run again, and every event comes from the last exit.
    const confirmed = await run(stream, { minWindows: 1, confirm: true });
    const early = confirmed.stats.exits.slice(0, last).reduce((a, b) => a + b, 0);
    expect(early).toBeGreaterThan(0);
    expect(confirmed.stats.confirmations).toBe(early);
    expect(confirmed.events).toHaveLength(13);
    for (const e of confirmed.events) expect(e.exit).toBe(last);
    model.dispose();
  });

  it('on the WASM backend, windows share stage 0 (same results as whole windows), where the hop allows', async () => {
    const model = await (await createRuntime({ backend: 'wasm' })).load(new Uint8Array(readFileSync('models/kws-reactnet.bee')));
    // The clip twice, the second time in loud noise (windows leave at different exits).
    const rnd = mulberry32(4);
    const stream = new Float32Array(16000 * 5).map((_, i) => (i > 44000 ? 0.3 : 0.01) * (rnd() - 0.5));
    stream.set(clip.samples, 12000);
    for (let i = 0; i < clip.samples.length; i++) stream[50000 + i] += clip.samples[i];
    const run = async (shareStage0: boolean, hopMs: number, chunk: number) => {
      const windows: { time: number; exit: number; probs: number[] }[] = [];
      const det = createDetector(model, {
        sampleRate: 16000, hopMs, shareStage0, smoothing: 1, probabilityThreshold: 0.5, minWindows: 1, refractoryMs: 0, confirm: true,
        exit: { threshold: 0.02 },
        onWindow: (w) => windows.push({ time: w.time, exit: w.result!.exit, probs: [...w.result!.probabilities] }),
      });
      const events = [];
      for (let i = 0; i < stream.length; i += chunk) events.push(...(await det.push(stream.subarray(i, i + chunk))));
      return { windows, events, stats: det.stats() };
    };
    const shared = await run(true, 160, 1600);
    const whole = await run(false, 160, 1600);
    expect(shared.stats.sharedStage0).toEqual({ on: true });
    expect(whole.stats.sharedStage0).toEqual({ on: false, why: 'turned off (shareStage0: false)' });
    expect(shared.windows.length).toBe(26);
    expect(new Set(shared.windows.map((w) => w.exit)).size).toBeGreaterThan(1);
    expect(shared.windows.some((w) => w.exit === 3)).toBe(true);
    expect(shared.windows).toEqual(whole.windows);
    expect(shared.events).toEqual(whole.events);
    expect(shared.events.length).toBeGreaterThan(0);
    expect(shared.stats.confirmations).toBe(whole.stats.confirmations);
    // Chunks that do not line up with hops or frames change nothing.
    expect((await run(true, 160, 777)).windows).toEqual(whole.windows);
    // 150 ms is 15 frames: stage 0 advances 4 frames a row, so these windows run whole.
    expect((await run(true, 150, 1600)).stats.sharedStage0).toEqual({ on: false, why: "a hop of 15 frames is not a multiple of stage 0's 4" });
    // Back-pressure: windows beyond the queue are dropped and counted as before, their shared rows released.
    const flood = async (shareStage0: boolean) => {
      const det = createDetector(model, { sampleRate: 16000, hopMs: 120, maxQueuedWindows: 2, batch: 1, shareStage0 });
      await det.push(new Float32Array(16000 * 3).map((_, i) => 0.1 * Math.sin(i)));
      await det.push(new Float32Array(16000).map((_, i) => 0.1 * Math.sin(i)));
      return det.stats();
    };
    // 17 windows in the first push (2 kept), 9 in the second (2 kept).
    expect(await flood(true)).toMatchObject({ windows: 26, dropped: 22, sharedStage0: { on: true } });
    expect(await flood(false)).toMatchObject({ windows: 26, dropped: 22 });
    model.dispose();
  });

  it('consume() takes a Node Readable or an async generator of chunks, with the events push() gives', async () => {
    const model = await (await createRuntime({ backend: 'cpu' })).load(new Uint8Array(readFileSync('models/kws-reactnet.bee')));
    const stream = new Float32Array(16000 * 3);
    stream.set(clip.samples, 12000);
    const chunks = Array.from({ length: Math.ceil(stream.length / 1000) }, (_, i) => stream.slice(i * 1000, (i + 1) * 1000));
    const options = { sampleRate: 16000, hopMs: 200, smoothing: 1, probabilityThreshold: 0, minWindows: 1, refractoryMs: 0, ignore: [] };
    const pushed = createDetector(model, options);
    const want = [];
    for (const c of chunks) want.push(...(await pushed.push(c)));
    expect(want.length).toBeGreaterThan(3);
    expect(await createDetector(model, options).consume(Readable.from(chunks))).toEqual(want);
    async function* generate() {
      for (const c of chunks) yield c;
    }
    expect(await createDetector(model, options).consume(generate())).toEqual(want);
    // A bad chunk rejects; a stopped detector ends the loop with what it found.
    await expect(createDetector(model, options).consume([new Float32Array(10), new Uint8Array(4) as unknown as Float32Array])).rejects.toThrow(/Float32Array/);
    const stopping = createDetector(model, options);
    let n = 0;
    const some = await stopping.consume((function* () {
      for (const c of chunks) {
        if (++n === 20) stopping.stop();
        yield c;
      }
    })());
    expect(some).toEqual(want.filter((e) => e.time <= 19 * 1000 / 16000 + 1e-9));
    model.dispose();
  });

  it('EventRule: passes() changes nothing; a run breaks on another label; gated windows never fire', () => {
    const rule = new EventRule(['a', 'b', '_silence_'], { smoothing: 1, probabilityThreshold: 0.6, minWindows: 2, refractoryMs: 0, ignore: ['_silence_'], confirm: true });
    const a = Float32Array.of(0.9, 0.05, 0.05);
    const b = Float32Array.of(0.05, 0.9, 0.05);
    expect(rule.passes(a, 0)).toBe(true);
    expect(rule.passes(a, 0)).toBe(true);
    expect(rule.next(a, 0)).toBeNull();
    expect(rule.next(b, 0.1)).toBeNull(); // b's run starts afresh
    expect(rule.next(b, 0.2)).toMatchObject({ label: 'b', classIndex: 1 });
    const smoothed = new Float32Array(3);
    expect(rule.next(null, 0.3, smoothed)).toBeNull();
    expect([...smoothed]).toEqual([0, 0, 1]);
  });

  it('counts the windows it drops when pushes outrun the model, gates quiet windows, and stops', async () => {
    const model = await (await createRuntime({ backend: 'cpu' })).load(new Uint8Array(readFileSync('models/kws-reactnet.bee')));
    const det = createDetector(model, { sampleRate: 16000, hopMs: 100, maxQueuedWindows: 2 });
    await det.push(new Float32Array(16000 * 3).map((_, i) => 0.1 * Math.sin(i)));
    const st = det.stats();
    expect(st.windows).toBe(21);
    expect(st.dropped).toBe(19);
    const gated = createDetector(model, { sampleRate: 16000, energyGateDb: -60 });
    await gated.push(new Float32Array(16000 * 2));
    expect(gated.stats().gated).toBeGreaterThan(0);
    const ac = new AbortController();
    const stopped = createDetector(model, { sampleRate: 16000, signal: ac.signal });
    ac.abort();
    await expect(stopped.push(new Float32Array(100))).rejects.toThrow(/stopped/);
    const aborted = createDetector(model, { sampleRate: 16000, signal: ac.signal });
    await expect(aborted.push(new Float32Array(100))).rejects.toThrow(/stopped/);
    const live = createDetector(model, { sampleRate: 16000 });
    await live.push(new Float32Array(500));
    await expect(live.push(Float32Array.of(0, 0, Infinity))).rejects.toThrow(/stream sample 502 is Infinity/);
    await live.push(new Float32Array(100));
    expect(live.stats().audioSeconds).toBe(600 / 16000);
    expect(() => createDetector(model, { sampleRate: 16000, hopMs: 0 })).toThrow(/hopMs must be a positive number/);
    model.dispose();
  });
});

// A human-readable summary of a model description (`beenet info`).
import type { ModelDescription } from '../model/graph';

function millions(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n);
}

function frontendKind(d: ModelDescription): string {
  const f = d.frontend;
  const m = f.microfrontend;
  if (f.kind !== 'microfrontend' || !m) return `log(mel + ${f.logOffset})`;
  const stages = [m.noiseReductionEnabled ? 'noise reduction' : '', m.pcanEnabled ? 'PCAN' : ''].filter((s) => s).join(' + ');
  return `microfrontend${stages ? ` (${stages})` : ''}, log x${2 ** m.logScaleShift}, pixels = ${m.outputScale} * log + ${m.outputOffset}`;
}

export function describeModel(d: ModelDescription): string {
  const f = d.frontend;
  const lines = [
    `${d.name}: task ${d.task}, architecture ${d.architecture}`,
    `labels (${d.labels.length}): ${d.labels.join(', ')}`,
    `front end: ${f.sampleRate} Hz, ${f.clipSamples} samples, window ${f.windowSamples} / hop ${f.hopSamples}, FFT ${f.fftSize}, ` +
      `${f.melBands} mel bands ${f.fMinHz}-${f.fMaxHz} Hz, ${frontendKind(d)}${f.normalization ? ', normalised' : ''}`,
    `input: ${d.graph.inputShape.join(' x ')}; stem ${d.graph.stem.length} layers; ${d.graph.blocks.length} blocks; ${d.graph.exits.length} exits`,
  ];
  let binary = 0;
  let float = 0;
  let params = 0;
  d.ops.blocks.forEach((o, i) => {
    binary += o.binaryOps;
    float += o.floatOps;
    params += o.params;
    const layers = d.graph.blocks[i].layers.map((l) => l.type).join(' ');
    lines.push(`  block ${i}${i === 0 ? ' (+stem)' : ''}: ${millions(o.binaryOps)} binary ops, ${millions(o.floatOps)} float ops, ${millions(o.params)} params  [${layers}]`);
  });
  d.ops.exits.forEach((o, i) => {
    binary += o.binaryOps;
    float += o.floatOps;
    params += o.params;
    lines.push(`  exit ${i} after block ${d.graph.exits[i].after}: ${millions(o.floatOps)} float ops, ${millions(o.params)} params`);
  });
  lines.push(`total: ${millions(binary)} binary ops, ${millions(float)} float ops, ${millions(params)} parameters`);
  lines.push(`exit policy: ${d.exitPolicy.criterion}, thresholds ${d.exitPolicy.thresholds.map((t) => t.toFixed(3)).join(', ')}`);
  if (d.provenance) lines.push(`provenance: ${Object.entries(d.provenance).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  return lines.join('\n');
}

// The one SVG plotter (model reports, benchmark report): dependency-free line plots, linear or log axes with
// round ticks, an optional second y axis.

export interface PlotSeries {
  label: string;
  color: string;
  points: { x: number; y: number }[];
  /** Plot against the right-hand axis. */
  right?: boolean;
  dashed?: boolean;
  /** Markers only, no line (e.g. calibrated operating points). */
  markers?: boolean;
}

export interface Axis {
  label: string;
  log?: boolean;
}

export interface PlotSpec {
  title: string;
  subtitle?: string;
  x: Axis;
  y: Axis;
  /** A second y axis (series with `right: true`). */
  y2?: Axis;
  series: PlotSeries[];
  width?: number;
  height?: number;
}

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (v: number): string => {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return `${+(v / 1000).toPrecision(3)}k`;
  if (a >= 1) return `${+v.toPrecision(3)}`;
  return `${+v.toPrecision(2)}`;
};

interface Scale {
  map(v: number): number;
  ticks: number[];
}

function scale(values: number[], axis: Axis, lo: number, hi: number): Scale {
  const vs = values.filter((v) => Number.isFinite(v) && (!axis.log || v > 0));
  let min = vs.length ? Math.min(...vs) : 0;
  let max = vs.length ? Math.max(...vs) : 1;
  if (axis.log) {
    const a = Math.floor(Math.log10(min));
    const b = Math.max(a + 1, Math.ceil(Math.log10(max)));
    const ticks: number[] = [];
    for (let e = a; e <= b; e++) for (const m of b - a <= 2 ? [1, 2, 5] : [1]) if (m * 10 ** e <= 10 ** b) ticks.push(m * 10 ** e);
    return { map: (v) => lo + ((Math.log10(Math.max(v, 10 ** a)) - a) / (b - a)) * (hi - lo), ticks };
  }
  if (min > 0 && min < max / 3) min = 0;
  if (max === min) max = min + 1;
  const span = max - min;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 6) ?? step * 10;
  const a = Math.floor(min / nice) * nice;
  const b = Math.ceil(max / nice) * nice;
  const ticks: number[] = [];
  for (let t = a; t <= b + nice / 2; t += nice) ticks.push(+t.toPrecision(10));
  return { map: (v) => lo + ((v - a) / (b - a)) * (hi - lo), ticks };
}

export function plot(spec: PlotSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 420;
  const m = { l: 64, r: spec.y2 ? 64 : 24, t: spec.subtitle ? 48 : 34, b: 50 };
  const legendW = 230;
  const plotR = width - m.r - legendW;
  const left = spec.series.filter((s) => !s.right);
  const right = spec.series.filter((s) => s.right);
  const xs = scale(spec.series.flatMap((s) => s.points.map((p) => p.x)), spec.x, m.l, plotR);
  const ys = scale(left.flatMap((s) => s.points.map((p) => p.y)), spec.y, height - m.b, m.t);
  const y2s = spec.y2 ? scale(right.flatMap((s) => s.points.map((p) => p.y)), spec.y2, height - m.b, m.t) : null;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.l}" y="18" font-size="14" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  if (spec.subtitle) out.push(`<text x="${m.l}" y="34" font-size="11" fill="#a00">${esc(spec.subtitle)}</text>`);
  for (const t of xs.ticks) {
    const x = xs.map(t);
    out.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${height - m.b}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${height - m.b + 14}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of ys.ticks) {
    const y = ys.map(t);
    out.push(`<line x1="${m.l}" y1="${y}" x2="${plotR}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  if (y2s) for (const t of y2s.ticks) out.push(`<text x="${plotR + 6}" y="${y2s.map(t) + 4}">${fmt(t)}</text>`);
  out.push(`<rect x="${m.l}" y="${m.t}" width="${plotR - m.l}" height="${height - m.b - m.t}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${(m.l + plotR) / 2}" y="${height - 12}" text-anchor="middle">${esc(spec.x.label)}${spec.x.log ? ' (log)' : ''}</text>`);
  const ym = (m.t + height - m.b) / 2;
  out.push(`<text transform="translate(16 ${ym}) rotate(-90)" text-anchor="middle">${esc(spec.y.label)}${spec.y.log ? ' (log)' : ''}</text>`);
  if (spec.y2) out.push(`<text transform="translate(${plotR + 52} ${ym}) rotate(90)" text-anchor="middle">${esc(spec.y2.label)}${spec.y2.log ? ' (log)' : ''}</text>`);
  spec.series.forEach((s, i) => {
    const sy = s.right && y2s ? y2s : ys;
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.x.log || p.x > 0)).sort((a, b) => a.x - b.x);
    const coords = pts.map((p) => `${xs.map(p.x).toFixed(1)},${sy.map(p.y).toFixed(1)}`);
    if (coords.length > 1 && !s.markers) out.push(`<polyline points="${coords.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    for (const c of coords) {
      const [x, y] = c.split(',');
      out.push(`<circle cx="${x}" cy="${y}" r="${s.markers ? 4.5 : 3}" fill="${s.color}"/>`);
    }
    const ly = m.t + 8 + i * 16;
    const lx = width - legendW + 4;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 18}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    out.push(`<text x="${lx + 24}" y="${ly + 4}">${esc(s.label)}${s.right ? ' (right axis)' : ''}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

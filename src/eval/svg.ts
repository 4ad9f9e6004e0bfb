// A dependency-free SVG line plot: accuracy against the fraction of binary ops.

export interface Series {
  label: string;
  color: string;
  points: Array<{ x: number; y: number }>;
  /** Draw a line through the points (else markers only). */
  line: boolean;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** x in [0, 1] (fraction), y in percent; the y range fits the data with a little margin. */
export function plotSvg(title: string, xLabel: string, yLabel: string, series: Series[], width = 560, height = 360): string {
  const m = { l: 56, r: 150, t: 30, b: 44 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  let y0 = Math.floor(Math.min(...ys, 100) / 5) * 5;
  const y1 = Math.min(100, Math.ceil(Math.max(...ys, 0) / 5) * 5 + (Math.max(...ys) % 5 === 0 ? 5 : 0));
  if (y1 - y0 < 10) y0 = Math.max(0, y1 - 10);
  const X = (x: number): number => m.l + x * w;
  const Y = (y: number): number => m.t + h - ((y - y0) / Math.max(1e-9, y1 - y0)) * h;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.l}" y="18" font-size="13">${esc(title)}</text>`,
  ];
  for (let k = 0; k <= 10; k += 2) {
    const x = X(k / 10);
    parts.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + h}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${m.t + h + 14}" text-anchor="middle">${k / 10}</text>`);
  }
  const step = y1 - y0 > 40 ? 10 : y1 - y0 > 20 ? 5 : 2;
  for (let y = y0; y <= y1; y += step) {
    parts.push(`<line x1="${m.l}" y1="${Y(y)}" x2="${m.l + w}" y2="${Y(y)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${Y(y) + 4}" text-anchor="end">${y}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${m.l + w / 2}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.t + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (s.line && pts.length > 1) {
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of pts) parts.push(`<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="${s.line ? 2.5 : 4}" fill="${s.color}"/>`);
    const ly = m.t + 12 + i * 16;
    parts.push(`<circle cx="${m.l + w + 14}" cy="${ly - 4}" r="4" fill="${s.color}"/>`);
    parts.push(`<text x="${m.l + w + 22}" y="${ly}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

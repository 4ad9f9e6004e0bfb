// A file of normalised clips and their labels per split, so an evaluation can run on a machine that has a GPU but
// not the generated data set (scripts/check-gpu.ts --save-features / --features).
//
// Layout (little-endian): "BEECLIPS", u32 header bytes, a JSON header {splits: [{name, clips}], valuesPerClip},
// zero padding to a multiple of 4, then per split its labels (i32 x clips) and features (f32 x clips x values).

export interface ClipSet {
  features: Float32Array;
  labels: Int32Array;
}

const MAGIC = 'BEECLIPS';

export function saveClipSets(sets: Map<string, ClipSet>, valuesPerClip: number): Uint8Array {
  for (const [name, s] of sets) {
    if (s.features.length !== s.labels.length * valuesPerClip) {
      throw new Error(`split '${name}': ${s.features.length} feature values for ${s.labels.length} clips of ${valuesPerClip}`);
    }
  }
  const header = new TextEncoder().encode(JSON.stringify({ splits: [...sets].map(([name, s]) => ({ name, clips: s.labels.length })), valuesPerClip }));
  const start = Math.ceil((12 + header.length) / 4) * 4;
  const body = [...sets.values()].reduce((n, s) => n + 4 * (s.labels.length + s.features.length), 0);
  const out = new Uint8Array(start + body);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let at = start;
  for (const s of sets.values()) {
    for (const a of [s.labels, s.features]) {
      out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
      at += a.byteLength;
    }
  }
  return out;
}

/** Reads a clip file written by saveClipSets; `source` names it in errors. */
export function loadClipSets(bytes: Uint8Array, valuesPerClip: number, source = 'clip file'): Map<string, ClipSet> {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail(`not a beenet clip file (no ${MAGIC} header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(8, true);
  if (12 + headerBytes > bytes.length) fail('truncated in its header');
  let header: { splits: { name: string; clips: number }[]; valuesPerClip: number };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerBytes))) as typeof header;
  } catch {
    return fail('its header is not valid JSON');
  }
  if (header.valuesPerClip !== valuesPerClip) fail(`clips of ${header.valuesPerClip} values; the model takes ${valuesPerClip}`);
  const out = new Map<string, ClipSet>();
  let at = Math.ceil((12 + headerBytes) / 4) * 4;
  for (const { name, clips } of header.splits) {
    if (!Number.isInteger(clips) || clips < 0) fail(`split '${name}' has a bad clip count`);
    const size = 4 * clips * (1 + valuesPerClip);
    if (at + size > bytes.length) fail(`truncated in split '${name}' (${bytes.length} bytes, needs ${at + size})`);
    // Copies (new Uint8Array(view) copies; a Node Buffer's slice would not), so the arrays are aligned and own
    // their memory whatever buffer the bytes came in.
    const labels = new Int32Array(new Uint8Array(bytes.subarray(at, at + 4 * clips)).buffer);
    const features = new Float32Array(new Uint8Array(bytes.subarray(at + 4 * clips, at + size)).buffer);
    out.set(name, { labels, features });
    at += size;
  }
  if (at !== bytes.length) fail(`${bytes.length - at} bytes after the last split`);
  return out;
}

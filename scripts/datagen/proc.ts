// Child processes: run a pipeline of commands and collect the last one's stdout.

import { spawn } from 'node:child_process';

export interface Cmd {
  cmd: string;
  args: string[];
}

/** Runs cmds[0] | cmds[1] | ... and resolves with the last stdout; rejects naming the failing command. */
export function pipeline(cmds: Cmd[], stdin?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const procs = cmds.map((c) => spawn(c.cmd, c.args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    const chunks: Buffer[] = [];
    const errs: string[] = cmds.map(() => '');
    let pending = procs.length;
    let failed = false;
    procs.forEach((p, i) => {
      p.stderr.on('data', (d: Buffer) => (errs[i] += d.toString()));
      p.on('error', (e) => {
        failed = true;
        reject(new Error(`${cmds[i].cmd}: ${e.message}`));
      });
      if (i + 1 < procs.length) p.stdout.pipe(procs[i + 1].stdin);
      else p.stdout.on('data', (d: Buffer) => chunks.push(d));
      // A downstream process may exit early; its closed pipe is not our error.
      p.stdin.on('error', () => {});
      p.on('close', (code) => {
        if (failed) return;
        if (code !== 0) {
          failed = true;
          const line = [cmds[i].cmd, ...cmds[i].args].join(' ');
          reject(new Error(`${line} exited with ${code}: ${errs[i].trim().slice(0, 500)}`));
          return;
        }
        if (--pending === 0) resolve(Buffer.concat(chunks));
      });
    });
    if (stdin) procs[0].stdin.end(stdin);
    else procs[0].stdin.end();
  });
}

/** A Float32Array view-safe copy of raw little-endian f32 bytes. */
export function f32FromBytes(b: Buffer): Float32Array {
  const out = new Float32Array(Math.floor(b.length / 4));
  new Uint8Array(out.buffer).set(b.subarray(0, out.length * 4));
  return out;
}

/** Maps items with at most `limit` in flight, in any completion order. */
export async function mapPool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// The worker side of WasmPoolExecutor (src/wasm/pool-executor.ts): one full WasmExecutor over the
// model's plan, driven by messages. The host gives each worker a fixed share of the batch's clips, so every
// value a clip keeps between stages stays in the worker that produced it; nothing is shared but messages.
//
// Browsers start it as a module worker (`new Worker(new URL('./worker.ts', import.meta.url))`, bundled by
// Vite) and it serves `self`; Node starts `worker-node.mjs`, which calls `serveWasmExecutor(parentPort)`.
import { BeenetError, isBeenetError, type BeenetErrorCode } from '../errors';
import type { ModelPlan } from '../plan/plan';
import { packOutcomes, readbackLoop, type LoopRule } from '../plan/readback-loop';
import { WasmExecutor } from './executor';

export type WorkerRequest =
  | { type: 'init'; id: number; plan: ModelPlan; maxBatch: number }
  | { type: 'input'; id: number; features: Float32Array; n: number }
  | { type: 'run'; id: number; stage: number; active: Uint32Array }
  | { type: 'loop'; id: number; rule: Omit<LoopRule, 'signal'>; n: number }
  | { type: 'dispose'; id: number };

/** A loop's outcomes for the worker's clips, packed (src/plan/readback-loop.ts, packOutcomes). */
export interface PackedOutcomes {
  exits: Uint32Array;
  records: Float32Array[];
}

export type WorkerReply =
  | { id: number; ok: true; records: Float32Array | null; outcomes?: PackedOutcomes; bytes: number }
  | { id: number; ok: false; code: BeenetErrorCode | null; message: string };

/** The two sides of a message channel: Node's `parentPort` and a worker's `self` both fit. */
export interface WorkerPort {
  postMessage(message: WorkerReply, transfer: ArrayBuffer[]): void;
}

/** Handles one request; requests are handled one after the other, in arrival order. */
export function serveWasmExecutor(port: WorkerPort): (request: WorkerRequest) => void {
  let executor: WasmExecutor | null = null;
  let shape = { stages: 0, classes: 0 };
  let queue: Promise<void> = Promise.resolve();
  const live = (): WasmExecutor => {
    if (!executor) throw new BeenetError('DISPOSED', 'the wasm worker has no executor (not initialised, or disposed)');
    return executor;
  };
  const handle = async (r: WorkerRequest): Promise<Float32Array | PackedOutcomes | null> => {
    switch (r.type) {
      case 'init':
        executor = new WasmExecutor(r.plan, { maxBatch: r.maxBatch });
        shape = { stages: r.plan.stages.length, classes: r.plan.classes };
        return null;
      case 'input':
        await live().setInput(r.features, r.n);
        return null;
      case 'run':
        return live().runStage(r.stage, r.active);
      case 'loop': {
        const ex = live();
        const { stages, classes } = shape;
        const outcomes = await readbackLoop((k, active) => ex.runStage(k, active), stages, classes, r.n, r.rule);
        return packOutcomes(outcomes, stages, classes + 3);
      }
      case 'dispose':
        executor?.dispose();
        executor = null;
        return null;
    }
  };
  return (request) => {
    queue = queue.then(async () => {
      try {
        const result = await handle(request);
        const bytes = executor ? executor.stats().bytes : 0;
        if (result instanceof Float32Array || result === null) {
          port.postMessage({ id: request.id, ok: true, records: result, bytes }, result ? [result.buffer as ArrayBuffer] : []);
        } else {
          const transfer = [result.exits.buffer as ArrayBuffer, ...result.records.map((r) => r.buffer as ArrayBuffer)];
          port.postMessage({ id: request.id, ok: true, records: null, outcomes: result, bytes }, transfer);
        }
      } catch (e) {
        const code = isBeenetError(e) ? e.code : null;
        port.postMessage({ id: request.id, ok: false, code, message: e instanceof Error ? e.message : String(e) }, []);
      }
    });
  };
}

// A browser worker serves itself (Node's entry, worker-node.mjs, calls serveWasmExecutor on parentPort).
interface BrowserWorkerScope extends WorkerPort {
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerRequest>) => void): void;
}
if ('WorkerGlobalScope' in globalThis) {
  const scope = globalThis as unknown as BrowserWorkerScope;
  const serve = serveWasmExecutor(scope);
  scope.addEventListener('message', (event) => serve(event.data));
}

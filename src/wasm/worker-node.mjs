// Node entry of the wasm pool's worker when beenet runs from its TypeScript sources (vitest, tsx): registers
// tsx's loader in this thread, then serves the WasmExecutor of src/wasm/worker.ts on parentPort.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { serveWasmExecutor } = await import('./worker.ts');
const serve = serveWasmExecutor(parentPort);
parentPort.on('message', serve);

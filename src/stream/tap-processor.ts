// The AudioWorklet processor behind tapMediaStream (src/stream/media-stream.ts). It runs on the audio thread and
// must be self-contained: tapMediaStream loads this function's own source from a Blob URL, and a page whose
// Content-Security-Policy allows only same-origin scripts serves a module that imports and calls it instead
// (the demo's demo/ui/mic-processor.ts), passing that module's URL as `processorUrl`.

interface WorkletScope {
  AudioWorkletProcessor: new () => { readonly port: MessagePort };
  registerProcessor(name: string, ctor: new () => { process(inputs: Float32Array[][]): boolean }): void;
}

/** Registers the 'beenet-tap' processor: the input's channels averaged, posted in blocks of 2048 samples. */
export function registerTapProcessor(): void {
  // ~20 messages a second at 44.1-48 kHz instead of one per 128-sample render quantum.
  const BLOCK = 2048;
  const scope = globalThis as unknown as WorkletScope;
  // No class fields: a bundler targeting older engines would turn them into calls of a helper defined outside
  // this function, which the Blob-loaded source would not have.
  class BeenetTap extends scope.AudioWorkletProcessor {
    declare block: Float32Array;
    declare filled: number;

    constructor() {
      super();
      this.block = new Float32Array(BLOCK);
      this.filled = 0;
    }

    process(inputs: Float32Array[][]): boolean {
      const channels = inputs[0];
      if (!channels || channels.length === 0) return true;
      const n = channels[0].length;
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (const ch of channels) v += ch[i];
        this.block[this.filled++] = v / channels.length;
        if (this.filled === BLOCK) {
          // Transferred, then a fresh block: no copy on either side.
          this.port.postMessage(this.block, [this.block.buffer]);
          this.block = new Float32Array(BLOCK);
          this.filled = 0;
        }
      }
      return true;
    }
  }
  scope.registerProcessor('beenet-tap', BeenetTap);
}

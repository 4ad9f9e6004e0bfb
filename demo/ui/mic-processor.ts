// AudioWorklet processor (audio thread): forwards the microphone in blocks of 2048 samples, so the main thread
// gets ~20 messages a second instead of one per 128-sample render quantum.

interface WorkletProcessor {
  readonly port: MessagePort;
}
declare const AudioWorkletProcessor: { prototype: WorkletProcessor; new (): WorkletProcessor };
declare function registerProcessor(name: string, ctor: new () => WorkletProcessor & { process(inputs: Float32Array[][]): boolean }): void;

const BLOCK = 2048;

class MicTap extends AudioWorkletProcessor {
  private block = new Float32Array(BLOCK);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    const n = channels[0].length;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (const ch of channels) v += ch[i];
      this.block[this.filled++] = v / channels.length;
      if (this.filled === BLOCK) {
        // Transfer, then start a fresh block: no copy on either side.
        this.port.postMessage(this.block, [this.block.buffer]);
        this.block = new Float32Array(BLOCK);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('beenet-mic-tap', MicTap);

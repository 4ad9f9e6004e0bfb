// The microphone tap's AudioWorklet module, served from this origin: the page's Content-Security-Policy allows
// no blob: scripts, so tapMediaStream gets this module's URL instead of loading the processor from a Blob.
import { registerTapProcessor } from '../../src/stream/tap-processor';

registerTapProcessor();

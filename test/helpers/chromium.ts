// Headless Debian Chromium for the page tests, the browser benchmark and the page soak: one set of flags.
import { createServer } from 'node:net';

/** Debian's chromium package (Playwright cannot download its own browsers here). */
export const CHROMIUM = '/usr/bin/chromium';

/** WebGPU on (SwiftShader without a GPU), and nothing that reaches out to the network. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** A free TCP port on localhost (WebGPU needs a secure context: pages are served from http://localhost). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, 'localhost', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => ok(port));
    });
  });
}

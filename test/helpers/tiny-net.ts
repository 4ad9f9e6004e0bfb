// A tiny network of each architecture on 32 frames x 16 bands, 4 classes: training tests run it in seconds.
import type { Architecture, NetConfig } from '../../src/train/model';

export function tinyNetConfig(architecture: Architecture): NetConfig {
  return {
    architecture,
    inputShape: [32, 16, 1],
    classes: 4,
    stemChannels: 8,
    stemZeroMean: true,
    blocks: [
      { channels: 8, units: 1, pool: false },
      { channels: 16, units: 1, pool: true },
      // A time-only pooling: the exported avgpool/maxpool layer must carry the rectangular window.
      { channels: 40, units: 2, pool: true, poolShape: [2, 1] },
      { channels: 40, units: 1, pool: false },
    ],
  };
}

// GPU-resident early-exit decision for exit `exitIndex`. An active list has `slots` entries: the live clips,
// compacted in order, then END. Marks exiting clips in `decisions` and writes the survivors (order kept), padded
// with END, as the next stage's list. The next stage is dispatched directly over all `slots` clips, and its
// kernels return at once for END (END >= batch). Indirect dispatch would skip those workgroups, but Dawn validates
// every indirect dispatch with an extra pass: 2.3 ms of CPU per gated run of kws-reactnet (32 dispatches) on an
// NVIDIA H200, which made this mode 3.8x slower than it is now (docs/benchmarks.md).
// One invocation does it all: slots <= a few hundred.
struct Params {
  classes: u32,
  criterion: u32,  // 0 entropy (exit iff entropy < t), 1 max probability (exit iff maxprob >= t)
  threshold: f32,
  isLast: u32,     // the last exit accepts every clip
  exitIndex: u32,
  slots: u32,      // entries of activeIn and activeOut (the batch)
}

const END = 0xffffffffu;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> records: array<f32>;
@group(0) @binding(2) var<storage, read> activeIn: array<u32>;
@group(0) @binding(3) var<storage, read_write> activeOut: array<u32>;
@group(0) @binding(4) var<storage, read_write> decisions: array<u32>;

@compute @workgroup_size(1)
fn main() {
  let stride = p.classes + 3u;
  var kept = 0u;
  for (var i = 0u; i < p.slots; i++) {
    let n = activeIn[i];
    if (n == END) {
      break;
    }
    let r = n * stride + p.classes;
    var leave = p.isLast != 0u;
    if (p.criterion == 0u) {
      leave = leave || records[r] < p.threshold;
    } else {
      leave = leave || records[r + 1u] >= p.threshold;
    }
    if (leave) {
      decisions[n] = p.exitIndex;
    } else {
      activeOut[kept] = n;
      kept++;
    }
  }
  for (var i = kept; i < p.slots; i++) {
    activeOut[i] = END;
  }
}

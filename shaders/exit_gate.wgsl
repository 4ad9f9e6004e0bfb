// GPU-resident early-exit decision for exit `exitIndex`. Reads this stage's clip count from the z slot of an
// indirect-args entry, marks exiting clips in `decisions`, compacts the survivors (order kept) into the next
// active list, and writes their count into the z slot of the next stage's indirect dispatch entries
// [first, first + count), whose x and y the host pre-filled. One invocation does it all: N <= a few hundred.
struct Params {
  classes: u32,
  criterion: u32,  // 0 entropy (exit iff entropy < t), 1 max probability (exit iff maxprob >= t)
  threshold: f32,
  isLast: u32,     // the last exit accepts every clip
  exitIndex: u32,
  countSlot: u32,  // u32 index into args of this stage's clip count
  first: u32,      // first 3-u32 entry of args to receive the new count in its z slot
  count: u32,      // number of such entries
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> records: array<f32>;
@group(0) @binding(2) var<storage, read> activeIn: array<u32>;
@group(0) @binding(3) var<storage, read_write> activeOut: array<u32>;
@group(0) @binding(4) var<storage, read_write> decisions: array<u32>;
@group(0) @binding(5) var<storage, read_write> args: array<u32>;

@compute @workgroup_size(1)
fn main() {
  let stride = p.classes + 3u;
  let live = args[p.countSlot];
  var kept = 0u;
  for (var i = 0u; i < live; i++) {
    let n = activeIn[i];
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
  for (var e = 0u; e < p.count; e++) {
    args[(p.first + e) * 3u + 2u] = kept;
  }
}

// Runs scenarios (and rightsizing requests, `*.rightsize.json`) in the wasm build of the core and
// prints one line per case:
//   <hash hex> <seed> <scenario file>
// Usage: node determinism.mjs <probe.wasm> <seed> <scenario.json>...
import { readFileSync } from "node:fs";

const [wasmPath, seedText, ...scenarios] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const { memory, probe_alloc, probe_report_hash, probe_rightsize_hash } = instance.exports;
const seed = BigInt(seedText);
for (const file of scenarios) {
  const bytes = new TextEncoder().encode(readFileSync(file, "utf8"));
  const ptr = probe_alloc(bytes.length);
  new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
  // A `.rightsize.json` file is a rightsizing request; anything else a scenario.
  const run = file.endsWith(".rightsize.json") ? probe_rightsize_hash : probe_report_hash;
  const hash = BigInt.asUintN(64, run(ptr, bytes.length, seed));
  console.log(`${hash.toString(16).padStart(16, "0")} ${seedText} ${file}`);
}

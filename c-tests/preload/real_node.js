// Allocates heavily (large Buffers and typed arrays, big arrays and maps, strings, a worker
// thread) and prints checksums of what it computed.
'use strict';
const crypto = require('crypto');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
function hash(x) { return crypto.createHash('sha256').update(x).digest('hex').slice(0, 16); }
if (!isMainThread) {
  let s = 0;
  for (let i = 0; i < 200; i++) { const a = new Float64Array(10000 + i * workerData); a[a.length - 1] = i; s += a.length + a[a.length - 1]; }
  parentPort.postMessage(s);
} else {
  const out = [];
  // Large buffers: allocated, filled, freed, again.
  let h = crypto.createHash('sha256');
  for (let i = 0; i < 24; i++) {
    const b = Buffer.alloc((8 + (i % 5) * 8) << 20, i);
    for (let k = 0; k < b.length; k += 65536) b[k] = (k >> 16) & 255;
    h.update(b.subarray(b.length - 4096));
  }
  out.push('buffers ' + h.digest('hex').slice(0, 16));
  // Typed arrays and ArrayBuffers.
  let t = 0;
  for (let i = 0; i < 60; i++) { const a = new Uint32Array(1 << 18); a.fill(i); t += a[12345] + a.length; }
  out.push('typed ' + t);
  // A big array of objects and a Map, then sorting.
  const arr = [];
  for (let i = 0; i < 300000; i++) arr.push({ k: (i * 7919) % 300007, v: 'x' + i });
  arr.sort((a, b) => a.k - b.k);
  const m = new Map();
  for (const o of arr) m.set(o.v, o.k);
  out.push('objects ' + arr.length + ' ' + m.size + ' ' + hash(arr.slice(0, 1000).map(o => o.v).join(',')));
  // Strings.
  let s = '';
  for (let i = 0; i < 200000; i++) s += i.toString(36);
  out.push('string ' + s.length + ' ' + hash(s));
  out.push('json ' + hash(JSON.stringify(arr.slice(0, 50000))));
  // Code: many small functions compiled (JIT pages).
  let f = 0;
  for (let i = 0; i < 400; i++) f += new Function('x', 'return x * ' + i + ' + ' + (i % 13))(i);
  out.push('functions ' + f);
  // A worker thread (its own isolate, heap and stack).
  const w = new Worker(__filename, { workerData: 3 });
  w.on('message', (v) => { out.push('worker ' + v); });
  w.on('exit', (c) => { out.push('worker exit ' + c); console.log(out.join('\n')); });
}

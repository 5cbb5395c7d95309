// A module with imports of its own runs in a fresh micro-VM.
const started = Date.now();
const sleep = (ms) => new Promise((resolve) => resolve(ms));

await sleep(0); // top-level await works
console.log("hello from a KVM micro-VM");
console.log({ engine: "QuickJS", primes: [2, 3, 5, 7, 11], when: new Date(started).getFullYear() > 2000 });

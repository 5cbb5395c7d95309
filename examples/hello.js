// A module runs in a fresh sandbox: a KVM micro-VM or a confined process.
const started = Date.now();
const sleep = (ms) => new Promise((resolve) => resolve(ms));

await sleep(0); // top-level await works
console.log("hello from a mica sandbox");
console.log({ engine: "QuickJS", primes: [2, 3, 5, 7, 11], when: new Date(started).getFullYear() > 2000 });

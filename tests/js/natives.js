// User code cannot capture or forge the natives a lazy runtime script takes
// (guest/builtins.c defines them; an accessor put there first is replaced).
let got = null;
Object.defineProperty(globalThis, '__mica_web', { set(v) { got = v; }, get() { return { utf8encode: () => 'forged', utf8decode() {}, btoa() {}, atob() {}, pctdecode() {}, formencode() {} }; }, configurable: true });
Object.defineProperty(globalThis, '__mica_dispatch', { set(v) { got = v; }, get() { return got; }, configurable: true });
const e = new TextEncoder().encode('a');
console.log(got === null, e instanceof Uint8Array, e.length);

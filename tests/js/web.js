// The Web APIs inside a real sandbox (their unit tests run natively).
const u = new URL("../x?a=1&b=%20#f", "https://Example.com/a/b/c");
u.searchParams.append("c", "é");
console.log(u.href);
console.log(new TextDecoder().decode(new TextEncoder().encode("h\u00e9llo \u{1f600}")));
// UTF-8 natively in the guest (guest/bytes.c): lone surrogates become U+FFFD, as node has it
const hex = (u) => [...u].map((x) => x.toString(16).padStart(2, "0")).join(" ");
console.log(hex(new TextEncoder().encode("a\u00e9\u20ac\ud83d\ude00|x\ud800y\udc00z\ud83d|\ud7ff\ue000")), new TextEncoder().encode("").length);
console.log(new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0x62])));
console.log(atob(btoa("binary\u00ff")) === "binary\u00ff");
const c = structuredClone({ m: new Map([[1, [2]]]), d: new Date(0) });
console.log(c.m.get(1)[0], c.d.toISOString());
const t0 = performance.now();
queueMicrotask(() => console.log("microtask", performance.now() >= t0));

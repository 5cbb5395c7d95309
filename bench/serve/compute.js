// make bench-serve: the small compute handler. The same file is served by
// mica serve and by workerd, unchanged (an ES module Worker). Per request it
// parses a small JSON document (a POST's body, else the 201 bytes below),
// runs 4096 rounds of FNV-1a over its characters (cycled, the round mixed in),
// sums a field, and answers JSON: the same answer every time (bench/serve.sh
// checks that workerd's is mica's). The hash is a function of its own: with
// the loop inside fetch(), V8 (workerd) fell into a deoptimisation loop.
const DOC = JSON.stringify({
  user: { id: 42, name: 'Ada', roles: ['admin', 'dev'] },
  items: [
    { sku: 'a-1', qty: 2, price: 350 },
    { sku: 'b-7', qty: 1, price: 1200 },
    { sku: 'c-3', qty: 5, price: 99 },
    { sku: 'd-9', qty: 3, price: 410 },
  ],
});

// FNV-1a, 32 bits, over `rounds` bytes taken from s (cycled)
function fnv1a(s, rounds) {
  let h = 0x811c9dc5;
  for (let i = 0; i < rounds; i++) {
    h ^= (i + s.charCodeAt(i % s.length)) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export default {
  async fetch(request) {
    const body = request.method === 'POST' ? await request.text() : DOC;
    const doc = JSON.parse(body);
    const h = fnv1a(body, 4096);
    let total = 0;
    for (const it of doc.items) total += it.qty * it.price;
    return new Response(
      JSON.stringify({ user: doc.user.id, items: doc.items.length, total, hash: h.toString(16) }) + '\n',
      { headers: { 'content-type': 'application/json' } },
    );
  },
};

// mica serve test fixture for tests/serve/batch.py: requests that a reused
// sandbox runs several to a call (--isolation reuse).
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const q = url.search.slice(1);
    switch (url.pathname) {
      case '/slow': { // holds the worker while the others queue up
        const end = Date.now() + Number(q);
        while (Date.now() < end);
        return new Response('slow');
      }
      case '/n': return new Response(q);
      case '/log': console.log(`log ${q}`); return new Response(q);
      case '/throw': throw new Error(`boom ${q}`);
      case '/loop': for (;;);
      case '/bomb': { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }
      case '/wait':
        ctx.waitUntil(new Promise((r) => setTimeout(r, 20)).then(() => console.log(`waited ${q}`)));
        return new Response(q);
      case '/stream': {
        const parts = [q, '-', q];
        return new Response(new ReadableStream({
          pull(c) { if (parts.length) c.enqueue(parts.shift()); else c.close(); },
        }));
      }
      default: return new Response('no such case', { status: 404 });
    }
  },
};

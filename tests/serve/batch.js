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
      case '/sleep': { // waits, as a fetch() does
        await new Promise((r) => setTimeout(r, Number(q)));
        return new Response('slept');
      }
      case '/hostile': { // what a handler can send the host past fetch.js
        const host = await import('host:serve');
        const frame = (first, n, end) => new Uint8Array([first, 0, 0, 0, n, 0, 0, 0, end, 0, 0, 0]);
        for (let first = 0; first < 4; first++)
          for (let end = 0; end < 18; end++) try { host.results(frame(first, 0, end)); } catch {}
        for (const i of [-1, 99, 1e12, 'x']) try { host.owner(i); } catch {}
        try { host.results(new Uint8Array(3)); } catch {}
        try { host.results(frame(0, 200, 250)); } catch {}
        return new Response('survived');
      }
      case '/late-reject': // rejects in a microtask after the response is made
        (async () => { await null; await null; await null; throw new Error(`late ${q}`); })();
        return new Response(q);
      case '/wait-reject': // rejects, then waits
        Promise.reject(new Error(`waiting ${q}`));
        await new Promise((r) => setTimeout(r, 10));
        return new Response(q);
      case '/wait-loop': // waits, then never ends
        await new Promise((r) => setTimeout(r, 10));
        for (;;);
      case '/reject': Promise.reject(new Error(`rejected ${q}`)); return new Response(q);
      case '/log': console.log(`log ${q}`); return new Response(q);
      case '/log-stream': // logs, streams its response, then works on
        console.log(`streamed ${q}`);
        ctx.waitUntil(new Promise((r) => setTimeout(r, 50)).then(() => {
          const end = Date.now() + 300;
          while (Date.now() < end);
        }));
        return new Response(new ReadableStream({ pull(c) { c.enqueue(q); c.close(); } }));
      case '/chatty': // much to write before the last line
        for (let i = 0; i < 100; i++) console.log(`${q} ${'x'.repeat(1000)}`);
        console.log(`done ${q}`);
        return new Response(q);
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

// mica serve test fixture: streams, Blob and AbortSignal in handlers, a
// route per case (tests/serve/serve.sh, the streams block).
const enc = new TextEncoder();
const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const q = url.searchParams;
    switch (url.pathname) {
      // several chunks, one of them late, one a string (UTF-8)
      case '/stream': {
        let step = 0;
        return new Response(new ReadableStream({
          start(c) { c.enqueue(new Uint8Array([0, 1, 2, 255])); },
          async pull(c) {
            step++;
            if (step === 1) c.enqueue(enc.encode('|chunk|'));
            else if (step === 2) { await new Promise((r) => setTimeout(r, 20)); c.enqueue('h\u00e9'); }
            else { c.enqueue(new Uint8Array([10])); c.close(); }
          },
        }), { headers: { 'content-type': 'application/octet-stream' } });
      }
      case '/blob':
        return new Response(new Blob(['a', new Uint8Array([0xff, 0]), new Blob(['b'])], { type: 'Application/X-Test' }));
      // the request body through a reader: chunk count, size, SHA-256
      case '/reader': {
        const reader = request.body.getReader();
        const parts = [];
        let size = 0;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (!(value instanceof Uint8Array)) throw new TypeError('not a Uint8Array');
          parts.push(value);
          size += value.length;
        }
        const all = new Uint8Array(size);
        let at = 0;
        for (const p of parts) { all.set(p, at); at += p.length; }
        const digest = await crypto.subtle.digest('SHA-256', all);
        return new Response(`${parts.length > 0} ${request.bodyUsed} ${hex(digest)} ${size}`);
      }
      case '/upper': {
        const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
        return new Response(request.body.pipeThrough(new TextDecoderStream()).pipeThrough(upper).pipeThrough(new TextEncoderStream()));
      }
      case '/chunk-kinds': // bytes in any view, as workerd takes them
        return new Response(new ReadableStream({ start(c) {
          c.enqueue(new TextEncoder().encode('a').buffer);
          c.enqueue(new DataView(new Uint8Array([0x62, 0x63]).buffer, 1));
          c.enqueue(new Uint16Array([0x6564]));
          c.enqueue('f');
          c.close();
        } }));
      case '/bad-chunk':
        return new Response(new ReadableStream({ start(c) { c.enqueue(42); c.close(); } }));
      case '/fetch-aborted': {
        const c = new AbortController();
        c.abort();
        const t = Date.now();
        try {
          await fetch(q.get('url'), { signal: c.signal });
          return new Response('fetched');
        } catch (e) {
          return new Response(`${e.name} ${e === c.signal.reason} ${Date.now() - t < 1000}`);
        }
      }
      case '/fetch-timeout': {
        const t = Date.now();
        try {
          await fetch(q.get('url'), { signal: AbortSignal.timeout(Number(q.get('ms'))) });
          return new Response('fetched');
        } catch (e) {
          return new Response(`${e.name} ${e instanceof DOMException} ${Date.now() - t < 1500}`);
        }
      }
      case '/form': {
        const out = [];
        for (const [k, v] of await request.formData())
          out.push([k, typeof v === 'string' ? v : [v.name, v.type, hex(await v.arrayBuffer())]]);
        return Response.json(out);
      }
    }
    return new Response('no such route', { status: 404 });
  },
};

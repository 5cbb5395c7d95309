// mica serve test fixture: echoes the request, and a route per case.
let count = 0;
export default {
  async fetch(request, env, ctx) {
    count++;
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/count': return new Response(String(count));
      case '/load': return new Response('ok');
      case '/throw': throw new Error('boom from the handler');
      case '/poison': // the built-ins the dispatcher uses, broken; then a throw
        Array.prototype.push = null;
        String.prototype.charCodeAt = null;
        throw new Error('poisoned');
      case '/loop': for (;;) {}
      case '/bomb': { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }
      case '/none': return 'not a response';
      case '/json': return Response.json({ ok: true, n: [1, 2, 3] }, { status: 201, headers: { 'x-a': '1' } });
      case '/env': return Response.json({ env, frozen: Object.isFrozen(env) });
      case '/cookies': {
        const h = new Headers();
        h.append('Set-Cookie', 'a=1');
        h.append('set-cookie', 'b=2');
        h.append('X-Multi', 'x');
        h.append('x-multi', 'y');
        return new Response('c', { headers: h });
      }
      case '/redirect': return Response.redirect('http://example.com/to', 307);
      case '/bytes': return new Response(new Uint8Array([0, 1, 2, 255]));
      case '/latin1': { // header bytes are characters U+0000..U+00FF, both ways
        const v = request.headers.get('x-t');
        return new Response([...v].map((c) => c.charCodeAt(0)).join(','),
          { status: 299, statusText: 'Caf\xe9', headers: { 'x-back': v } });
      }
      case '/sha': {
        const b = await request.arrayBuffer();
        const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
        return new Response([...d].map((x) => x.toString(16).padStart(2, '0')).join('') + ' ' + b.byteLength);
      }
      case '/big': return new Response('x'.repeat(3 * 1024 * 1024 + 5));
      case '/form': { const f = await request.formData(); return Response.json([...f]); }
      case '/wait': {
        ctx.waitUntil(new Promise((r) => setTimeout(r, 50)).then(() => console.log('waitUntil done')));
        return new Response('waited');
      }
      case '/status': return new Response(null, { status: 204 });
      case '/head-length': // HEAD answered without the body, saying how long GET's is
        return new Response(request.method === 'HEAD' ? null : 'x'.repeat(4096), { headers: { 'content-length': '4096' } });
      case '/status-text': return new Response('t', { status: 299, statusText: 'Fine Today' });
      // what a hostile handler can send the host itself, past fetch.js
      case '/frame-overflow': {
        const host = await import('host:serve');
        host.respond(new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]));
        return new Response('unreached');
      }
      case '/frame-bad-name': {
        const host = await import('host:serve');
        const name = [...'x-a:evil'].map((c) => c.charCodeAt(0)), value = [98];
        host.respond(new Uint8Array([200, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
          name.length, 0, 0, 0, ...name, value.length, 0, 0, 0, ...value]));
        return new Response('unreached');
      }
      case '/rs': {
        // a ReadableStream body: chunks go out as they are enqueued
        const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
        return new Response(new ReadableStream({
          async start(c) {
            c.enqueue('one;');
            await sleep(300);
            c.enqueue(new Uint8Array([116, 119, 111, 59]));
            await sleep(300);
            c.close();
          },
        }), { headers: { 'content-type': 'text/plain' } });
      }
      case '/rs-pull': {
        // pulled as the client takes it; cancelled when it goes away
        let n = 0;
        return new Response(new ReadableStream({
          pull(c) { if (++n > 400) c.close(); else c.enqueue(new Uint8Array(65536).fill(n & 255)); },
          cancel(reason) { console.log(`pull stream cancelled after ${n} pulls: ${reason}`); },
        }));
      }
      case '/raw-stream': {
        // a streamed body through host:serve itself: head, parts, an empty end
        const host = await import('host:serve');
        const n = Number(url.searchParams.get('parts') || 3), size = Number(url.searchParams.get('size') || 5);
        host.respond(new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0]));
        try {
          for (let i = 0; i < n; i++) host.respond(new Uint8Array(size).fill(97 + (i % 26)));
          if (url.searchParams.get('cut') !== null) throw new Error('cut short on purpose');
          host.respond(new Uint8Array(0));
        } catch (e) { console.log('stream stopped: ' + e.message); throw e; }
        return new Response('unreached'); // refused: the body has ended
      }
      case '/frame-bad-reason': {
        const host = await import('host:serve');
        host.respond(new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 79, 13, 10]));
        return new Response('unreached');
      }
      case '/reject': Promise.reject(new Error('nobody handles ' + url.search)); return new Response('fine');
      case '/forge': console.log('fake\nmica serve: [0000000000000001] forged line\x1b[2J'); return new Response('f');
      case '/slow': await new Promise((r) => setTimeout(r, Number(url.searchParams.get('ms') || 300))); return new Response('slow');
    }
    const body = await request.text();
    return Response.json({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body,
    });
  },
};

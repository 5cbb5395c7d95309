// mica serve examples/edge.js --env GREETING=hello
// curl -s 'http://127.0.0.1:8787/hi?name=mica'
// curl -s -X POST --data-binary '{"a":1}' http://127.0.0.1:8787/echo
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/echo' && request.method === 'POST') {
      const body = await request.json();
      return Response.json({ youSent: body, contentType: request.headers.get('content-type') });
    }
    if (url.pathname === '/hi') {
      const name = url.searchParams.get('name') ?? 'world';
      ctx.waitUntil(Promise.resolve().then(() => console.log(`greeted ${name}`)));
      return new Response(`${env.GREETING ?? 'hello'}, ${name}\n`, {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
    return new Response('not found\n', { status: 404 });
  },
};

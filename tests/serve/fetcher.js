// mica serve test fixture: outbound fetch(). GET /?url=URL[&n=N][&redirect=MODE]
// [&method=M&body=TEXT[&bytes=1]] fetches URL N times (default 1), with TEXT as
// the body (its UTF-8 bytes with bytes=1), and answers with what the last one
// gave, as JSON; a rejection is answered 502 with its name and message.
export default {
  async fetch(request) {
    const q = new URL(request.url).searchParams;
    const n = Number(q.get('n') || 1);
    try {
      let res;
      for (let i = 0; i < n; i++) {
        const body = q.get('bytes') ? new TextEncoder().encode(q.get('body')) : q.get('body') || undefined;
        res = await fetch(q.get('url'), { redirect: q.get('redirect') || 'follow', method: q.get('method') || 'GET', body });
      }
      const body = await res.text();
      return Response.json({
        status: res.status, statusText: res.statusText, up: res.headers.get('x-up'),
        method: res.headers.get('x-method'), len: body.length, body: body.slice(0, 40),
        url: res.url, redirected: res.redirected, location: res.headers.get('location'),
        type: res.headers.get('x-type'),
      });
    } catch (e) {
      return new Response(`${e.name}: ${e.message}`, { status: 502 });
    }
  },
};

// mica serve fixture for tests/serve/scaleout.sh: an idempotent GET whose
// body is a function of the request alone ("pong PATH?QUERY"), so that a
// client behind a load balancer can check every answer whichever node gave
// it; the node says who it is in X-Node (--env NODE=...). ?ms=N waits N ms
// first, so that requests are in flight when a node is killed or stopped.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const ms = Number(url.searchParams.get('ms') || 0);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    return new Response('pong ' + url.pathname + url.search, { headers: { 'x-node': env.NODE || '?' } });
  },
};

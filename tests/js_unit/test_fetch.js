/*
 * Unit tests for guest/js/fetch.js (Headers, Request, Response, FormData),
 * run in native QuickJS after web.js, as the guest loads them:
 *   build/tests/test_fetch_js   (tests/tests.mk)
 *
 * Expectations follow the Fetch standard and were cross-checked with
 * node v20's undici: this file runs under node too
 * (tests/js_unit/check-node.sh), which agrees on every case but those
 * marked MICA (said why at each).
 * Prints failures, then "N passed, M failed"; exits with status 1 on failure.
 */
'use strict';

// The shared harness (NODE, MICA, eq, thrown, test, later, tick, run): tests/js_unit/harness.js.
if (typeof std === 'undefined') require('./harness.js');
else std.loadScript(scriptArgs[0].replace(/[^/]*$/, 'harness.js'));

// ---- Headers ----------------------------------------------------------------
{
  const h = new Headers({ 'Content-Type': 'text/plain', 'X-A': ' 1 ' });
  eq('Headers: names are case-insensitive', h.get('content-type'), 'text/plain');
  eq('Headers: values are trimmed', h.get('x-a'), '1');
  eq('Headers: a missing name is null', h.get('nope'), null);
  h.append('x-a', '2');
  eq('Headers: append combines with ", "', h.get('X-A'), '1, 2');
  h.set('X-A', '3');
  eq('Headers: set replaces every value', h.get('x-a'), '3');
  eq('Headers: has', [h.has('X-a'), h.has('x-b')], [true, false]);
  h.delete('x-A');
  eq('Headers: delete', h.has('x-a'), false);
  const c = new Headers();
  c.append('Set-Cookie', 'a=1');
  c.append('set-cookie', 'b=2');
  c.append('Zed', 'z');
  c.append('accept', 'x');
  eq('Headers: getSetCookie keeps each', c.getSetCookie(), ['a=1', 'b=2']);
  eq('Headers: get(set-cookie) joins them', c.get('set-cookie'), 'a=1, b=2');
  eq('Headers: iteration is sorted, lowercased, set-cookie apart', [...c],
    [['accept', 'x'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['zed', 'z']]);
  eq('Headers: from pairs', new Headers([['a', '1'], ['A', '2']]).get('a'), '1, 2');
  eq('Headers: from Headers', new Headers(c).getSetCookie().length, 2);
  eq('Headers: an invalid name throws TypeError', thrown(() => new Headers({ 'a b': '1' })), 'TypeError');
  eq('Headers: a CR in a value throws TypeError', thrown(() => h.set('x', 'a\rb')), 'TypeError');
  eq('Headers: a pair of three throws TypeError', thrown(() => new Headers([['a', 'b', 'c']])), 'TypeError');
  // WebIDL pair iterators are live: each step sees what the loop changed
  const live = (f) => { const l = new Headers({ a: '1', b: '2', c: '3' }); const out = []; f(l, out); return out.join(); };
  eq('Headers: a delete while iterating is seen', live((l, out) => { for (const [k] of l) { out.push(k); if (k === 'a') l.delete('b'); } }), 'a,c');
  eq('Headers: an append while iterating is seen', live((l, out) => { for (const k of l.keys()) { out.push(k); if (k === 'a') l.append('aa', 'x'); } }), 'a,aa,b,c');
  eq('Headers: a set while iterating is seen', live((l, out) => { for (const [k, v] of l) { out.push(k + v); if (k === 'a') l.set('c', '9'); } }), 'a1,b2,c9');
  eq('Headers: forEach is live too', live((l, out) => l.forEach((v, k) => { out.push(k); if (k === 'a') l.delete('b'); })), 'a,c');
  eq('Headers: iterators start at their first step', live((l, out) => { const it = l.keys(); l.delete('a'); out.push(...it); }), 'b,c');
  eq('Headers: a pair handed out is a copy', live((l, out) => { const [p] = [...l]; p[0] = 'zz'; out.push([...l][0][0]); }), 'a');
}

// ---- Request ----------------------------------------------------------------
{
  const r = new Request('http://example.com/a/../b?q=1', { method: 'post', body: 'hi', headers: { 'X-T': 'y' } });
  eq('Request: the URL is parsed and serialized', r.url, 'http://example.com/b?q=1');
  eq('Request: method post is normalized', r.method, 'POST');
  eq('Request: method patch is not', new Request('http://x/', { method: 'patch' }).method, 'patch');
  eq('Request: headers', r.headers.get('x-t'), 'y');
  eq('Request: a string body is text/plain', r.headers.get('content-type'), 'text/plain;charset=UTF-8');
  eq('Request: bodyUsed before', r.bodyUsed, false);
  const c = r.clone();
  later('Request: text()', r.text(), 'hi');
  later('Request: a clone reads its own body', c.text(), 'hi');
  eq('Request: bodyUsed after', r.bodyUsed, true);
  later('Request: a used body rejects with TypeError', r.text().catch((e) => e.constructor.name), 'TypeError');
  const posted = () => new Request('http://x/', { method: 'POST', body: 'secret' });
  eq('Request: a GET with a body throws TypeError', thrown(() => new Request('http://x/', { body: 'b' })), 'TypeError');
  eq('Request: a GET from a request with a body throws TypeError', thrown(() => new Request(posted(), { method: 'GET' })), 'TypeError');
  eq('Request: so does a HEAD, even with init.body null', thrown(() => new Request(posted(), { method: 'HEAD', body: null })), 'TypeError');
  eq('Request: a GET from a GET is fine', new Request(new Request('http://x/a'), { method: 'GET' }).url, 'http://x/a');
  eq('Request: GET with a body throws TypeError', thrown(() => new Request('http://x/', { body: 'a' })), 'TypeError');
  eq('Request: a relative URL throws TypeError', thrown(() => new Request('/relative')), 'TypeError');
  eq('Request: a forbidden method throws TypeError', thrown(() => new Request('http://x/', { method: 'CONNECT' })), 'TypeError');
  const j = new Request('http://x/', { method: 'PUT', body: '{"a":[1]}' });
  later('Request: json()', j.json(), { a: [1] });
  const b = new Request('http://x/', { method: 'POST', body: new Uint8Array([1, 2, 255]) });
  later('Request: arrayBuffer()', b.arrayBuffer().then((a) => [...new Uint8Array(a)]), [1, 2, 255]);
  const f = new Request('http://x/', { method: 'POST', body: new URLSearchParams('a=1&b=x+y') });
  eq('Request: a URLSearchParams body is urlencoded', f.headers.get('content-type'),
    'application/x-www-form-urlencoded;charset=UTF-8');
  later('Request: formData() of it', f.formData().then((d) => [...d]), [['a', '1'], ['b', 'x y']]);
}

// ---- Response ---------------------------------------------------------------
{
  const r = new Response('body', { status: 201, statusText: 'Made', headers: { 'X-A': '1' } });
  eq('Response: status, statusText, ok', [r.status, r.statusText, r.ok], [201, 'Made', true]);
  eq('Response: headers', r.headers.get('x-a'), '1');
  later('Response: text()', r.text(), 'body');
  const d = new Response();
  eq('Response: the default is 200, no body', [d.status, d.statusText, d.body], [200, '', null]);
  eq('Response: status 199 throws RangeError', thrown(() => new Response('', { status: 199 })), 'RangeError');
  eq('Response: status 600 throws RangeError', thrown(() => new Response('', { status: 600 })), 'RangeError');
  eq('Response: a body with 204 throws TypeError', thrown(() => new Response('x', { status: 204 })), 'TypeError');
  eq('Response: null body with 204', new Response(null, { status: 204 }).status, 204);
  const j = Response.json({ a: 1 }, { status: 202 });
  eq('Response.json: status and content-type', [j.status, j.headers.get('content-type')], [202, 'application/json']);
  later('Response.json: body', j.text(), '{"a":1}');
  const rd = Response.redirect('http://example.com/to', 301);
  eq('Response.redirect', [rd.status, rd.headers.get('location')], [301, 'http://example.com/to']);
  eq('Response.redirect: the default is 302', Response.redirect('http://example.com/').status, 302);
  eq('Response.redirect: status 200 throws RangeError', thrown(() => Response.redirect('http://x/', 200)), 'RangeError');
  eq('Response.redirect: its headers are immutable', thrown(() => rd.headers.set('x', '1')), 'TypeError');
  const e = Response.error();
  eq('Response.error', [e.type, e.status, e.ok], ['error', 0, false]);
  const bytes = new Response(new Uint8Array([0, 1, 2]));
  later('Response: a typed array body, bytes()', bytes.bytes().then((b) => [b.constructor.name, ...b]), ['Uint8Array', 0, 1, 2]);
  const c = new Response('twice');
  const cc = c.clone();
  later('Response: clone()', Promise.all([c.text(), cc.text()]), ['twice', 'twice']);
  later('Response: blob()', new Response('x', { headers: { 'Content-Type': 'Text/Plain;Charset=UTF-8' } }).blob()
    .then(async (b) => [b.constructor.name, b.type, b.size, await b.text()]), ['Blob', 'text/plain;charset=utf-8', 1, 'x']);
}

// ---- bodies as streams --------------------------------------------------------
const chunkStream = (chunks) => new ReadableStream({ start(c) { for (const x of chunks) c.enqueue(x); c.close(); } });
const u8 = (s) => new TextEncoder().encode(s);
{
  eq('Response: no body, body is null', [new Response().body, new Response(null).body], [null, null]);
  const r = new Response('abc');
  const b = r.body;
  eq('Response: body is a ReadableStream, the same each time', [b instanceof ReadableStream, r.body === b, r.bodyUsed], [true, true, false]);
  later('Response: body read through a reader', (async () => {
    const reader = b.getReader();
    const out = [];
    for (;;) { const { value, done } = await reader.read(); if (done) break; out.push(value.constructor.name, ...value); }
    return [out, r.bodyUsed, await r.text().then(() => 'read', (e) => e.constructor.name)];
  })(), [['Uint8Array', 97, 98, 99], true, 'TypeError']);
  const locked = new Response('x');
  locked.body.getReader();
  later('Response: a locked body rejects text() with TypeError', locked.text().then(() => 'read', (e) => e.constructor.name), 'TypeError');
  const s = new Response(chunkStream([u8('he'), u8('llo')]));
  eq('Response: a stream body, no content-type', [s.headers.get('content-type'), s.bodyUsed], [null, false]);
  later('Response: a stream body, text()', s.text().then((t) => [t, s.bodyUsed]), ['hello', true]);
  const st = chunkStream([u8('x')]);
  eq('Response: body is the stream given', new Response(st).body === st, true);
  later('Response: a string chunk rejects with TypeError', new Response(chunkStream(['x'])).text().then(() => 'read', (e) => e.constructor.name), 'TypeError');
  const lockedStream = chunkStream([]);
  lockedStream.getReader();
  eq('Response: a locked stream throws TypeError', thrown(() => new Response(lockedStream)), 'TypeError');
  const c = new Response(chunkStream([u8('a'), u8('b')]));
  const cc = c.clone();
  later('Response: clone() of a stream body tees it', Promise.all([c.text(), cc.text()]), ['ab', 'ab']);
  const bl = new Response(new Blob(['blob body'], { type: 'text/x' }));
  eq('Response: a Blob body sets the content-type', bl.headers.get('content-type'), 'text/x');
  later('Response: a Blob body', bl.text(), 'blob body');
  eq('Response: a Blob without a type sets none', new Response(new Blob(['b'])).headers.get('content-type'), null);
  const json = new Response(chunkStream([u8('{"a":'), u8('[1]}')]));
  later('Response: json() of a stream', json.json(), { a: [1] });
  later('Response: arrayBuffer() of a stream', new Response(chunkStream([u8('ab'), u8('c')])).arrayBuffer().then((a) => [...new Uint8Array(a)]), [97, 98, 99]);
  const p = new Response('piped').body.pipeThrough(new TextDecoderStream());
  later('Response: body through a TextDecoderStream', (async () => { let t = ''; for await (const x of p) t += x; return t; })(), 'piped');
}

// ---- Request bodies, signal --------------------------------------------------
{
  const r = new Request('http://x/', { method: 'POST', body: chunkStream([u8('str'), u8('eam')]), duplex: 'half' });
  eq('Request: a stream body', [r.body instanceof ReadableStream, r.headers.get('content-type'), r.duplex], [true, null, 'half']);
  later('Request: a stream body, text()', r.text(), 'stream');
  // node wants duplex: 'half' with a stream body; workerd and mica do not
  eq('Request: a stream body without duplex', thrown(() => new Request('http://x/', { method: 'POST', body: chunkStream([]) })), MICA ? 'no throw' : 'TypeError');
  eq("Request: duplex 'full' throws TypeError", thrown(() => new Request('http://x/', { method: 'POST', body: 'x', duplex: 'full' })), 'TypeError');
  const b = new Request('http://x/', { method: 'POST', body: new Blob(['bl'], { type: 'a/b' }) });
  eq('Request: a Blob body sets the content-type', b.headers.get('content-type'), 'a/b');
  later('Request: a Blob body, blob()', b.blob().then(async (x) => [x.type, await x.text()]), ['a/b', 'bl']);
  const moved = new Request('http://x/', { method: 'POST', body: chunkStream([u8('m')]), duplex: 'half' });
  const second = new Request(moved);
  later('Request: new Request(request) takes the body', second.text().then((t) => [t, moved.bodyUsed]), ['m', true]);

  eq('Request: signal is an AbortSignal', [new Request('http://x/').signal instanceof AbortSignal, new Request('http://x/').signal.aborted], [true, false]);
  const c = new AbortController();
  const sr = new Request('http://x/', { signal: c.signal });
  eq('Request: signal follows init.signal, not it itself', [sr.signal === c.signal, sr.signal.aborted], [false, false]);
  c.abort('gone');
  eq('Request: ... aborted with it', [sr.signal.aborted, sr.signal.reason], [true, 'gone']);
  eq('Request: a signal that is not an AbortSignal throws TypeError', thrown(() => new Request('http://x/', { signal: 5 })), 'TypeError');
  eq('Request: new Request(request) follows its signal', new Request(sr).signal.reason, 'gone');
  eq('Request: clone() follows the signal', sr.clone().signal.aborted, true);
  eq('Request: signal null', new Request(sr, { signal: null }).signal.aborted, false);
}

// ---- FormData with files, multipart ------------------------------------------
{
  const f = new FormData();
  f.append('t', 'text');
  f.append('b', new Blob(['xy'], { type: 'a/b' }));
  f.append('n', new File(['q'], 'q.txt'), 'renamed.txt');
  const b = f.get('b');
  eq('FormData: a Blob becomes a File named blob', [b.constructor.name, b.name, b.type, b.size], ['File', 'blob', 'a/b', 2]);
  eq('FormData: a filename renames a File', f.get('n').name, 'renamed.txt');
  eq('FormData: a filename with a string value throws TypeError', thrown(() => f.append('a', 'b', 'c')), 'TypeError');
  f.set('t', new Blob(['z']), 'z.bin');
  eq('FormData: set with a Blob and filename', [f.get('t').name, f.getAll('t').length], ['z.bin', 1]);
  const r = new Response(f);
  later('FormData: round trip through multipart/form-data', r.formData().then(async (g) => {
    const out = [];
    for (const [k, v] of g) out.push([k, typeof v === 'string' ? v : [v.constructor.name, v.name, v.type, await v.text()]]);
    return out;
  }), [['t', ['File', 'z.bin', 'application/octet-stream', 'z']], ['b', ['File', 'blob', 'a/b', 'xy']],
    ['n', ['File', 'renamed.txt', 'application/octet-stream', 'q']]]);
  {
    const g = new FormData();
    g.append('a', '1');
    g.append('b', '2');
    g.append('c', '3');
    const out = [];
    for (const [k] of g) { out.push(k); if (k === 'a') { g.delete('b'); g.append('z', 'x'); } }
    g.forEach((v, k) => { out.push(k); if (k === 'a') g.append('y', 'w'); });
    eq('FormData: iteration and forEach are live', out.join(), 'a,c,z,a,c,z,y');
  }
  later('FormData: the multipart body', new Response(f).text().then((t) => /Content-Disposition: form-data; name="b"; filename="blob"\r\nContent-Type: a\/b\r\n\r\nxy\r\n/.test(t)), true);
  const body = '--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n' +
    '--XX\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\n\r\nfile\r\n' +
    '--XX\r\nContent-Disposition: form-data; name="n%22q"\r\n\r\nv\u00e9\r\n--XX--\r\n';
  const mp = new Response(body, { headers: { 'content-type': 'multipart/form-data; boundary=XX' } });
  later('formData(): multipart/form-data', mp.formData().then((g) => [...g].map(([k, v]) => [k, typeof v === 'string' ? v : [v.name, v.type, v.size]])),
    [['a', '1'], ['f', ['x.txt', 'text/plain', 4]], ['n"q', 'v\u00e9']]);
  const quoted = new Response('--a b\r\nContent-Disposition: form-data; name="k"\r\n\r\nv\r\n--a b--', { headers: { 'content-type': 'multipart/form-data; boundary="a b"' } });
  later('formData(): a quoted boundary', quoted.formData().then((g) => [...g]), [['k', 'v']]);
  const bad = new Response('nothing', { headers: { 'content-type': 'multipart/form-data; boundary=XX' } });
  later('formData(): a malformed body rejects with TypeError', bad.formData().then(() => 'parsed', (e) => e.constructor.name), 'TypeError');
}

// ---- FormData ---------------------------------------------------------------
{
  const f = new FormData();
  f.append('a', '1');
  f.append('a', '2');
  f.set('b', 'x');
  eq('FormData: get, getAll', [f.get('a'), f.getAll('a'), f.get('b'), f.get('c')], ['1', ['1', '2'], 'x', null]);
  f.delete('a');
  eq('FormData: delete, has', [f.has('a'), [...f]], [false, [['b', 'x']]]);
}

run();

/*
 * Unit tests for guest/js/fetch.js (Headers, Request, Response, FormData),
 * run in native QuickJS after web.js, as the guest loads them:
 *   build/tests/test_fetch_js   (tests/tests.mk)
 *
 * Expectations follow the Fetch standard and were cross-checked with
 * node v20's undici (this file run under node agrees on every case but
 * blob(), where fetch.js knowingly differs: it has no Blob).
 * Prints failures, then "N passed, M failed"; exits with status 1 on failure.
 */
'use strict';

const webPath = scriptArgs[1];
if (!webPath) {
  std.err.puts('usage: test_console_js test_fetch.js PATH/TO/web.full.js\n');
  std.exit(2);
}
globalThis.__mica_hrtime = () => 0;
std.loadScript(webPath);
std.loadScript(webPath.replace(/web\.full\.js$/, 'fetch.full.js'));

let passed = 0;
let failed = 0;
function eq(name, actual, expected) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a === e) {
    passed++;
    return;
  }
  failed++;
  std.out.puts(`FAIL ${name}\n  expected: ${e}\n  actual:   ${a}\n`);
}
// The constructor name of what fn() throws, or 'no throw'.
function thrown(fn) {
  try {
    fn();
    return 'no throw';
  } catch (e) {
    return e.constructor.name;
  }
}
const pending = [];
function later(name, promise, expected) {
  pending.push(promise.then((v) => eq(name, v, expected), (e) => eq(name, `rejected: ${e}`, expected)));
}

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
  const e = Response.error();
  eq('Response.error', [e.type, e.status, e.ok], ['error', 0, false]);
  const bytes = new Response(new Uint8Array([0, 1, 2]));
  later('Response: a typed array body, bytes()', bytes.bytes().then((b) => [b.constructor.name, ...b]), ['Uint8Array', 0, 1, 2]);
  const c = new Response('twice');
  const cc = c.clone();
  later('Response: clone()', Promise.all([c.text(), cc.text()]), ['twice', 'twice']);
  later('Response: blob() is not there (no Blob)', new Response('x').blob().then(() => 'resolved', (err) => err.constructor.name), 'TypeError');
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

Promise.all(pending).then(() => {
  std.out.puts(`${passed} passed, ${failed} failed\n`);
  std.exit(failed ? 1 : 0);
});

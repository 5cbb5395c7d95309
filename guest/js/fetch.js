/*
 * mica guest Fetch API objects (WHATWG Fetch): Headers, Request, Response,
 * FormData, and the dispatcher of `mica serve`.
 *
 * Loaded lazily (guest/builtins.c), like web.js, on first use of one of its
 * globals. Defines, as non-enumerable, writable, configurable properties of
 * the global object: Headers, Request, Response, FormData and
 * __mica_serve_init; __mica_serve_init defines fetch (outbound requests
 * through host:serve fetch(frame), server/fetch.c), which exists only
 * under `mica serve`.
 *
 * Contract with `mica serve` (server/worker.c, docs/serve.md):
 *  - __mica_serve_init(frame) is called once, after the user's module has
 *    loaded and before the snapshot. frame (Uint8Array) holds, as
 *    length-prefixed strings (u32 little endian + UTF-8), the module's name
 *    then the env keys and values. It imports the module's namespace and
 *    host:serve, checks for `export default { fetch }` (a TypeError that
 *    says what is missing, otherwise), freezes env and defines the global
 *    __mica_serve.
 *  - __mica_serve(frame) serves one request. frame: u32 body length, u32
 *    bytes of it inline, u32 field count, then fields as u32 length +
 *    bytes (latin1: method, url, then header names and values), then the
 *    inline body. The rest of the body is read on demand with
 *    host:serve body(offset). The Response goes back through host:serve
 *    respond(frame): u32 status, u32 header count, u32 body length, then
 *    header names and values (u32 length + latin1 bytes), then the first
 *    part of the body; further parts through respond(part) calls. Then it
 *    awaits what ctx.waitUntil() was given, and returns.
 */
(function () {
  'use strict';
  // @prelude

  const ObjectFreeze = Object.freeze;
  const ObjectCreate = Object.create;
  const ObjectPrototype = Object.prototype;
  const ArrayIsArray = Array.isArray;
  const JSONParse = JSON.parse;
  const JSONStringify = JSON.stringify;
  const PromiseResolve = Promise.resolve.bind(Promise);
  const PromiseAllSettled = Promise.allSettled.bind(Promise);
  const MathMin = Math.min;
  const MathFloor = Math.floor;
  const TE = G.TextEncoder, TD = G.TextDecoder, USP = G.URLSearchParams, URLCtor = G.URL;
  const encoder = new TE();
  const utf8 = (s) => encoder.encode(s);
  const decoder = new TD();
  const utf8decode = (b) => decoder.decode(b);
  const USPToString = uncurry(USP.prototype.toString);
  const USPForEach = uncurry(USP.prototype.forEach);
  const isUSP = (v) => isBrand(USPToString, v);

  // ---------------------------------------------------------------------------
  // Headers: a list of [lowercased name, value]; combined on read, as the
  // Fetch standard's "header list" is.
  // ---------------------------------------------------------------------------
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const BAD_VALUE = /[\0\r\n]|[^\u0000-\u00ff]/;
  const normalizeValue = (v) => toStr(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  function checkName(name) {
    const n = toStr(name);
    if (!TOKEN.test(n)) throw new TypeError(`Headers: invalid header name '${n}'`);
    return n.toLowerCase();
  }
  function checkValue(v) {
    const s = normalizeValue(v);
    if (BAD_VALUE.test(s)) throw new TypeError('Headers: invalid header value');
    return s;
  }

  class Headers {
    #list = [];
    #guard = 'none';
    constructor(init) {
      if (init === undefined || init === null) return;
      if (typeof init !== 'object' && typeof init !== 'function')
        throw new TypeError("Headers: the init argument must be an object, an array of pairs or a Headers");
      fillHeaders(this, init);
    }
    static _guard(h, g) { h.#guard = g; }
    static _list(h) { return h.#list; }
    #mutable() {
      if (this.#guard === 'immutable') throw new TypeError('Headers: these headers are immutable');
    }
    append(name, value) {
      needArgs(arguments, 2, "Headers.append");
      const n = checkName(name), v = checkValue(value);
      this.#mutable();
      this.#list.push([n, v]);
    }
    delete(name) {
      needArgs(arguments, 1, "Headers.delete");
      const n = checkName(name);
      this.#mutable();
      this.#list = this.#list.filter((e) => e[0] !== n);
    }
    get(name) {
      needArgs(arguments, 1, "Headers.get");
      const n = checkName(name);
      let out = null;
      for (const e of this.#list) if (e[0] === n) out = out === null ? e[1] : `${out}, ${e[1]}`;
      return out;
    }
    getSetCookie() {
      const out = [];
      for (const e of this.#list) if (e[0] === 'set-cookie') out.push(e[1]);
      return out;
    }
    has(name) {
      needArgs(arguments, 1, "Headers.has");
      const n = checkName(name);
      return this.#list.some((e) => e[0] === n);
    }
    set(name, value) {
      needArgs(arguments, 2, "Headers.set");
      const n = checkName(name), v = checkValue(value);
      this.#mutable();
      const i = this.#list.findIndex((e) => e[0] === n);
      if (i < 0) { this.#list.push([n, v]); return; }
      this.#list[i][1] = v;
      this.#list = this.#list.filter((e, k) => k <= i || e[0] !== n);
    }
    // "sort and combine": by name; set-cookie stays one entry per value
    #sorted() {
      const names = [];
      for (const e of this.#list) if (!names.includes(e[0])) names.push(e[0]);
      names.sort();
      const out = [];
      for (const n of names) {
        if (n === 'set-cookie') { for (const v of this.getSetCookie()) out.push([n, v]); }
        else out.push([n, this.get(n)]);
      }
      return out;
    }
    forEach(cb, thisArg) {
      needArgs(arguments, 1, "Headers.forEach");
      if (typeof cb !== 'function') throw new TypeError('Headers.forEach: the callback is not a function');
      for (const [n, v] of this.#sorted()) cb.call(thisArg, v, n, this);
    }
    *entries() { yield* this.#sorted(); }
    *keys() { for (const e of this.#sorted()) yield e[0]; }
    *values() { for (const e of this.#sorted()) yield e[1]; }
    [SymbolIterator]() { return this.entries(); }
  }
  const headersGuard = Headers._guard, headersList = Headers._list;
  delete Headers._guard;
  delete Headers._list;
  idl(Headers, 'Headers');

  function fillHeaders(h, init) {
    if (init instanceof Headers) {
      for (const [n, v] of headersList(init)) h.append(n, v);
    } else if (typeof init[SymbolIterator] === 'function') {
      for (const pair of init) {
        const p = ArrayIsArray(pair) ? pair : [...pair];
        if (p.length !== 2) throw new TypeError('Headers: each header must be a [name, value] pair');
        h.append(p[0], p[1]);
      }
    } else {
      for (const k of ReflectOwnKeys(init)) {
        const d = ObjectGetOwnPropertyDescriptor(init, k);
        if (d && d.enumerable) h.append(k, init[k]);
      }
    }
  }

  // ---------------------------------------------------------------------------
  // FormData (string entries; files are not supported: there is no Blob)
  // ---------------------------------------------------------------------------
  class FormData {
    #list = [];
    constructor(form) {
      if (form !== undefined) throw new TypeError('FormData: no HTML form element here');
    }
    static _list(f) { return f.#list; }
    append(name, value) { needArgs(arguments, 2, 'FormData.append'); this.#list.push([toStr(name), toStr(value)]); }
    delete(name) { const n = toStr(name); this.#list = this.#list.filter((e) => e[0] !== n); }
    get(name) { const n = toStr(name); const e = this.#list.find((x) => x[0] === n); return e ? e[1] : null; }
    getAll(name) { const n = toStr(name); return this.#list.filter((e) => e[0] === n).map((e) => e[1]); }
    has(name) { const n = toStr(name); return this.#list.some((e) => e[0] === n); }
    set(name, value) {
      needArgs(arguments, 2, 'FormData.set');
      const n = toStr(name), v = toStr(value);
      const i = this.#list.findIndex((e) => e[0] === n);
      if (i < 0) { this.#list.push([n, v]); return; }
      this.#list[i] = [n, v];
      this.#list = this.#list.filter((e, k) => k <= i || e[0] !== n);
    }
    forEach(cb, thisArg) { for (const [n, v] of this.#list.slice()) cb.call(thisArg, v, n, this); }
    *entries() { for (const e of this.#list.slice()) yield [e[0], e[1]]; }
    *keys() { for (const e of this.#list.slice()) yield e[0]; }
    *values() { for (const e of this.#list.slice()) yield e[1]; }
    [SymbolIterator]() { return this.entries(); }
  }
  const formList = FormData._list;
  delete FormData._list;
  idl(FormData, 'FormData');

  // ---------------------------------------------------------------------------
  // Bodies. A body is its bytes (Uint8Array), or a loader that produces them
  // on first read (the request body of `mica serve`), or null.
  // ---------------------------------------------------------------------------
  let boundaryCount = 0;
  function multipartEscape(s) { return s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22'); }

  // BodyInit -> { bytes, type }
  function extractBody(body) {
    if (body === null || body === undefined) return { bytes: null, type: null };
    const view = viewBytes(body);
    if (view) return { bytes: new Uint8ArrayCtor(view), type: null }; // a copy, as the spec's
    if (isUSP(body)) return { bytes: utf8(USPToString(body)), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
    if (body instanceof FormData) {
      const boundary = `----micaFormBoundary${(++boundaryCount).toString(16)}${Math.random().toString(16).slice(2)}`;
      let s = '';
      for (const [n, v] of formList(body))
        s += `--${boundary}\r\nContent-Disposition: form-data; name="${multipartEscape(n)}"\r\n\r\n${v.replace(/\r?\n|\r/g, '\r\n')}\r\n`;
      s += `--${boundary}--\r\n`;
      return { bytes: utf8(s), type: `multipart/form-data; boundary=${boundary}` };
    }
    if (body instanceof BodyStream) throw new TypeError('a body stream cannot be used as a body here');
    return { bytes: utf8(toStr(body)), type: 'text/plain;charset=UTF-8' };
  }

  // A minimal stand-in for ReadableStream: one chunk, then done.
  class BodyStream {
    #owner;
    constructor(owner) { this.#owner = owner; }
    get locked() { return this.#owner.used; }
    getReader() {
      const owner = this.#owner;
      if (owner.used) throw new TypeError('the body stream is locked or disturbed');
      owner.used = true;
      let done = false;
      return {
        async read() {
          if (done) return { done: true, value: undefined };
          done = true;
          const b = await owner.load();
          return b.length ? { done: false, value: b } : { done: true, value: undefined };
        },
        releaseLock() {},
        cancel() { done = true; return PromiseResolve(); },
        get closed() { return PromiseResolve(); },
      };
    }
    async *[Symbol.asyncIterator]() {
      const r = this.getReader();
      for (;;) { const { done, value } = await r.read(); if (done) return; yield value; }
    }
  }

  class BodyState {
    constructor(bytes, loader) {
      this.bytes = bytes; // Uint8Array or null (no body)
      this.loader = loader; // () => Uint8Array, or null
      this.used = false;
      this.stream = null;
    }
    has() { return this.bytes !== null || this.loader !== null; }
    async load() {
      if (this.loader) { this.bytes = this.loader(); this.loader = null; }
      return this.bytes || new Uint8ArrayCtor(0);
    }
    clone() {
      if (this.used) throw new TypeError('clone: the body has already been used');
      if (this.loader) { this.bytes = this.loader(); this.loader = null; }
      return new BodyState(this.bytes, null);
    }
  }

  function mimeOf(headers) {
    const t = headers.get('content-type');
    return t === null ? '' : t.split(';')[0].trim().toLowerCase();
  }

  // The Body mixin, on both Request and Response (st: their BodyState).
  function bodyMixin(cls, stateOf, headersOf) {
    async function consume(self) {
      const st = stateOf(self);
      if (st.used) throw new TypeError('Body is unusable: it has already been read');
      st.used = true;
      return st.load();
    }
    const methods = {
      get body() {
        const st = stateOf(this);
        if (!st.has()) return null;
        return st.stream || (st.stream = new BodyStream(st));
      },
      get bodyUsed() { return stateOf(this).used; },
      async arrayBuffer() { const b = await consume(this); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); },
      async bytes() { const b = await consume(this); return new Uint8ArrayCtor(b); },
      async text() { return utf8decode(await consume(this)); },
      async json() { return JSONParse(utf8decode(await consume(this))); },
      async formData() {
        const type = mimeOf(headersOf(this));
        const b = await consume(this);
        if (type === 'application/x-www-form-urlencoded') {
          const fd = new FormData();
          USPForEach(new USP(utf8decode(b)), (v, n) => fd.append(n, v));
          return fd;
        }
        if (type === 'multipart/form-data') throw new TypeError('formData(): multipart/form-data bodies are not supported yet');
        throw new TypeError(`formData(): cannot parse a body of type '${type}'`);
      },
      async blob() { throw new TypeError('blob(): Blob is not supported yet'); },
    };
    for (const k of ReflectOwnKeys(methods))
      ObjectDefineProperty(cls.prototype, k, ObjectGetOwnPropertyDescriptor(methods, k));
  }

  // ---------------------------------------------------------------------------
  // Request
  // ---------------------------------------------------------------------------
  const FORBIDDEN_METHOD = /^(CONNECT|TRACE|TRACK)$/i;
  // the Fetch standard normalizes these six only (PATCH stays as given)
  const NORMAL_METHOD = /^(DELETE|GET|HEAD|OPTIONS|POST|PUT)$/i;
  let internal = false; // the dispatcher builds requests without parsing again

  class Request {
    #method = 'GET';
    #url = '';
    #headers;
    #body;
    #redirect = 'follow';
    constructor(input, init) {
      if (internal) { internal = false; return; }
      needArgs(arguments, 1, 'Request');
      init = init === undefined || init === null ? {} : init;
      let src = null;
      if (input instanceof Request) src = input;
      else {
        let u;
        try { u = new URLCtor(toStr(input)); } catch { throw new TypeError(`Request: invalid URL '${toStr(input)}'`); }
        if (u.username || u.password) throw new TypeError('Request: a URL with credentials is not allowed');
        this.#url = u.href;
      }
      if (src) {
        this.#url = src.#url;
        this.#method = src.#method;
        this.#redirect = src.#redirect;
      }
      if (init.method !== undefined) {
        const m = toStr(init.method);
        if (!TOKEN.test(m)) throw new TypeError(`Request: invalid method '${m}'`);
        if (FORBIDDEN_METHOD.test(m)) throw new TypeError(`Request: forbidden method '${m}'`);
        this.#method = NORMAL_METHOD.test(m) ? m.toUpperCase() : m;
      }
      if (init.redirect !== undefined) {
        const r = toStr(init.redirect);
        if (r !== 'follow' && r !== 'error' && r !== 'manual') throw new TypeError(`Request: invalid redirect mode '${r}'`);
        this.#redirect = r;
      }
      this.#headers = new Headers(init.headers !== undefined ? init.headers : src ? src.#headers : undefined);
      headersGuard(this.#headers, 'request');
      let state;
      if (init.body !== undefined && init.body !== null) {
        if (this.#method === 'GET' || this.#method === 'HEAD') throw new TypeError('Request: a GET or HEAD request cannot have a body');
        const { bytes, type } = extractBody(init.body);
        if (type !== null && !this.#headers.has('content-type')) this.#headers.append('content-type', type);
        state = new BodyState(bytes, null);
      } else if (src && src.#body.has()) {
        if (src.#body.used) throw new TypeError('Request: the body of the input request has already been used');
        state = src.#body.clone();
        src.#body.used = true;
      } else {
        state = new BodyState(null, null);
      }
      this.#body = state;
    }
    static _make(method, url, headers, state) {
      internal = true;
      const r = new Request();
      r.#method = method;
      r.#url = url;
      r.#headers = headers;
      r.#body = state;
      return r;
    }
    static _state(r) { return r.#body; }
    get method() { return this.#method; }
    get url() { return this.#url; }
    get headers() { return this.#headers; }
    get redirect() { return this.#redirect; }
    get signal() { return null; }
    get cache() { return 'default'; }
    get credentials() { return 'same-origin'; }
    get mode() { return 'cors'; }
    get destination() { return ''; }
    get referrer() { return 'about:client'; }
    get integrity() { return ''; }
    get keepalive() { return false; }
    clone() {
      const h = new Headers(this.#headers);
      headersGuard(h, 'request');
      const r = makeRequest(this.#method, this.#url, h, this.#body.clone());
      r.#redirect = this.#redirect;
      return r;
    }
  }
  const makeRequest = Request._make, requestState = Request._state;
  delete Request._make;
  delete Request._state;
  bodyMixin(Request, requestState, (r) => r.headers);
  idl(Request, 'Request');

  // ---------------------------------------------------------------------------
  // Response
  // ---------------------------------------------------------------------------
  const NULL_BODY_STATUS = [101, 103, 204, 205, 304];
  const REDIRECT_STATUS = [301, 302, 303, 307, 308];
  const REASON = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;

  class Response {
    #status = 200;
    #statusText = '';
    #type = 'default';
    #headers;
    #body;
    #url = '';
    #redirected = false;
    constructor(body = null, init) {
      init = init === undefined || init === null ? {} : init;
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!(status >= 200 && status <= 599) || MathFloor(status) !== status)
        throw new RangeError(`Response: status ${init.status} is not in the range 200 to 599`);
      const text = init.statusText === undefined ? '' : toStr(init.statusText);
      if (!REASON.test(text)) throw new TypeError('Response: invalid statusText');
      this.#status = status;
      this.#statusText = text;
      this.#headers = new Headers(init.headers);
      headersGuard(this.#headers, 'response');
      let bytes = null;
      if (body !== null && body !== undefined) {
        if (NULL_BODY_STATUS.includes(status)) throw new TypeError(`Response: a ${status} response cannot have a body`);
        const ex = extractBody(body);
        bytes = ex.bytes;
        if (ex.type !== null && !this.#headers.has('content-type')) this.#headers.append('content-type', ex.type);
      }
      this.#body = new BodyState(bytes, null);
    }
    static _state(r) { return r.#body; }
    static _fetched(r, url, redirected) { r.#url = url; r.#redirected = redirected; r.#type = 'basic'; headersGuard(r.#headers, 'immutable'); }
    static _type(r, t) { r.#type = t; r.#status = 0; headersGuard(r.#headers, 'immutable'); }
    get type() { return this.#type; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get status() { return this.#status; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get statusText() { return this.#statusText; }
    get headers() { return this.#headers; }
    clone() {
      const r = new Response(null, { status: this.#status === 0 ? 200 : this.#status, statusText: this.#statusText, headers: this.#headers });
      r.#status = this.#status;
      r.#type = this.#type;
      r.#url = this.#url;
      r.#redirected = this.#redirected;
      r.#body = this.#body.clone();
      return r;
    }
    static error() {
      const r = new Response(null);
      responseType(r, 'error');
      return r;
    }
    static redirect(url, status = 302) {
      let u;
      try { u = new URLCtor(toStr(url)); } catch { throw new TypeError(`Response.redirect: invalid URL '${toStr(url)}'`); }
      status = Number(status);
      if (!REDIRECT_STATUS.includes(status)) throw new RangeError(`Response.redirect: invalid status ${status}`);
      const r = new Response(null, { status });
      r.headers.set('location', u.href);
      return r;
    }
    static json(data, init) {
      const s = JSONStringify(data);
      if (s === undefined) throw new TypeError('Response.json: the data cannot be serialized as JSON');
      const h = new Headers(init && init.headers);
      if (!h.has('content-type')) h.set('content-type', 'application/json');
      return new Response(s, { status: init && init.status, statusText: init && init.statusText, headers: h });
    }
  }
  const responseState = Response._state, responseType = Response._type, responseFetched = Response._fetched;
  delete Response._state;
  delete Response._type;
  delete Response._fetched;
  bodyMixin(Response, responseState, (r) => r.headers);
  idl(Response, 'Response');

  // ---------------------------------------------------------------------------
  // The dispatcher of `mica serve`
  // ---------------------------------------------------------------------------
  const latin1 = (b, i, n) => {
    let s = '';
    for (let k = 0; k < n; k += 8192) s += StringFromCharCode.apply(null, b.subarray(i + k, i + MathMin(n, k + 8192)));
    return s;
  };
  const u32 = (b, i) => (b[i] | b[i + 1] << 8 | b[i + 2] << 16 | b[i + 3] << 24) >>> 0;
  const PART = 1 << 20; // response bytes per host call

  function readFields(b, at, count, decode) {
    const out = [];
    for (let k = 0; k < count; k++) {
      const n = u32(b, at);
      at += 4;
      out.push(decode(b, at, n));
      at += n;
    }
    return [out, at];
  }

  let handler = null, handlerThis = null, env = null, host = null;

  async function serveInit(frame) {
    if (handler) throw new TypeError('__mica_serve_init: already initialised');
    const b = viewBytes(frame);
    const count = u32(b, 0);
    const [f] = readFields(b, 4, count, (x, i, n) => utf8decode(x.subarray(i, i + n)));
    const name = f[0];
    const ns = await import(name);
    host = await import('host:serve');
    const d = ns.default;
    if (d === undefined)
      throw new TypeError(`${name} has no default export: it must end with \`export default { async fetch(request, env, ctx) { ... } }\``);
    if (d === null || (typeof d !== 'object' && typeof d !== 'function') || typeof d.fetch !== 'function')
      throw new TypeError(`the default export of ${name} has no fetch method: it must be \`export default { async fetch(request, env, ctx) { ... } }\``);
    handler = d.fetch;
    handlerThis = d;
    const e = ObjectCreate(ObjectPrototype);
    // defined, not assigned: a key such as __proto__ is a key like any other
    for (let k = 1; k + 1 < f.length; k += 2)
      ObjectDefineProperty(e, f[k], { value: f[k + 1], enumerable: true, writable: false, configurable: false });
    env = ObjectFreeze(e);
    ObjectDefineProperty(G, '__mica_serve', { value: serve, writable: false, enumerable: false, configurable: false });
    // outbound fetch() exists only under `mica serve`, where the host has it
    ObjectDefineProperty(G, 'fetch', { value: fetch, writable: true, enumerable: false, configurable: true });
    delete G.__mica_serve_init;
  }

  function encodeResponse(res, body) {
    const parts = [];
    const str = (s) => { const a = new Uint8ArrayCtor(s.length); for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i); return a; };
    const list = [];
    // combined per name, in first-seen order; each set-cookie on its own
    const names = [], values = ObjectCreate(null);
    for (const [n, v] of headersList(res.headers)) {
      if (n === 'set-cookie') { list.push(str(n), str(v)); continue; }
      if (values[n] === undefined) { names.push(n); values[n] = v; } else values[n] += `, ${v}`;
    }
    for (const n of names) list.push(str(n), str(values[n]));
    let size = 12;
    for (const p of list) size += 4 + p.length;
    const first = MathMin(body.length, PART);
    const out = new Uint8ArrayCtor(size + first);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, res.status, true);
    dv.setUint32(4, list.length / 2, true);
    dv.setUint32(8, body.length, true);
    let at = 12;
    for (const p of list) { dv.setUint32(at, p.length, true); out.set(p, at + 4); at += 4 + p.length; }
    out.set(body.subarray(0, first), at);
    parts.push(out);
    for (let i = first; i < body.length; i += PART) parts.push(body.subarray(i, MathMin(body.length, i + PART)));
    return parts;
  }

  async function serve(frame) {
    const b = viewBytes(frame);
    const total = u32(b, 0), inline = u32(b, 4), count = u32(b, 8);
    const [f, at] = readFields(b, 12, count, latin1);
    const headers = new Headers();
    const list = headersList(headers);
    for (let k = 2; k + 1 < f.length; k += 2) list.push([f[k].toLowerCase(), f[k + 1]]);
    headersGuard(headers, 'immutable');
    let state;
    if (total === 0) state = new BodyState(null, null);
    else if (inline === total) state = new BodyState(b.slice(at, at + inline), null);
    else {
      state = new BodyState(null, () => {
        const out = new Uint8ArrayCtor(total);
        let got = 0;
        while (got < total) {
          const part = host.body(got);
          if (!part.length) break;
          out.set(part, got);
          got += part.length;
        }
        return got === total ? out : out.subarray(0, got);
      });
    }
    const request = makeRequest(f[0], f[1], headers, state);
    const waits = [];
    const ctx = ObjectFreeze({
      waitUntil(p) { waits.push(PromiseResolve(p)); },
      passThroughOnException() {},
    });
    const res = await handler.call(handlerThis, request, env, ctx);
    if (!(res instanceof Response)) {
      const what = res === null ? 'null' : typeof res === 'object' ? 'an object that is not a Response' : typeof res;
      throw new TypeError(`the fetch handler returned ${what}, not a Response`);
    }
    if (res.type === 'error') throw new TypeError('the fetch handler returned Response.error()');
    const st = responseState(res);
    if (st.used) throw new TypeError('the body of the Response has already been read');
    st.used = true;
    const body = await st.load();
    for (const p of encodeResponse(res, body)) host.respond(p);
    if (waits.length) {
      const results = await PromiseAllSettled(waits);
      for (const r of results) if (r.status === 'rejected') console.error('waitUntil: a promise rejected:', r.reason);
    }
  }

  // ---------------------------------------------------------------------------
  // Outbound fetch() of `mica serve` (server/fetch.c): one frame to the async
  // host function fetch, whose answer is the response's head, its first MiB
  // and the id of the rest, read with fetchBody(id, offset).
  // ---------------------------------------------------------------------------
  const REDIRECT_MODE = { follow: 0, manual: 1, error: 2 };
  const latin1Bytes = (s) => { const a = new Uint8ArrayCtor(s.length); for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i); return a; };

  async function fetch(input, init) {
    const req = new Request(input, init);
    const protocol = new URLCtor(req.url).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError(`fetch ${req.url} refused: only http: and https: URLs can be fetched`);
    const st = requestState(req);
    if (st.used) throw new TypeError('fetch: the body of the request has already been used');
    let body = new Uint8ArrayCtor(0);
    if (st.has()) { st.used = true; body = await st.load(); }
    const fields = [utf8(req.method), utf8(req.url)];
    for (const [n, v] of headersList(req.headers)) fields.push(latin1Bytes(n), latin1Bytes(v));
    let size = 12 + body.length;
    for (const p of fields) size += 4 + p.length;
    const frame = new Uint8ArrayCtor(size);
    const dv = new DataView(frame.buffer);
    dv.setUint32(0, REDIRECT_MODE[req.redirect], true);
    dv.setUint32(4, fields.length, true);
    dv.setUint32(8, body.length, true);
    let at = 12;
    for (const p of fields) { dv.setUint32(at, p.length, true); frame.set(p, at + 4); at += 4 + p.length; }
    frame.set(body, at);
    let b;
    try {
      b = await host.fetch(frame);
    } catch (e) {
      throw new TypeError(e && e.message !== undefined ? e.message : `${e}`);
    }
    const status = u32(b, 0), count = u32(b, 4), total = u32(b, 8), inline = u32(b, 12), id = u32(b, 16);
    const [f, end] = readFields(b, 20, count, latin1);
    const headers = new Headers();
    const list = headersList(headers);
    for (let k = 2; k + 1 < f.length; k += 2) list.push([f[k].toLowerCase(), f[k + 1]]);
    const nullBody = NULL_BODY_STATUS.includes(status) || req.method === 'HEAD';
    const res = new Response(null, { status, statusText: f[0], headers });
    const rst = responseState(res);
    if (!nullBody) {
      if (inline === total) rst.bytes = b.slice(end, end + inline);
      else {
        const first = b.slice(end, end + inline);
        rst.loader = () => {
          const out = new Uint8ArrayCtor(total);
          out.set(first, 0);
          let got = inline;
          while (got < total) {
            const part = host.fetchBody(id, got);
            if (!part.length) break;
            out.set(part, got);
            got += part.length;
          }
          return got === total ? out : out.subarray(0, got);
        };
      }
    }
    responseFetched(res, f[1], f[1] !== req.url);
    return res;
  }

  // ---------------------------------------------------------------------------
  const globals = { Headers, Request, Response, FormData, __mica_serve_init: serveInit };
  for (const name of ObjectKeys(globals)) {
    ObjectDefineProperty(G, name, { value: globals[name], writable: true, enumerable: false, configurable: true });
  }

  /*
   * Known gaps vs the Fetch standard:
   *  - body is a one-chunk stand-in for ReadableStream (getReader().read(),
   *    async iteration); no ReadableStream bodies in, no streaming out.
   *  - no Blob or File: blob() throws, FormData holds strings only, and
   *    formData() parses urlencoded bodies only (multipart throws).
   *  - Request: signal is null (no AbortController), and mode, credentials,
   *    cache, referrer... are fixed values, never used.
   *  - Response.statusText is not sent: the server sends the standard reason
   *    phrase for the status.
   */
})();

/*
 * mica guest Fetch API objects (WHATWG Fetch): Headers, Request, Response,
 * FormData, and the dispatcher of `mica serve`; and what bodies are made
 * of: Event, EventTarget, AbortController, AbortSignal (DOM), Blob, File
 * (File API), ReadableStream, WritableStream, TransformStream and their
 * readers, writers and controllers, CountQueuingStrategy,
 * ByteLengthQueuingStrategy (WHATWG Streams), TextEncoderStream,
 * TextDecoderStream (Encoding).
 *
 * Loaded lazily (guest/builtins.c), like web.js, on first use of one of its
 * globals. Defines, as non-enumerable, writable, configurable properties of
 * the global object: Headers, Request, Response, FormData and
 * __mica_serve_init, and the others above as accessors that make them
 * (makeWeb()) on first use; __mica_serve_init defines fetch (outbound
 * requests through host:serve fetch(frame), server/fetch.c), which exists
 * only under `mica serve`. Needs web.js (TextEncoder, TextDecoder, URL,
 * DOMException, performance) and, for AbortSignal.timeout(), setTimeout.
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
 *    respond(frame): u32 status, u32 header count, u32 body length, u32
 *    statusText length, the statusText (latin1), then
 *    header names and values (u32 length + latin1 bytes), then the first
 *    part of the body; further parts through respond(part) calls. A
 *    ReadableStream body has length 0xffffffff: each chunk is a
 *    respond(part) as it comes, an empty part ends it. Then it
 *    awaits what ctx.waitUntil() was given, and returns. A response of one
 *    frame with no waitUntil() work is instead returned (a Uint8Array),
 *    saving a host call: the host takes it as if given to respond().
 *
 * Contract with the C side: the native global `__mica_latin1` ({head,
 * frame}, guest/bytes.c) reads and writes the frames' heads for the
 * dispatcher, which takes it and deletes it. Where it does not exist (the
 * unit tests' plain QuickJS) there is no dispatcher to call.
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
  const MathMax = Math.max;
  const MathFloor = Math.floor;
  const MathTrunc = Math.trunc;
  const DateNow = Date.now;
  const ReflectApply = Reflect.apply;
  const ObjectSetPrototypeOf = Object.setPrototypeOf;
  const PromiseCtor = Promise;
  const PromiseThen = uncurry(Promise.prototype.then);
  const PromiseReject = Promise.reject.bind(Promise);
  const PromiseAll = Promise.all.bind(Promise);
  const RESOLVED = PromiseResolve();
  const MapCtor = Map;
  const MapGet = uncurry(Map.prototype.get);
  const MapSet = uncurry(Map.prototype.set);
  const SymbolAsyncIterator = Symbol.asyncIterator;
  const SharedArrayBufferByteLength = typeof SharedArrayBuffer === 'function' ?
    getter(SharedArrayBuffer.prototype, 'byteLength') : null;
  const isSharedArrayBuffer = (v) => SharedArrayBufferByteLength !== null && isBrand(SharedArrayBufferByteLength, v);
  const DOMExceptionCtor = G.DOMException;
  const SetTimeout = G.setTimeout; // AbortSignal.timeout(); absent where there are no timers
  const perf = G.performance, PerformanceNow = uncurry(perf.now);
  const PerfNow = () => PerformanceNow(perf);
  const TE = G.TextEncoder, TD = G.TextDecoder, USP = G.URLSearchParams, URLCtor = G.URL;
  const encoder = new TE();
  const utf8 = (s) => encoder.encode(s);
  const decoder = new TD();
  const utf8decode = (b) => decoder.decode(b);
  const nativeLatin1 = G.__mica_latin1; // bytes.c's, where the guest has it
  try { delete G.__mica_latin1; } catch {}
  const dispatchNative = G.__mica_dispatch; // dispatch.c's natives of serveBatch
  try { delete G.__mica_dispatch; } catch {}
  const USPToString = uncurry(USP.prototype.toString);
  const USPForEach = uncurry(USP.prototype.forEach);
  const isUSP = (v) => isBrand(USPToString, v);

  // ---------------------------------------------------------------------------
  // Headers: a list of [lowercased name, value]; combined on read, as the
  // Fetch standard's "header list" is.
  // ---------------------------------------------------------------------------
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const BAD_VALUE = /[\0\r\n]|[^\u0000-\u00ff]/;
  // HTTP whitespace at either end; the regex only when there is some (a
  // request's worth of headers pays for none)
  const isHTTPSpace = (c) => c === 32 || c === 9 || c === 10 || c === 13;
  const normalizeValue = (v) => {
    const s = toStr(v);
    if (s.length === 0 || (!isHTTPSpace(s.charCodeAt(0)) && !isHTTPSpace(s.charCodeAt(s.length - 1)))) return s;
    return s.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  };
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
    #sortedOf = null; // [list, its length, #sorted() of it]
    constructor(init) {
      if (init === undefined || init === null) return;
      if (typeof init !== 'object' && typeof init !== 'function')
        throw new TypeError("Headers: the init argument must be an object, an array of pairs or a Headers");
      fillHeaders(this, init);
    }
    static _guard(h, g) { h.#guard = g; }
    static _list(h) { return h.#list; }
    static _of(list, g) { const h = new Headers(); h.#list = list; h.#guard = g; return h; }
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
    // "sort and combine": by name; set-cookie stays one entry per value.
    // Kept while the list is the same: every change makes a new list or
    // appends (iterators ask again at every step, so that they see changes)
    #sorted() {
      const c = this.#sortedOf, l = this.#list;
      if (c !== null && c[0] === l && c[1] === l.length) return c[2];
      const names = [];
      for (const e of this.#list) if (!names.includes(e[0])) names.push(e[0]);
      names.sort();
      const out = [];
      for (const n of names) {
        if (n === 'set-cookie') { for (const v of this.getSetCookie()) out.push([n, v]); }
        else out.push([n, this.get(n)]);
      }
      this.#sortedOf = [l, l.length, out];
      return out;
    }
    // WebIDL's pair iterators: the pairs are taken again at every step, so
    // that what the loop body changes is seen (as in browsers and node)
    forEach(cb, thisArg) {
      needArgs(arguments, 1, "Headers.forEach");
      if (typeof cb !== 'function') throw new TypeError('Headers.forEach: the callback is not a function');
      for (let i = 0, s; i < (s = this.#sorted()).length; i++) cb.call(thisArg, s[i][1], s[i][0], this);
    }
    *entries() { for (let i = 0, s; i < (s = this.#sorted()).length; i++) yield [s[i][0], s[i][1]]; }
    *keys() { for (let i = 0, s; i < (s = this.#sorted()).length; i++) yield s[i][0]; }
    *values() { for (let i = 0, s; i < (s = this.#sorted()).length; i++) yield s[i][1]; }
    [SymbolIterator]() { return this.entries(); }
  }
  const headersGuard = Headers._guard, headersList = Headers._list, headersOf = Headers._of;
  delete Headers._guard;
  delete Headers._list;
  delete Headers._of;
  // The body's Content-Type, unless the headers have one (a name and value
  // of ours: nothing to check)
  function defaultType(h, type) {
    const list = headersList(h);
    for (let i = 0; i < list.length; i++) if (list[i][0] === 'content-type') return;
    list.push(['content-type', type]);
  }
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
  // FormData: string and File entries
  // ---------------------------------------------------------------------------
  // XHR's "create an entry": a Blob becomes a File named 'blob' (or filename)
  function formEntry(name, value, filename, argc, what) {
    const n = toStr(name);
    if (W !== null && W.isBlob(value)) {
      if (argc < 3 && W.isFile(value)) return [n, value];
      const o = { type: value.type };
      if (W.isFile(value)) o.lastModified = value.lastModified;
      return [n, new W.File([value], argc < 3 ? (W.isFile(value) ? value.name : 'blob') : toStr(filename), o)];
    }
    if (argc > 2) throw new TypeError(`${what}: parameter 2 is not of type 'Blob'`);
    return [n, toStr(value)];
  }

  class FormData {
    #list = [];
    constructor(form) {
      if (form !== undefined) throw new TypeError('FormData: no HTML form element here');
    }
    static _list(f) { return f.#list; }
    append(name, value, filename = undefined) {
      needArgs(arguments, 2, 'FormData.append');
      this.#list.push(formEntry(name, value, filename, arguments.length, 'FormData.append'));
    }
    delete(name) { const n = toStr(name); this.#list = this.#list.filter((e) => e[0] !== n); }
    get(name) { const n = toStr(name); const e = this.#list.find((x) => x[0] === n); return e ? e[1] : null; }
    getAll(name) { const n = toStr(name); return this.#list.filter((e) => e[0] === n).map((e) => e[1]); }
    has(name) { const n = toStr(name); return this.#list.some((e) => e[0] === n); }
    set(name, value, filename = undefined) {
      needArgs(arguments, 2, 'FormData.set');
      const e = formEntry(name, value, filename, arguments.length, 'FormData.set');
      const n = e[0];
      const i = this.#list.findIndex((x) => x[0] === n);
      if (i < 0) { this.#list.push(e); return; }
      this.#list[i] = e;
      this.#list = this.#list.filter((e, k) => k <= i || e[0] !== n);
    }
    // live, as Headers' (the list read at every step)
    forEach(cb, thisArg) { for (let i = 0; i < this.#list.length; i++) cb.call(thisArg, this.#list[i][1], this.#list[i][0], this); }
    *entries() { for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]]; }
    *keys() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0]; }
    *values() { for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1]; }
    [SymbolIterator]() { return this.entries(); }
  }
  const formList = FormData._list;
  delete FormData._list;
  idl(FormData, 'FormData');

  // ---------------------------------------------------------------------------
  // Event, EventTarget, AbortController, AbortSignal, Blob, File, the streams
  // (WHATWG Streams, default streams only) and the encoding streams. They are
  // made by makeWeb() on first use of one of their globals or of a body
  // stream: a script that only touches Headers or Response.text() does not
  // pay for them. `mica serve` makes them in __mica_serve_init, before the
  // snapshot, so that no request pays either.
  // ---------------------------------------------------------------------------
  let W = null;
  const web = () => (W === null ? (W = makeWeb()) : W);

  function makeWeb() {
    const noop = () => {};
    const markHandled = (p) => { PromiseThen(p, undefined, noop); return p; };
    const resolvedWith = (v) => new PromiseCtor((r) => r(v));
    const rejectedWith = (e) => PromiseReject(e);
    const rejectedT = (msg) => PromiseReject(new TypeError(msg));
    // then() whose result nobody awaits: it must never count as unhandled
    const upon = (p, f, r) => { markHandled(PromiseThen(p, f, r)); };
    const queueMicro = (fn) => { PromiseThen(RESOLVED, fn); };
    // A promise and its resolving functions, with the state the streams read.
    function deferred() {
      const d = { promise: null, resolve: null, reject: null, state: 'pending' };
      d.promise = new PromiseCtor((res, rej) => { d.resolve = res; d.reject = rej; });
      return d;
    }
    function settle(d, ok, v) {
      if (d.state !== 'pending') return;
      d.state = ok ? 'fulfilled' : 'rejected';
      if (ok) d.resolve(v);
      else { markHandled(d.promise); d.reject(v); }
    }
    const settled = (ok, v) => { const d = deferred(); settle(d, ok, v); return d; };
    // WebIDL: a promise-returning operation rejects instead of throwing.
    function promiseCall(fn, thisArg, args) {
      try { return resolvedWith(ReflectApply(fn, thisArg, args)); } catch (e) { return rejectedWith(e); }
    }
    const isObject = (v) => (typeof v === 'object' && v !== null) || typeof v === 'function';
    function dict(v, what) {
      if (v === undefined || v === null) return {};
      if (!isObject(v)) throw new TypeError(`${what} must be an object`);
      return v;
    }
    function callback(v, what) {
      if (v !== undefined && typeof v !== 'function') throw new TypeError(`${what} must be a function`);
      return v;
    }
    // Class brands: a private field read through a static accessor taken off
    // the class (as fetch.js does), so that user code cannot reach it.
    function takeStatic(cls, name) { const f = cls[name]; delete cls[name]; return f; }
    const domException = (msg, name) => new DOMExceptionCtor(msg, name);

    // -------------------------------------------------------------------------
    // Event, EventTarget (DOM Standard; a target has no parent, so the path is
    // the target alone: capture listeners run first, then the others)
    // -------------------------------------------------------------------------
    class Event {
      #type;
      #bubbles;
      #cancelable;
      #composed;
      #target = null;
      #current = null;
      #phase = 0;
      #canceled = false;
      #stop = false;
      #stopNow = false;
      #dispatching = false;
      #passive = false;
      #trusted = false;
      #time;
      constructor(type, eventInitDict = undefined) {
        needArgs(arguments, 1, 'Event');
        const init = dict(eventInitDict, 'Event: eventInitDict');
        this.#type = toStr(type);
        this.#bubbles = !!init.bubbles;
        this.#cancelable = !!init.cancelable;
        this.#composed = !!init.composed;
        this.#time = PerfNow();
      }
      static _state(e) { e.#type; return e; }
      static _begin(e, target) {
        if (e.#dispatching) throw domException('The event is already being dispatched', 'InvalidStateError');
        e.#dispatching = true;
        e.#target = target;
        e.#current = target;
        e.#phase = 2;
      }
      static _end(e) {
        e.#dispatching = false;
        e.#phase = 0;
        e.#current = null;
        e.#stop = false;
        e.#stopNow = false;
      }
      static _stopped(e) { return e.#stopNow; }
      static _type(e) { return e.#type; }
      static _canceled(e) { return e.#canceled; }
      static _passive(e, p) { e.#passive = p; }
      static _trust(e) { e.#trusted = true; }
      get type() { return this.#type; }
      get target() { return this.#target; }
      get currentTarget() { return this.#current; }
      get srcElement() { return this.#target; }
      get eventPhase() { return this.#phase; }
      get bubbles() { return this.#bubbles; }
      get cancelable() { return this.#cancelable; }
      get composed() { return this.#composed; }
      get defaultPrevented() { return this.#canceled; }
      get isTrusted() { return this.#trusted; }
      get timeStamp() { return this.#time; }
      get returnValue() { return !this.#canceled; }
      set returnValue(v) { if (!v) this.preventDefault(); }
      get cancelBubble() { return this.#stop; }
      set cancelBubble(v) { if (v) this.#stop = true; }
      composedPath() { return this.#dispatching ? [this.#current] : []; }
      stopPropagation() { this.#stop = true; }
      stopImmediatePropagation() { this.#stop = true; this.#stopNow = true; }
      preventDefault() { if (this.#cancelable && !this.#passive) this.#canceled = true; }
      initEvent(type, bubbles = false, cancelable = false) {
        needArgs(arguments, 1, 'Event.initEvent');
        if (this.#dispatching) return;
        this.#type = toStr(type);
        this.#bubbles = !!bubbles;
        this.#cancelable = !!cancelable;
        this.#canceled = false;
        this.#stop = false;
        this.#stopNow = false;
        this.#target = null;
      }
    }
    const eventBrand = takeStatic(Event, '_state'), eventBegin = takeStatic(Event, '_begin');
    const eventEnd = takeStatic(Event, '_end'), eventStopped = takeStatic(Event, '_stopped');
    const eventPassive = takeStatic(Event, '_passive'), eventTrust = takeStatic(Event, '_trust');
    const eventType = takeStatic(Event, '_type'), eventCanceled = takeStatic(Event, '_canceled');
    idl(Event, 'Event');
    ['NONE', 'CAPTURING_PHASE', 'AT_TARGET', 'BUBBLING_PHASE'].forEach((n, i) => {
      const d = { value: i, writable: false, enumerable: true, configurable: false };
      ObjectDefineProperty(Event, n, d);
      ObjectDefineProperty(Event.prototype, n, d);
    });

    // CustomEvent (DOM Standard): an Event with a detail
    class CustomEvent extends Event {
      #detail;
      constructor(type, eventInitDict = undefined) {
        needArgs(arguments, 1, 'CustomEvent');
        super(type, eventInitDict);
        const init = dict(eventInitDict, 'CustomEvent: eventInitDict');
        this.#detail = init.detail === undefined ? null : init.detail;
      }
      get detail() { return this.#detail; }
      initCustomEvent(type, bubbles = false, cancelable = false, detail = null) {
        needArgs(arguments, 1, 'CustomEvent.initCustomEvent');
        if (this.eventPhase !== 0) return; // being dispatched
        this.initEvent(type, bubbles, cancelable);
        this.#detail = detail;
      }
    }
    idl(CustomEvent, 'CustomEvent');

    // An exception in a listener does not stop the dispatch: it is reported
    // as an unhandled rejection (node makes it an uncaught exception).
    const reportException = (e) => { PromiseReject(e); };

    class EventTarget {
      #listeners = null; // type -> [{ callback, capture, once, passive, removed }]
      static _listeners(t) { return t.#listeners || (t.#listeners = new MapCtor()); }
      addEventListener(type, callback, options = undefined) {
        needArgs(arguments, 2, 'EventTarget.addEventListener');
        type = toStr(type);
        let capture = false, once = false, passive = false, signal;
        if (isObject(options)) {
          capture = !!options.capture;
          once = !!options.once;
          passive = !!options.passive;
          signal = options.signal;
          if (signal !== undefined && !isSignal(signal)) throw new TypeError('EventTarget.addEventListener: options.signal is not an AbortSignal');
        } else capture = !!options;
        if (callback === null) return;
        if (!isObject(callback)) throw new TypeError('EventTarget.addEventListener: the listener must be a function or an object with handleEvent');
        if (signal !== undefined && signalState(signal).reason !== undefined) return;
        const map = targetListeners(this);
        let list = MapGet(map, type);
        if (list === undefined) MapSet(map, type, list = []);
        for (const l of list) if (l.callback === callback && l.capture === capture) return;
        const l = { callback, capture, once, passive, removed: false };
        list.push(l);
        if (signal !== undefined) addAbortAlgorithm(signalState(signal), () => removeListener(this, type, l));
      }
      removeEventListener(type, callback, options = undefined) {
        needArgs(arguments, 2, 'EventTarget.removeEventListener');
        type = toStr(type);
        const capture = isObject(options) ? !!options.capture : !!options;
        const list = MapGet(targetListeners(this), type);
        if (list === undefined) return;
        for (const l of list) if (l.callback === callback && l.capture === capture) { removeListener(this, type, l); return; }
      }
      dispatchEvent(event) {
        needArgs(arguments, 1, 'EventTarget.dispatchEvent');
        if (!isBrand(eventBrand, event)) throw new TypeError('EventTarget.dispatchEvent: the argument is not an Event');
        targetListeners(this);
        return dispatch(this, event);
      }
    }
    const targetListeners = takeStatic(EventTarget, '_listeners');
    idl(EventTarget, 'EventTarget');
    function removeListener(target, type, l) {
      l.removed = true;
      const map = targetListeners(target);
      const list = MapGet(map, type);
      if (list === undefined) return;
      const i = list.indexOf(l);
      if (i >= 0) list.splice(i, 1);
    }
    function dispatch(target, event) {
      eventBegin(event, target);
      try {
        const type = eventType(event);
        const list = MapGet(targetListeners(target), type);
        if (list !== undefined) {
          const copy = list.slice();
          for (const capturing of [true, false]) {
            for (const l of copy) {
              if (l.removed || l.capture !== capturing) continue;
              if (l.once) removeListener(target, type, l);
              eventPassive(event, l.passive);
              try {
                const cb = l.callback;
                if (typeof cb === 'function') ReflectApply(cb, target, [event]);
                else {
                  const f = cb.handleEvent;
                  if (typeof f !== 'function') throw new TypeError('the listener has no handleEvent method');
                  ReflectApply(f, cb, [event]);
                }
              } catch (e) {
                reportException(e);
              }
              eventPassive(event, false);
              if (eventStopped(event)) break;
            }
            if (eventStopped(event)) break;
          }
        }
      } finally {
        eventEnd(event);
      }
      return !eventCanceled(event);
    }

    // -------------------------------------------------------------------------
    // AbortSignal, AbortController (DOM Standard)
    // -------------------------------------------------------------------------
    let makingSignal = false;
    const newSignal = () => { makingSignal = true; return new AbortSignal(); };
    class AbortSignal extends EventTarget {
      #s;
      constructor() {
        if (!makingSignal) throw new TypeError('Illegal constructor');
        makingSignal = false;
        super();
        // reason: undefined until aborted; algos: the spec's abort algorithms
        this.#s = { pub: this, reason: undefined, algos: [], dependent: false, sources: [], dependents: [], handler: null, handlerListener: null };
      }
      static _s(o) { return o.#s; }
      get aborted() { return this.#s.reason !== undefined; }
      get reason() { return this.#s.reason; }
      throwIfAborted() { const r = this.#s.reason; if (r !== undefined) throw r; }
      get onabort() { return this.#s.handler; }
      set onabort(v) {
        const s = this.#s;
        s.handler = isObject(v) ? v : null;
        if (s.handler === null) {
          if (s.handlerListener !== null) this.removeEventListener('abort', s.handlerListener);
          s.handlerListener = null;
        } else if (s.handlerListener === null) {
          s.handlerListener = function (e) {
            const h = s.handler;
            if (typeof h === 'function') return ReflectApply(h, this, [e]);
          };
          this.addEventListener('abort', s.handlerListener);
        }
      }
      static abort(reason = undefined) {
        const sig = newSignal();
        signalState(sig).reason = reason !== undefined ? reason : abortError();
        return sig;
      }
      static timeout(milliseconds) {
        needArgs(arguments, 1, 'AbortSignal.timeout');
        if (typeof milliseconds !== 'number') throw new TypeError('AbortSignal.timeout: the delay must be a number');
        if (!(milliseconds >= 0 && milliseconds <= 9007199254740991)) throw new RangeError(`AbortSignal.timeout: the delay ${milliseconds} is out of range`);
        if (typeof SetTimeout !== 'function') throw new TypeError('AbortSignal.timeout: there is no setTimeout here');
        const sig = newSignal();
        const s = signalState(sig);
        SetTimeout(() => signalAbort(s, domException('The operation was aborted due to timeout', 'TimeoutError')), MathFloor(milliseconds));
        return sig;
      }
      static any(signals) {
        needArgs(arguments, 1, 'AbortSignal.any');
        if (!isObject(signals) || typeof signals[SymbolIterator] !== 'function')
          throw new TypeError('AbortSignal.any: the argument must be a sequence of AbortSignal');
        const list = [];
        for (const sig of signals) {
          if (!isSignal(sig)) throw new TypeError('AbortSignal.any: each element must be an AbortSignal');
          list.push(signalState(sig));
        }
        return anySignal(list).pub;
      }
    }
    const signalState = takeStatic(AbortSignal, '_s');
    const isSignal = (v) => isBrand(signalState, v);
    idl(AbortSignal, 'AbortSignal');
    const abortError = () => domException('This operation was aborted', 'AbortError');
    function anySignal(list) {
      const r = signalState(newSignal());
      for (const s of list) if (s.reason !== undefined) { r.reason = s.reason; return r; }
      r.dependent = true;
      for (const s of list) {
        for (const src of s.dependent ? s.sources : [s]) {
          if (r.sources.includes(src)) continue;
          r.sources.push(src);
          src.dependents.push(r);
        }
      }
      return r;
    }
    // returns a function that takes the algorithm back
    function addAbortAlgorithm(s, fn) {
      if (s.reason !== undefined) return noop;
      s.algos.push(fn);
      return () => { const i = s.algos.indexOf(fn); if (i >= 0) s.algos.splice(i, 1); };
    }
    function signalAbort(s, reason) {
      if (s.reason !== undefined) return;
      s.reason = reason !== undefined ? reason : abortError();
      const deps = [];
      for (const d of s.dependents) if (d.reason === undefined) { d.reason = s.reason; deps.push(d); }
      runAbortSteps(s);
      for (const d of deps) runAbortSteps(d);
    }
    function runAbortSteps(s) {
      const algos = s.algos;
      s.algos = [];
      for (const fn of algos) fn();
      const e = new Event('abort');
      eventTrust(e);
      dispatch(s.pub, e);
    }

    class AbortController {
      #signal = newSignal();
      get signal() { return this.#signal; }
      abort(reason = undefined) { signalAbort(signalState(this.#signal), reason); }
    }
    idl(AbortController, 'AbortController');

    // -------------------------------------------------------------------------
    // Blob, File (File API). The bytes are never exposed, so slices share them.
    // -------------------------------------------------------------------------
    const NOT_TYPE = /[^\u0020-\u007e]/;
    const blobType = (t) => (NOT_TYPE.test(t) ? '' : t.toLowerCase());
    // WebIDL [Clamp] long long: NaN is 0, halves round to even
    function clampInt(v) {
      const x = +v;
      if (x !== x) return 0;
      if (x === Infinity || x === -Infinity) return x;
      const f = MathFloor(x), d = x - f;
      return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
    }
    let blobInternal = null;
    class Blob {
      #bytes;
      #type;
      constructor(blobParts = undefined, options = undefined) {
        if (blobInternal !== null) {
          this.#bytes = blobInternal[0];
          this.#type = blobInternal[1];
          blobInternal = null;
          return;
        }
        const o = dict(options, 'Blob: options');
        const type = o.type === undefined ? '' : blobType(toStr(o.type));
        const endings = o.endings === undefined ? 'transparent' : toStr(o.endings);
        if (endings !== 'transparent' && endings !== 'native') throw new TypeError(`Blob: endings '${endings}' is neither 'transparent' nor 'native'`);
        const parts = [];
        let size = 0;
        if (blobParts !== undefined) {
          if (!isObject(blobParts) || typeof blobParts[SymbolIterator] !== 'function') throw new TypeError('Blob: the parts must be a sequence');
          for (const p of blobParts) {
            let b;
            if (isBrand(blobBytes, p)) b = blobBytes(p);
            else if ((b = viewBytes(p)) !== null) b = new Uint8ArrayCtor(b);
            else {
              let s = toStr(p);
              if (endings === 'native') s = s.replace(/\r\n|\r/g, '\n');
              b = utf8(s);
            }
            parts.push(b);
            size += b.length;
          }
        }
        this.#bytes = concatBytes(parts, size);
        this.#type = type;
      }
      static _bytes(b) { return b.#bytes; }
      get size() { return this.#bytes.length; }
      get type() { return this.#type; }
      slice(start = undefined, end = undefined, contentType = undefined) {
        const b = this.#bytes, n = b.length;
        const rel = (v, dflt) => {
          if (v === undefined) return dflt;
          const x = clampInt(v);
          return x < 0 ? MathMax(n + x, 0) : MathMin(x, n);
        };
        const from = rel(start, 0), to = rel(end, n);
        const type = contentType === undefined ? '' : blobType(toStr(contentType));
        return makeBlob(b.subarray(from, MathMax(from, to)), type);
      }
      stream() { return bytesStream(this.#bytes); }
      text() { try { return resolvedWith(utf8decode(this.#bytes)); } catch (e) { return rejectedWith(e); } }
      arrayBuffer() { try { return resolvedWith(new Uint8ArrayCtor(this.#bytes).buffer); } catch (e) { return rejectedWith(e); } }
      bytes() { try { return resolvedWith(new Uint8ArrayCtor(this.#bytes)); } catch (e) { return rejectedWith(e); } }
    }
    const blobBytes = takeStatic(Blob, '_bytes');
    idl(Blob, 'Blob');
    function makeBlob(bytes, type) { blobInternal = [bytes, type]; return new Blob(); }

    class File extends Blob {
      #name;
      #lastModified;
      constructor(fileBits, fileName, options = undefined) {
        needArgs(arguments, 2, 'File');
        super(fileBits, options);
        const o = dict(options, 'File: options');
        this.#name = toUSV(fileName);
        let t = o.lastModified === undefined ? DateNow() : +o.lastModified;
        if (t !== t || t === Infinity || t === -Infinity) t = 0;
        this.#lastModified = MathTrunc(t);
      }
      get name() { return this.#name; }
      get lastModified() { return this.#lastModified; }
    }
    idl(File, 'File');
    const fileName = getter(File.prototype, 'name');
    const isFile = (v) => isBrand(fileName, v);

    function concatBytes(parts, size) {
      if (parts.length === 1) return parts[0];
      const out = new Uint8ArrayCtor(size);
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    }
    // WebIDL USVString: lone surrogates become U+FFFD
    // -------------------------------------------------------------------------
    // Queuing strategies
    // -------------------------------------------------------------------------
    function hwmOf(init, what) {
      if (!isObject(init)) throw new TypeError(`${what}: the init argument must be an object`);
      if (init.highWaterMark === undefined) throw new TypeError(`${what}: init.highWaterMark is required`);
      return +init.highWaterMark;
    }
    const countSize = function size() { return 1; };
    const byteLengthSize = function size(chunk) { return chunk.byteLength; };
    class CountQueuingStrategy {
      #hwm;
      constructor(init) { needArgs(arguments, 1, 'CountQueuingStrategy'); this.#hwm = hwmOf(init, 'CountQueuingStrategy'); }
      get highWaterMark() { return this.#hwm; }
      get size() { this.#hwm; return countSize; }
    }
    idl(CountQueuingStrategy, 'CountQueuingStrategy');
    class ByteLengthQueuingStrategy {
      #hwm;
      constructor(init) { needArgs(arguments, 1, 'ByteLengthQueuingStrategy'); this.#hwm = hwmOf(init, 'ByteLengthQueuingStrategy'); }
      get highWaterMark() { return this.#hwm; }
      get size() { this.#hwm; return byteLengthSize; }
    }
    idl(ByteLengthQueuingStrategy, 'ByteLengthQueuingStrategy');

    function extractHWM(strategy, dflt) {
      const h = strategy.highWaterMark;
      if (h === undefined) return dflt;
      const n = +h;
      if (n !== n || n < 0) throw new RangeError(`invalid highWaterMark ${h}: it must be a non-negative number`);
      return n;
    }
    function extractSize(strategy) {
      const size = strategy.size;
      if (size === undefined) return () => 1;
      if (typeof size !== 'function') throw new TypeError('strategy.size must be a function');
      return (chunk) => +size(chunk);
    }

    // A FIFO with amortized O(1) shift.
    class Queue {
      constructor() { this.items = []; this.head = 0; }
      get length() { return this.items.length - this.head; }
      push(v) { this.items.push(v); }
      peek() { return this.items[this.head]; }
      shift() {
        const v = this.items[this.head];
        this.items[this.head++] = undefined;
        if (this.head === this.items.length) { this.items = []; this.head = 0; }
        else if (this.head > 1024 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
        return v;
      }
    }
    // queue-with-sizes, on a controller record c
    function enqueueWithSize(c, value, size) {
      if (typeof size !== 'number' || size !== size || size < 0 || size === Infinity)
        throw new RangeError('the size of a chunk must be a finite, non-negative number');
      c.queue.push({ value, size });
      c.queueSize += size;
    }
    function dequeueValue(c) {
      const p = c.queue.shift();
      c.queueSize -= p.size;
      if (c.queueSize < 0) c.queueSize = 0;
      return p.value;
    }
    function resetQueue(c) { c.queue = new Queue(); c.queueSize = 0; }

    // -------------------------------------------------------------------------
    // ReadableStream (default streams; `type: 'bytes'` makes a default stream
    // whose chunks must be ArrayBufferViews, copied to Uint8Arrays; no BYOB)
    // -------------------------------------------------------------------------
    let making = false; // the constructors build a bare object for the algorithms
    class ReadableStream {
      #s;
      constructor(underlyingSource = undefined, strategy = undefined) {
        const s = this.#s = { pub: this, state: 'readable', reader: undefined, storedError: undefined, disturbed: false, ctrl: undefined };
        if (making) { making = false; return; }
        const src = dict(underlyingSource, 'ReadableStream: the underlying source');
        const strat = dict(strategy, 'ReadableStream: the strategy');
        const start = callback(src.start, 'ReadableStream: source.start');
        const pull = callback(src.pull, 'ReadableStream: source.pull');
        const cancel = callback(src.cancel, 'ReadableStream: source.cancel');
        let bytes = false;
        if (src.type !== undefined) {
          const type = toStr(src.type);
          if (type !== 'bytes') throw new TypeError(`ReadableStream: invalid type '${type}'`);
          if (strat.size !== undefined) throw new RangeError("ReadableStream: a strategy of type 'bytes' cannot have a size function");
          bytes = true;
        }
        const hwm = extractHWM(strat, bytes ? 0 : 1);
        const size = bytes ? (chunk) => chunk.length : extractSize(strat);
        const c = newReadableController(s, bytes);
        setupReadableController(s, c,
          start ? () => ReflectApply(start, src, [c.pub]) : noop,
          pull ? () => promiseCall(pull, src, [c.pub]) : () => resolvedWith(undefined),
          cancel ? (r) => promiseCall(cancel, src, [r]) : () => resolvedWith(undefined),
          hwm, size);
      }
      static _s(o) { return o.#s; }
      get locked() { return this.#s.reader !== undefined; }
      cancel(reason = undefined) {
        let s;
        try { s = this.#s; } catch (e) { return rejectedWith(e); }
        if (s.reader !== undefined) return rejectedT('ReadableStream.cancel: the stream is locked');
        return readableCancel(s, reason);
      }
      getReader(options = undefined) {
        const s = this.#s;
        const o = dict(options, 'ReadableStream.getReader: options');
        if (o.mode !== undefined) {
          const mode = toStr(o.mode);
          if (mode === 'byob') throw new TypeError('ReadableStream.getReader: BYOB readers are not supported here');
          throw new TypeError(`ReadableStream.getReader: invalid mode '${mode}'`);
        }
        return newReader(s).pub;
      }
      pipeThrough(transform, options = undefined) {
        const s = this.#s;
        if (!isObject(transform)) throw new TypeError('ReadableStream.pipeThrough: transform must be an object with readable and writable');
        const readable = transform.readable;
        if (!isBrand(rsState, readable)) throw new TypeError('ReadableStream.pipeThrough: transform.readable is not a ReadableStream');
        const writable = transform.writable;
        if (!isBrand(wsState, writable)) throw new TypeError('ReadableStream.pipeThrough: transform.writable is not a WritableStream');
        const o = pipeOptions(options);
        if (s.reader !== undefined) throw new TypeError('ReadableStream.pipeThrough: the stream is locked');
        const ws = wsState(writable);
        if (ws.writer !== undefined) throw new TypeError('ReadableStream.pipeThrough: transform.writable is locked');
        markHandled(pipeTo(s, ws, o.preventClose, o.preventAbort, o.preventCancel, o.signal));
        return readable;
      }
      pipeTo(destination, options = undefined) {
        try {
          const s = this.#s;
          if (!isBrand(wsState, destination)) return rejectedT('ReadableStream.pipeTo: the destination is not a WritableStream');
          const o = pipeOptions(options);
          if (s.reader !== undefined) return rejectedT('ReadableStream.pipeTo: the stream is locked');
          const ws = wsState(destination);
          if (ws.writer !== undefined) return rejectedT('ReadableStream.pipeTo: the destination is locked');
          return pipeTo(s, ws, o.preventClose, o.preventAbort, o.preventCancel, o.signal);
        } catch (e) {
          return rejectedWith(e);
        }
      }
      tee() { return readableTee(this.#s).map((b) => b.pub); }
      values(options = undefined) {
        const s = this.#s;
        const o = dict(options, 'ReadableStream.values: options');
        return newAsyncIterator(newReader(s), !!o.preventCancel);
      }
      static from(asyncIterable) {
        needArgs(arguments, 1, 'ReadableStream.from');
        return readableFrom(asyncIterable).pub;
      }
    }
    const rsState = takeStatic(ReadableStream, '_s');
    ObjectDefineProperty(ReadableStream.prototype, SymbolAsyncIterator,
      { value: ReadableStream.prototype.values, writable: true, enumerable: false, configurable: true });
    idl(ReadableStream, 'ReadableStream');
    const isRS = (v) => isBrand(rsState, v);

    function pipeOptions(options) {
      const o = dict(options, 'ReadableStream.pipeTo: options');
      const signal = o.signal;
      if (signal !== undefined && !isSignal(signal)) throw new TypeError('ReadableStream.pipeTo: options.signal is not an AbortSignal');
      return {
        preventClose: !!o.preventClose, preventAbort: !!o.preventAbort, preventCancel: !!o.preventCancel,
        signal: signal === undefined ? undefined : signalState(signal),
      };
    }

    class ReadableStreamDefaultController {
      #c;
      constructor() {
        if (!making) throw new TypeError('Illegal constructor');
        making = false;
      }
      static _set(o, c) { o.#c = c; }
      get desiredSize() { return readableDesiredSize(this.#c); }
      close() {
        const c = this.#c;
        if (!canCloseOrEnqueue(c)) throw new TypeError('ReadableStreamDefaultController.close: the stream is closed or closing');
        readableControllerClose(c);
      }
      enqueue(chunk = undefined) {
        const c = this.#c;
        if (c.bytes) {
          const v = ArrayBufferIsView(chunk) ? viewBytes(chunk) : null;
          if (v === null) throw new TypeError('ReadableStreamDefaultController.enqueue: a byte stream takes ArrayBufferView chunks');
          if (v.length === 0) throw new TypeError('ReadableStreamDefaultController.enqueue: the chunk is empty');
          chunk = new Uint8ArrayCtor(v);
        }
        if (!canCloseOrEnqueue(c)) throw new TypeError('ReadableStreamDefaultController.enqueue: the stream is closed or closing');
        readableControllerEnqueue(c, chunk);
      }
      error(e = undefined) { readableControllerError(this.#c, e); }
    }
    const setReadableController = takeStatic(ReadableStreamDefaultController, '_set');
    idl(ReadableStreamDefaultController, 'ReadableStreamDefaultController');
    function newReadableController(s, bytes) {
      making = true;
      const pub = new ReadableStreamDefaultController();
      const c = { pub, stream: s, bytes, queue: null, queueSize: 0, started: false, closeRequested: false, pullAgain: false, pulling: false,
        size: undefined, hwm: 0, pullAlg: undefined, cancelAlg: undefined };
      setReadableController(pub, c);
      return c;
    }
    // CreateReadableStream
    function createReadable(start, pull, cancel, hwm = 1, size = () => 1) {
      making = true;
      const s = rsState(new ReadableStream());
      setupReadableController(s, newReadableController(s, false), start, pull, cancel, hwm, size);
      return s;
    }
    function setupReadableController(s, c, start, pull, cancel, hwm, size) {
      resetQueue(c);
      c.size = size;
      c.hwm = hwm;
      c.pullAlg = pull;
      c.cancelAlg = cancel;
      s.ctrl = c;
      const r = start();
      upon(resolvedWith(r), () => { c.started = true; callPullIfNeeded(c); }, (e) => readableControllerError(c, e));
    }
    function readableDesiredSize(c) {
      const state = c.stream.state;
      if (state === 'errored') return null;
      if (state === 'closed') return 0;
      return c.hwm - c.queueSize;
    }
    const canCloseOrEnqueue = (c) => !c.closeRequested && c.stream.state === 'readable';
    function clearReadableAlgorithms(c) { c.pullAlg = undefined; c.cancelAlg = undefined; c.size = undefined; }
    function readableControllerClose(c) {
      if (!canCloseOrEnqueue(c)) return;
      c.closeRequested = true;
      if (c.queue.length === 0) {
        clearReadableAlgorithms(c);
        readableClose(c.stream);
      }
    }
    function readableControllerEnqueue(c, chunk) {
      if (!canCloseOrEnqueue(c)) return;
      const s = c.stream;
      if (s.reader !== undefined && s.reader.requests.length > 0) {
        s.reader.requests.shift().chunk(chunk);
      } else {
        let size;
        try {
          size = c.size(chunk);
          enqueueWithSize(c, chunk, size);
        } catch (e) {
          readableControllerError(c, e);
          throw e;
        }
      }
      callPullIfNeeded(c);
    }
    function readableControllerError(c, e) {
      const s = c.stream;
      if (s.state !== 'readable') return;
      resetQueue(c);
      clearReadableAlgorithms(c);
      readableError(s, e);
    }
    function shouldCallPull(c) {
      if (!canCloseOrEnqueue(c) || !c.started) return false;
      const s = c.stream;
      if (s.reader !== undefined && s.reader.requests.length > 0) return true;
      return readableDesiredSize(c) > 0;
    }
    function callPullIfNeeded(c) {
      if (!shouldCallPull(c)) return;
      if (c.pulling) { c.pullAgain = true; return; }
      c.pulling = true;
      upon(c.pullAlg(), () => {
        c.pulling = false;
        if (c.pullAgain) { c.pullAgain = false; callPullIfNeeded(c); }
      }, (e) => readableControllerError(c, e));
    }
    const hasBackpressure = (c) => !shouldCallPull(c);
    // [[PullSteps]]
    function readablePullSteps(c, req) {
      const s = c.stream;
      if (c.queue.length > 0) {
        const chunk = dequeueValue(c);
        if (c.closeRequested && c.queue.length === 0) {
          clearReadableAlgorithms(c);
          readableClose(s);
        } else callPullIfNeeded(c);
        req.chunk(chunk);
      } else {
        s.reader.requests.push(req);
        callPullIfNeeded(c);
      }
    }

    function readableClose(s) {
      s.state = 'closed';
      const r = s.reader;
      if (r === undefined) return;
      settle(r.closed, true, undefined);
      const reqs = r.requests;
      r.requests = [];
      for (const q of reqs) q.close();
    }
    function readableError(s, e) {
      s.state = 'errored';
      s.storedError = e;
      const r = s.reader;
      if (r === undefined) return;
      settle(r.closed, false, e);
      const reqs = r.requests;
      r.requests = [];
      for (const q of reqs) q.error(e);
    }
    function readableCancel(s, reason) {
      s.disturbed = true;
      if (s.state === 'closed') return resolvedWith(undefined);
      if (s.state === 'errored') return rejectedWith(s.storedError);
      readableClose(s);
      const c = s.ctrl;
      resetQueue(c);
      const p = c.cancelAlg(reason);
      clearReadableAlgorithms(c);
      return PromiseThen(p, () => undefined);
    }

    // ReadableStreamDefaultReader
    class ReadableStreamDefaultReader {
      #r;
      constructor(stream) {
        needArgs(arguments, 1, 'ReadableStreamDefaultReader');
        if (making) { making = false; return; }
        if (!isRS(stream)) throw new TypeError('ReadableStreamDefaultReader: the argument is not a ReadableStream');
        this.#r = initReader(this, rsState(stream));
      }
      static _set(o, r) { o.#r = r; }
      get closed() {
        let r;
        try { r = this.#r; } catch (e) { return rejectedWith(e); }
        return r.closed.promise;
      }
      cancel(reason = undefined) {
        let r;
        try { r = this.#r; } catch (e) { return rejectedWith(e); }
        if (r.stream === undefined) return rejectedT('ReadableStreamDefaultReader.cancel: the reader has been released');
        return readableCancel(r.stream, reason);
      }
      read() {
        let r;
        try { r = this.#r; } catch (e) { return rejectedWith(e); }
        if (r.stream === undefined) return rejectedT('ReadableStreamDefaultReader.read: the reader has been released');
        const d = deferred();
        readerRead(r, {
          chunk: (value) => d.resolve({ value, done: false }),
          close: () => d.resolve({ value: undefined, done: true }),
          error: (e) => d.reject(e),
        });
        return d.promise;
      }
      releaseLock() {
        const r = this.#r;
        if (r.stream === undefined) return;
        readerRelease(r);
      }
    }
    const setReader = takeStatic(ReadableStreamDefaultReader, '_set');
    idl(ReadableStreamDefaultReader, 'ReadableStreamDefaultReader');
    function initReader(pub, s) {
      if (s.reader !== undefined) throw new TypeError('ReadableStreamDefaultReader: the stream is locked to another reader');
      const r = { pub, stream: s, closed: null, requests: [] };
      s.reader = r;
      if (s.state === 'readable') r.closed = deferred();
      else if (s.state === 'closed') r.closed = settled(true, undefined);
      else r.closed = settled(false, s.storedError);
      return r;
    }
    // AcquireReadableStreamDefaultReader
    function newReader(s) {
      const r = initReader(null, s);
      making = true;
      r.pub = new ReadableStreamDefaultReader(undefined);
      setReader(r.pub, r);
      return r;
    }
    function readerRead(r, req) {
      const s = r.stream;
      s.disturbed = true;
      if (s.state === 'closed') req.close();
      else if (s.state === 'errored') req.error(s.storedError);
      else readablePullSteps(s.ctrl, req);
    }
    function readerRelease(r) {
      const s = r.stream;
      const e = new TypeError('the reader was released');
      if (s.state === 'readable') settle(r.closed, false, e);
      else r.closed = settled(false, e);
      s.reader = undefined;
      r.stream = undefined;
      const reqs = r.requests;
      r.requests = [];
      for (const q of reqs) q.error(e);
    }

    // Async iteration (WebIDL async iterator with ReadableStream's steps):
    // next() and return() wait for the one before them.
    const END = {};
    class StreamIterator {
      #st;
      constructor(r, preventCancel) { this.#st = { reader: r, preventCancel, ongoing: undefined, finished: false }; }
      next() {
        let st;
        try { st = this.#st; } catch (e) { return rejectedWith(e); }
        const steps = () => {
          if (st.finished) return resolvedWith({ value: undefined, done: true });
          return PromiseThen(iteratorNext(st), (v) => {
            st.ongoing = undefined;
            if (v !== END) return { value: v, done: false };
            st.finished = true;
            return { value: undefined, done: true };
          }, (e) => {
            st.ongoing = undefined;
            st.finished = true;
            throw e;
          });
        };
        st.ongoing = st.ongoing ? PromiseThen(st.ongoing, steps, steps) : steps();
        return st.ongoing;
      }
      return(value = undefined) {
        let st;
        try { st = this.#st; } catch (e) { return rejectedWith(e); }
        const steps = () => {
          if (st.finished) return resolvedWith(undefined);
          st.finished = true;
          return iteratorReturn(st, value);
        };
        st.ongoing = st.ongoing ? PromiseThen(st.ongoing, steps, steps) : steps();
        return PromiseThen(st.ongoing, () => ({ value, done: true }));
      }
    }
    ObjectSetPrototypeOf(StreamIterator.prototype, ObjectGetPrototypeOf(ObjectGetPrototypeOf((async function* () {}).prototype)));
    delete StreamIterator.prototype.constructor;
    ObjectDefineProperty(StreamIterator.prototype, SymbolToStringTag, { value: 'ReadableStream AsyncIterator', configurable: true });
    const newAsyncIterator = (r, preventCancel) => new StreamIterator(r, preventCancel);
    function iteratorNext(st) {
      const r = st.reader;
      const d = deferred();
      readerRead(r, {
        chunk: (value) => d.resolve(value),
        close: () => { readerRelease(r); d.resolve(END); },
        error: (e) => { readerRelease(r); d.reject(e); },
      });
      return d.promise;
    }
    function iteratorReturn(st, value) {
      const r = st.reader;
      if (!st.preventCancel) {
        const p = readableCancel(r.stream, value);
        readerRelease(r);
        return p;
      }
      readerRelease(r);
      return resolvedWith(undefined);
    }

    // ReadableStreamDefaultTee (no cloning of chunks)
    function readableTee(s) {
      const r = newReader(s);
      let reading = false, readAgain = false, canceled1 = false, canceled2 = false, reason1, reason2;
      const cancelDone = deferred();
      let b1, b2;
      function pull() {
        if (reading) { readAgain = true; return resolvedWith(undefined); }
        reading = true;
        readerRead(r, {
          chunk: (chunk) => queueMicro(() => {
            readAgain = false;
            if (!canceled1) readableControllerEnqueue(b1.ctrl, chunk);
            if (!canceled2) readableControllerEnqueue(b2.ctrl, chunk);
            reading = false;
            if (readAgain) pull();
          }),
          close: () => {
            reading = false;
            if (!canceled1) readableControllerClose(b1.ctrl);
            if (!canceled2) readableControllerClose(b2.ctrl);
            if (!canceled1 || !canceled2) cancelDone.resolve(undefined);
          },
          error: () => { reading = false; },
        });
        return resolvedWith(undefined);
      }
      function cancel1(reason) {
        canceled1 = true;
        reason1 = reason;
        if (canceled2) cancelDone.resolve(readableCancel(s, [reason1, reason2]));
        return cancelDone.promise;
      }
      function cancel2(reason) {
        canceled2 = true;
        reason2 = reason;
        if (canceled1) cancelDone.resolve(readableCancel(s, [reason1, reason2]));
        return cancelDone.promise;
      }
      b1 = createReadable(noop, pull, cancel1);
      b2 = createReadable(noop, pull, cancel2);
      upon(r.closed.promise, undefined, (e) => {
        readableControllerError(b1.ctrl, e);
        readableControllerError(b2.ctrl, e);
        if (!canceled1 || !canceled2) cancelDone.resolve(undefined);
      });
      return [b1, b2];
    }

    // ReadableStreamFromIterable
    function readableFrom(iterable) {
      let method = iterable === null || iterable === undefined ? undefined : iterable[SymbolAsyncIterator];
      let iterator;
      if (method === undefined || method === null) {
        const sync = iterable === null || iterable === undefined ? undefined : iterable[SymbolIterator];
        if (typeof sync !== 'function') throw new TypeError('ReadableStream.from: the argument is not iterable');
        iterator = asyncFromSync(ReflectApply(sync, iterable, []));
      } else {
        if (typeof method !== 'function') throw new TypeError('ReadableStream.from: Symbol.asyncIterator is not a function');
        iterator = ReflectApply(method, iterable, []);
      }
      if (!isObject(iterator)) throw new TypeError('ReadableStream.from: the iterator is not an object');
      const next = iterator.next;
      let s;
      const pull = () => {
        let p;
        try { p = resolvedWith(ReflectApply(next, iterator, [])); } catch (e) { return rejectedWith(e); }
        return PromiseThen(p, (res) => {
          if (!isObject(res)) throw new TypeError('ReadableStream.from: the iterator result is not an object');
          if (res.done) readableControllerClose(s.ctrl);
          else readableControllerEnqueue(s.ctrl, res.value);
        });
      };
      const cancel = (reason) => {
        let p;
        try {
          const ret = iterator.return;
          if (ret === undefined || ret === null) return resolvedWith(undefined);
          p = resolvedWith(ReflectApply(ret, iterator, [reason]));
        } catch (e) {
          return rejectedWith(e);
        }
        return PromiseThen(p, (res) => { if (!isObject(res)) throw new TypeError('ReadableStream.from: the iterator result is not an object'); });
      };
      s = createReadable(noop, pull, cancel, 0);
      return s;
    }
    // CreateAsyncFromSyncIterator: values that are promises are awaited
    function asyncFromSync(it) {
      const step = (res) => {
        if (!isObject(res)) throw new TypeError('the iterator result is not an object');
        const done = !!res.done;
        return PromiseThen(resolvedWith(res.value), (value) => ({ value, done }));
      };
      return {
        next() { return step(ReflectApply(it.next, it, [])); },
        return(v) {
          const ret = it.return;
          if (ret === undefined || ret === null) return resolvedWith({ value: v, done: true });
          return step(ReflectApply(ret, it, [v]));
        },
      };
    }

    // A stream of bytes, read on first pull (Blob.stream(), bodies): chunks
    // of 64 KiB. load() gives the Uint8Array; it may throw.
    function bytesStream(bytesOrLoad) {
      let bytes = typeof bytesOrLoad === 'function' ? null : bytesOrLoad, at = 0;
      const s = createReadable(noop, () => {
        if (bytes === null) {
          try { bytes = bytesOrLoad(); } catch (e) { return rejectedWith(e); }
        }
        if (at < bytes.length) {
          const end = MathMin(bytes.length, at + 65536);
          readableControllerEnqueue(s.ctrl, new Uint8ArrayCtor(bytes.subarray(at, end)));
          at = end;
        }
        if (at >= bytes.length) readableControllerClose(s.ctrl);
        return resolvedWith(undefined);
      }, () => { bytes = new Uint8ArrayCtor(0); return resolvedWith(undefined); }, 0);
      return s.pub;
    }

    // -------------------------------------------------------------------------
    // WritableStream
    // -------------------------------------------------------------------------
    const CLOSE = {}; // the close sentinel in a controller's queue
    class WritableStream {
      #s;
      constructor(underlyingSink = undefined, strategy = undefined) {
        const s = this.#s = {
          pub: this, state: 'writable', storedError: undefined, writer: undefined, ctrl: undefined, writeRequests: new Queue(),
          inFlightWrite: undefined, closeRequest: undefined, inFlightClose: undefined, pendingAbort: undefined, backpressure: false,
        };
        if (making) { making = false; return; }
        const sink = dict(underlyingSink, 'WritableStream: the underlying sink');
        const strat = dict(strategy, 'WritableStream: the strategy');
        const start = callback(sink.start, 'WritableStream: sink.start');
        const write = callback(sink.write, 'WritableStream: sink.write');
        const close = callback(sink.close, 'WritableStream: sink.close');
        const abort = callback(sink.abort, 'WritableStream: sink.abort');
        if (sink.type !== undefined) throw new RangeError('WritableStream: invalid type');
        const size = extractSize(strat);
        const hwm = extractHWM(strat, 1);
        const c = newWritableController(s);
        setupWritableController(s, c,
          start ? () => ReflectApply(start, sink, [c.pub]) : noop,
          write ? (chunk) => promiseCall(write, sink, [chunk, c.pub]) : () => resolvedWith(undefined),
          close ? () => promiseCall(close, sink, []) : () => resolvedWith(undefined),
          abort ? (r) => promiseCall(abort, sink, [r]) : () => resolvedWith(undefined),
          hwm, size);
      }
      static _s(o) { return o.#s; }
      get locked() { return this.#s.writer !== undefined; }
      abort(reason = undefined) {
        let s;
        try { s = this.#s; } catch (e) { return rejectedWith(e); }
        if (s.writer !== undefined) return rejectedT('WritableStream.abort: the stream is locked');
        return writableAbort(s, reason);
      }
      close() {
        let s;
        try { s = this.#s; } catch (e) { return rejectedWith(e); }
        if (s.writer !== undefined) return rejectedT('WritableStream.close: the stream is locked');
        if (closeQueuedOrInFlight(s)) return rejectedT('WritableStream.close: the stream is already closing');
        return writableClose(s);
      }
      getWriter() { return newWriter(this.#s).pub; }
    }
    const wsState = takeStatic(WritableStream, '_s');
    idl(WritableStream, 'WritableStream');

    class WritableStreamDefaultController {
      #c;
      constructor() {
        if (!making) throw new TypeError('Illegal constructor');
        making = false;
      }
      static _set(o, c) { o.#c = c; }
      get signal() { return this.#c.abortController.signal; }
      error(e = undefined) {
        const c = this.#c;
        if (c.stream.state !== 'writable') return;
        writableControllerError(c, e);
      }
    }
    const setWritableController = takeStatic(WritableStreamDefaultController, '_set');
    idl(WritableStreamDefaultController, 'WritableStreamDefaultController');
    function newWritableController(s) {
      making = true;
      const pub = new WritableStreamDefaultController();
      const c = { pub, stream: s, queue: null, queueSize: 0, abortController: new AbortController(), started: false,
        size: undefined, hwm: 1, writeAlg: undefined, closeAlg: undefined, abortAlg: undefined };
      setWritableController(pub, c);
      return c;
    }
    function createWritable(start, write, close, abort, hwm, size) {
      making = true;
      const s = wsState(new WritableStream());
      setupWritableController(s, newWritableController(s), start, write, close, abort, hwm, size);
      return s;
    }
    function setupWritableController(s, c, start, write, close, abort, hwm, size) {
      s.ctrl = c;
      resetQueue(c);
      c.size = size;
      c.hwm = hwm;
      c.writeAlg = write;
      c.closeAlg = close;
      c.abortAlg = abort;
      updateBackpressure(s, writableBackpressure(c));
      const r = start();
      upon(resolvedWith(r), () => { c.started = true; advanceQueueIfNeeded(c); },
        (e) => { c.started = true; dealWithRejection(s, e); });
    }
    const closeQueuedOrInFlight = (s) => s.closeRequest !== undefined || s.inFlightClose !== undefined;
    const hasOperationInFlight = (s) => s.inFlightWrite !== undefined || s.inFlightClose !== undefined;
    function writableAbort(s, reason) {
      if (s.state === 'closed' || s.state === 'errored') return resolvedWith(undefined);
      s.ctrl.abortController.abort(reason);
      const state = s.state;
      if (state === 'closed' || state === 'errored') return resolvedWith(undefined);
      if (s.pendingAbort !== undefined) return s.pendingAbort.d.promise;
      let wasAlreadyErroring = false;
      if (state === 'erroring') { wasAlreadyErroring = true; reason = undefined; }
      const d = deferred();
      s.pendingAbort = { d, reason, wasAlreadyErroring };
      if (!wasAlreadyErroring) startErroring(s, reason);
      return d.promise;
    }
    function writableClose(s) {
      const state = s.state;
      if (state === 'closed' || state === 'errored') return rejectedT(`the stream is ${state} and cannot be closed`);
      const d = deferred();
      s.closeRequest = d;
      const w = s.writer;
      if (w !== undefined && s.backpressure && state === 'writable') settle(w.ready, true, undefined);
      enqueueWithSize(s.ctrl, CLOSE, 0);
      advanceQueueIfNeeded(s.ctrl);
      return d.promise;
    }
    function dealWithRejection(s, e) {
      if (s.state === 'writable') startErroring(s, e);
      else finishErroring(s);
    }
    function startErroring(s, reason) {
      const c = s.ctrl;
      s.state = 'erroring';
      s.storedError = reason;
      const w = s.writer;
      if (w !== undefined) ensureRejected(w, 'ready', reason);
      if (!hasOperationInFlight(s) && c.started) finishErroring(s);
    }
    function finishErroring(s) {
      s.state = 'errored';
      resetQueue(s.ctrl);
      const e = s.storedError;
      while (s.writeRequests.length) s.writeRequests.shift().reject(e);
      const abort = s.pendingAbort;
      if (abort === undefined) { rejectCloseAndClosed(s); return; }
      s.pendingAbort = undefined;
      if (abort.wasAlreadyErroring) { abort.d.reject(e); rejectCloseAndClosed(s); return; }
      const c = s.ctrl;
      const p = c.abortAlg(abort.reason);
      clearWritableAlgorithms(c);
      upon(p, () => { abort.d.resolve(undefined); rejectCloseAndClosed(s); },
        (r) => { abort.d.reject(r); rejectCloseAndClosed(s); });
    }
    function rejectCloseAndClosed(s) {
      if (s.closeRequest !== undefined) { s.closeRequest.reject(s.storedError); s.closeRequest = undefined; }
      const w = s.writer;
      if (w !== undefined) settle(w.closed, false, s.storedError);
    }
    function finishInFlightWrite(s, ok, e) {
      const d = s.inFlightWrite;
      s.inFlightWrite = undefined;
      if (ok) d.resolve(undefined);
      else { d.reject(e); dealWithRejection(s, e); }
    }
    function finishInFlightClose(s, ok, e) {
      const d = s.inFlightClose;
      s.inFlightClose = undefined;
      if (!ok) {
        d.reject(e);
        if (s.pendingAbort !== undefined) { s.pendingAbort.d.reject(e); s.pendingAbort = undefined; }
        dealWithRejection(s, e);
        return;
      }
      d.resolve(undefined);
      if (s.state === 'erroring') {
        s.storedError = undefined;
        if (s.pendingAbort !== undefined) { s.pendingAbort.d.resolve(undefined); s.pendingAbort = undefined; }
      }
      s.state = 'closed';
      const w = s.writer;
      if (w !== undefined) settle(w.closed, true, undefined);
    }
    function updateBackpressure(s, bp) {
      const w = s.writer;
      if (w !== undefined && bp !== s.backpressure) {
        if (bp) w.ready = deferred();
        else settle(w.ready, true, undefined);
      }
      s.backpressure = bp;
    }

    function clearWritableAlgorithms(c) { c.writeAlg = c.closeAlg = c.abortAlg = c.size = undefined; }
    const writableDesiredSize = (c) => c.hwm - c.queueSize;
    const writableBackpressure = (c) => writableDesiredSize(c) <= 0;
    function writableControllerError(c, e) {
      clearWritableAlgorithms(c);
      startErroring(c.stream, e);
    }
    function errorIfNeeded(c, e) { if (c.stream.state === 'writable') writableControllerError(c, e); }
    function chunkSize(c, chunk) {
      if (c.size === undefined) return 1;
      try { return c.size(chunk); } catch (e) { errorIfNeeded(c, e); return 1; }
    }
    function writableControllerWrite(c, chunk, size) {
      try { enqueueWithSize(c, chunk, size); } catch (e) { errorIfNeeded(c, e); return; }
      const s = c.stream;
      if (!closeQueuedOrInFlight(s) && s.state === 'writable') updateBackpressure(s, writableBackpressure(c));
      advanceQueueIfNeeded(c);
    }
    function advanceQueueIfNeeded(c) {
      const s = c.stream;
      if (!c.started || s.inFlightWrite !== undefined) return;
      if (s.state === 'erroring') { finishErroring(s); return; }
      if (c.queue.length === 0) return;
      const value = c.queue.peek().value;
      if (value === CLOSE) {
        s.inFlightClose = s.closeRequest;
        s.closeRequest = undefined;
        dequeueValue(c);
        const p = c.closeAlg();
        clearWritableAlgorithms(c);
        upon(p, () => finishInFlightClose(s, true), (e) => finishInFlightClose(s, false, e));
      } else {
        s.inFlightWrite = s.writeRequests.shift();
        upon(c.writeAlg(value), () => {
          finishInFlightWrite(s, true);
          const state = s.state;
          dequeueValue(c);
          if (!closeQueuedOrInFlight(s) && state === 'writable') updateBackpressure(s, writableBackpressure(c));
          advanceQueueIfNeeded(c);
        }, (e) => {
          if (s.state === 'writable') clearWritableAlgorithms(c);
          finishInFlightWrite(s, false, e);
        });
      }
    }

    class WritableStreamDefaultWriter {
      #w;
      constructor(stream) {
        needArgs(arguments, 1, 'WritableStreamDefaultWriter');
        if (making) { making = false; return; }
        if (!isBrand(wsState, stream)) throw new TypeError('WritableStreamDefaultWriter: the argument is not a WritableStream');
        this.#w = initWriter(this, wsState(stream));
      }
      static _set(o, w) { o.#w = w; }
      get closed() {
        let w;
        try { w = this.#w; } catch (e) { return rejectedWith(e); }
        return w.closed.promise;
      }
      get ready() {
        let w;
        try { w = this.#w; } catch (e) { return rejectedWith(e); }
        return w.ready.promise;
      }
      get desiredSize() {
        const w = this.#w;
        if (w.stream === undefined) throw new TypeError('WritableStreamDefaultWriter.desiredSize: the writer has been released');
        return writerDesiredSize(w);
      }
      abort(reason = undefined) {
        let w;
        try { w = this.#w; } catch (e) { return rejectedWith(e); }
        if (w.stream === undefined) return rejectedT('WritableStreamDefaultWriter.abort: the writer has been released');
        return writableAbort(w.stream, reason);
      }
      close() {
        let w;
        try { w = this.#w; } catch (e) { return rejectedWith(e); }
        const s = w.stream;
        if (s === undefined) return rejectedT('WritableStreamDefaultWriter.close: the writer has been released');
        if (closeQueuedOrInFlight(s)) return rejectedT('WritableStreamDefaultWriter.close: the stream is already closing');
        return writableClose(s);
      }
      releaseLock() {
        const w = this.#w;
        if (w.stream === undefined) return;
        writerRelease(w);
      }
      write(chunk = undefined) {
        let w;
        try { w = this.#w; } catch (e) { return rejectedWith(e); }
        if (w.stream === undefined) return rejectedT('WritableStreamDefaultWriter.write: the writer has been released');
        return writerWrite(w, chunk);
      }
    }
    const setWriter = takeStatic(WritableStreamDefaultWriter, '_set');
    idl(WritableStreamDefaultWriter, 'WritableStreamDefaultWriter');
    function initWriter(pub, s) {
      if (s.writer !== undefined) throw new TypeError('WritableStreamDefaultWriter: the stream is locked to another writer');
      const w = { pub, stream: s, ready: null, closed: null };
      s.writer = w;
      const state = s.state;
      if (state === 'writable') {
        w.ready = !closeQueuedOrInFlight(s) && s.backpressure ? deferred() : settled(true, undefined);
        w.closed = deferred();
      } else if (state === 'erroring') {
        w.ready = settled(false, s.storedError);
        w.closed = deferred();
      } else if (state === 'closed') {
        w.ready = settled(true, undefined);
        w.closed = settled(true, undefined);
      } else {
        w.ready = settled(false, s.storedError);
        w.closed = settled(false, s.storedError);
      }
      return w;
    }
    function newWriter(s) {
      const w = initWriter(null, s);
      making = true;
      w.pub = new WritableStreamDefaultWriter(undefined);
      setWriter(w.pub, w);
      return w;
    }
    function ensureRejected(w, which, e) {
      if (w[which].state === 'pending') settle(w[which], false, e);
      else w[which] = settled(false, e);
    }
    function writerDesiredSize(w) {
      const s = w.stream;
      if (s.state === 'errored' || s.state === 'erroring') return null;
      if (s.state === 'closed') return 0;
      return writableDesiredSize(s.ctrl);
    }
    function writerRelease(w) {
      const s = w.stream;
      const e = new TypeError('the writer was released');
      ensureRejected(w, 'ready', e);
      ensureRejected(w, 'closed', e);
      s.writer = undefined;
      w.stream = undefined;
    }
    function writerWrite(w, chunk) {
      const s = w.stream;
      const c = s.ctrl;
      const size = chunkSize(c, chunk);
      if (s !== w.stream) return rejectedT('WritableStreamDefaultWriter.write: the writer has been released');
      const state = s.state;
      if (state === 'errored') return rejectedWith(s.storedError);
      if (closeQueuedOrInFlight(s) || state === 'closed') return rejectedT('WritableStreamDefaultWriter.write: the stream is closing or closed');
      if (state === 'erroring') return rejectedWith(s.storedError);
      const d = deferred();
      s.writeRequests.push(d);
      writableControllerWrite(c, chunk, size);
      return d.promise;
    }
    function writerCloseWithErrorPropagation(w) {
      const s = w.stream;
      if (closeQueuedOrInFlight(s) || s.state === 'closed') return resolvedWith(undefined);
      if (s.state === 'errored') return rejectedWith(s.storedError);
      return writableClose(s);
    }

    // ReadableStreamPipeTo (the reference implementation's algorithm)
    function pipeTo(source, dest, preventClose, preventAbort, preventCancel, signal) {
      const reader = newReader(source);
      const writer = newWriter(dest);
      source.disturbed = true;
      let shuttingDown = false;
      let currentWrite = resolvedWith(undefined);
      const done = deferred();
      let dropAbort = noop;
      if (signal !== undefined) {
        const abortAlgorithm = () => {
          const error = signal.reason;
          const actions = [];
          if (!preventAbort) actions.push(() => (dest.state === 'writable' ? writableAbort(dest, error) : resolvedWith(undefined)));
          if (!preventCancel) actions.push(() => (source.state === 'readable' ? readableCancel(source, error) : resolvedWith(undefined)));
          shutdownWithAction(() => PromiseAll(actions.map((a) => a())), true, error);
        };
        if (signal.reason !== undefined) {
          abortAlgorithm();
          return done.promise;
        }
        dropAbort = addAbortAlgorithm(signal, abortAlgorithm);
      }
      function pipeStep() {
        if (shuttingDown) return resolvedWith(true);
        return PromiseThen(writer.ready.promise, () => {
          if (shuttingDown) return true;
          const d = deferred();
          readerRead(reader, {
            chunk: (chunk) => {
              currentWrite = PromiseThen(writerWrite(writer, chunk), undefined, noop);
              d.resolve(false);
            },
            close: () => d.resolve(true),
            error: d.reject,
          });
          return d.promise;
        });
      }
      function pipeLoop() {
        const d = deferred();
        const next = (stop) => {
          if (stop) d.resolve(undefined);
          else PromiseThen(pipeStep(), next, d.reject);
        };
        next(false);
        return d.promise;
      }
      function waitForWritesToFinish() {
        const old = currentWrite;
        return PromiseThen(currentWrite, () => (old !== currentWrite ? waitForWritesToFinish() : undefined));
      }
      function shutdownWithAction(action, isError, error) {
        if (shuttingDown) return;
        shuttingDown = true;
        const rest = () => upon(action(), () => finalize(isError, error), (e) => finalize(true, e));
        if (dest.state === 'writable' && !closeQueuedOrInFlight(dest)) upon(waitForWritesToFinish(), rest);
        else rest();
      }
      function shutdown(isError, error) {
        if (shuttingDown) return;
        shuttingDown = true;
        if (dest.state === 'writable' && !closeQueuedOrInFlight(dest)) upon(waitForWritesToFinish(), () => finalize(isError, error));
        else finalize(isError, error);
      }
      function finalize(isError, error) {
        writerRelease(writer);
        readerRelease(reader);
        dropAbort();
        if (isError) done.reject(error);
        else done.resolve(undefined);
      }
      // errors must be propagated forward
      const sourceErrored = (e) => {
        if (!preventAbort) shutdownWithAction(() => writableAbort(dest, e), true, e);
        else shutdown(true, e);
      };
      if (source.state === 'errored') sourceErrored(source.storedError);
      else upon(reader.closed.promise, undefined, sourceErrored);
      // errors must be propagated backward
      const destErrored = (e) => {
        if (!preventCancel) shutdownWithAction(() => readableCancel(source, e), true, e);
        else shutdown(true, e);
      };
      if (dest.state === 'errored') destErrored(dest.storedError);
      else upon(writer.closed.promise, undefined, destErrored);
      // closing must be propagated forward
      const sourceClosed = () => {
        if (!preventClose) shutdownWithAction(() => writerCloseWithErrorPropagation(writer));
        else shutdown();
      };
      if (source.state === 'closed') sourceClosed();
      else upon(reader.closed.promise, sourceClosed);
      // closing must be propagated backward
      if (closeQueuedOrInFlight(dest) || dest.state === 'closed') {
        const e = new TypeError('the destination writable stream closed before all data could be piped to it');
        if (!preventCancel) shutdownWithAction(() => readableCancel(source, e), true, e);
        else shutdown(true, e);
      }
      markHandled(pipeLoop());
      return done.promise;
    }

    // -------------------------------------------------------------------------
    // TransformStream (with the transformer's cancel, as the spec has it now)
    // -------------------------------------------------------------------------
    class TransformStream {
      #t;
      constructor(transformer = undefined, writableStrategy = undefined, readableStrategy = undefined) {
        const tr = dict(transformer, 'TransformStream: the transformer');
        const ws = dict(writableStrategy, 'TransformStream: the writable strategy');
        const rs = dict(readableStrategy, 'TransformStream: the readable strategy');
        const start = callback(tr.start, 'TransformStream: transformer.start');
        const transform = callback(tr.transform, 'TransformStream: transformer.transform');
        const flush = callback(tr.flush, 'TransformStream: transformer.flush');
        const cancel = callback(tr.cancel, 'TransformStream: transformer.cancel');
        if (tr.readableType !== undefined) throw new RangeError('TransformStream: invalid readableType');
        if (tr.writableType !== undefined) throw new RangeError('TransformStream: invalid writableType');
        const readableHWM = extractHWM(rs, 0), readableSize = extractSize(rs);
        const writableHWM = extractHWM(ws, 1), writableSize = extractSize(ws);
        const startDone = deferred();
        const t = this.#t = initTransform(this, startDone.promise, writableHWM, writableSize, readableHWM, readableSize);
        const c = t.ctrl = newTransformController(t);
        c.transformAlg = transform ? (chunk) => promiseCall(transform, tr, [chunk, c.pub]) : (chunk) => {
          try { transformEnqueue(c, chunk); return resolvedWith(undefined); } catch (e) { return rejectedWith(e); }
        };
        c.flushAlg = flush ? () => promiseCall(flush, tr, [c.pub]) : () => resolvedWith(undefined);
        c.cancelAlg = cancel ? (r) => promiseCall(cancel, tr, [r]) : () => resolvedWith(undefined);
        startDone.resolve(start ? ReflectApply(start, tr, [c.pub]) : undefined);
      }
      static _t(o) { return o.#t; }
      get readable() { return this.#t.readable.pub; }
      get writable() { return this.#t.writable.pub; }
    }
    idl(TransformStream, 'TransformStream');
    const transformState = takeStatic(TransformStream, '_t');

    class TransformStreamDefaultController {
      #c;
      constructor() {
        if (!making) throw new TypeError('Illegal constructor');
        making = false;
      }
      static _set(o, c) { o.#c = c; }
      get desiredSize() { return readableDesiredSize(this.#c.stream.readable.ctrl); }
      enqueue(chunk = undefined) { transformEnqueue(this.#c, chunk); }
      error(reason = undefined) { transformError(this.#c.stream, reason); }
      terminate() {
        const t = this.#c.stream;
        readableControllerClose(t.readable.ctrl);
        errorWritableAndUnblockWrite(t, new TypeError('the TransformStream was terminated'));
      }
    }
    const setTransformController = takeStatic(TransformStreamDefaultController, '_set');
    idl(TransformStreamDefaultController, 'TransformStreamDefaultController');
    function newTransformController(t) {
      making = true;
      const pub = new TransformStreamDefaultController();
      const c = { pub, stream: t, transformAlg: undefined, flushAlg: undefined, cancelAlg: undefined, finish: undefined };
      setTransformController(pub, c);
      return c;
    }
    function initTransform(pub, startPromise, writableHWM, writableSize, readableHWM, readableSize) {
      const t = { pub, readable: undefined, writable: undefined, backpressure: undefined, backpressureChange: undefined, ctrl: undefined };
      const start = () => startPromise;
      t.writable = createWritable(start, (chunk) => sinkWrite(t, chunk), () => sinkClose(t), (r) => sinkAbort(t, r), writableHWM, writableSize);
      t.readable = createReadable(start, () => { setBackpressure(t, false); return t.backpressureChange.promise; },
        (r) => sourceCancel(t, r), readableHWM, readableSize);
      setBackpressure(t, true);
      return t;
    }
    function transformError(t, e) {
      readableControllerError(t.readable.ctrl, e);
      errorWritableAndUnblockWrite(t, e);
    }
    function clearTransformAlgorithms(c) { c.transformAlg = c.flushAlg = c.cancelAlg = undefined; }
    function errorWritableAndUnblockWrite(t, e) {
      clearTransformAlgorithms(t.ctrl);
      errorIfNeeded(t.writable.ctrl, e);
      if (t.backpressure) setBackpressure(t, false);
    }
    function setBackpressure(t, bp) {
      if (t.backpressureChange !== undefined) t.backpressureChange.resolve(undefined);
      t.backpressureChange = deferred();
      t.backpressure = bp;
    }
    function transformEnqueue(c, chunk) {
      const t = c.stream;
      const rc = t.readable.ctrl;
      if (!canCloseOrEnqueue(rc)) throw new TypeError('TransformStreamDefaultController.enqueue: the readable side is closed or errored');
      try {
        readableControllerEnqueue(rc, chunk);
      } catch (e) {
        errorWritableAndUnblockWrite(t, e);
        throw t.readable.storedError;
      }
      if (hasBackpressure(rc) !== t.backpressure) setBackpressure(t, true);
    }
    function performTransform(c, chunk) {
      return PromiseThen(c.transformAlg(chunk), undefined, (r) => { transformError(c.stream, r); throw r; });
    }
    function sinkWrite(t, chunk) {
      const c = t.ctrl;
      if (t.backpressure) {
        return PromiseThen(t.backpressureChange.promise, () => {
          if (t.writable.state === 'erroring') throw t.writable.storedError;
          return performTransform(c, chunk);
        });
      }
      return performTransform(c, chunk);
    }
    function finishWith(c, p, onOk, onError) {
      c.finish = deferred();
      upon(p, () => onOk(c.finish), (r) => onError(c.finish, r));
      return c.finish.promise;
    }
    function sinkAbort(t, reason) {
      const c = t.ctrl;
      if (c.finish !== undefined) return c.finish.promise;
      const readable = t.readable;
      const p = c.cancelAlg(reason);
      clearTransformAlgorithms(c);
      return finishWith(c, p, (f) => {
        if (readable.state === 'errored') f.reject(readable.storedError);
        else { readableControllerError(readable.ctrl, reason); f.resolve(undefined); }
      }, (f, r) => { readableControllerError(readable.ctrl, r); f.reject(r); });
    }
    function sinkClose(t) {
      const c = t.ctrl;
      if (c.finish !== undefined) return c.finish.promise;
      const readable = t.readable;
      const p = c.flushAlg();
      clearTransformAlgorithms(c);
      return finishWith(c, p, (f) => {
        if (readable.state === 'errored') f.reject(readable.storedError);
        else { readableControllerClose(readable.ctrl); f.resolve(undefined); }
      }, (f, r) => { readableControllerError(readable.ctrl, r); f.reject(r); });
    }
    function sourceCancel(t, reason) {
      const c = t.ctrl;
      if (c.finish !== undefined) return c.finish.promise;
      const writable = t.writable;
      const p = c.cancelAlg(reason);
      clearTransformAlgorithms(c);
      return finishWith(c, p, (f) => {
        if (writable.state === 'errored') f.reject(writable.storedError);
        else {
          errorIfNeeded(writable.ctrl, reason);
          if (t.backpressure) setBackpressure(t, false);
          f.resolve(undefined);
        }
      }, (f, r) => {
        errorIfNeeded(writable.ctrl, r);
        if (t.backpressure) setBackpressure(t, false);
        f.reject(r);
      });
    }
    // a TransformStream made of two algorithms (the encoding streams)
    function transformOf(transform, flush) {
      const ts = new TransformStream();
      const c = transformState(ts).ctrl;
      c.transformAlg = (chunk) => { try { transform(chunk, c.pub); return resolvedWith(undefined); } catch (e) { return rejectedWith(e); } };
      c.flushAlg = () => { try { flush(c.pub); return resolvedWith(undefined); } catch (e) { return rejectedWith(e); } };
      return ts;
    }

    // -------------------------------------------------------------------------
    // TextEncoderStream, TextDecoderStream (Encoding Standard; UTF-8 only, as
    // TextDecoder here)
    // -------------------------------------------------------------------------
    class TextEncoderStream {
      #ts;
      constructor() {
        let pending = ''; // a high surrogate that ended the last chunk
        this.#ts = transformOf((chunk, c) => {
          let s = pending + toStr(chunk);
          pending = '';
          const last = s.charCodeAt(s.length - 1);
          if (last >= 0xD800 && last <= 0xDBFF) { pending = s[s.length - 1]; s = s.slice(0, -1); }
          if (s.length) c.enqueue(utf8(s));
        }, (c) => { if (pending) c.enqueue(new Uint8ArrayCtor([0xEF, 0xBF, 0xBD])); });
      }
      get encoding() { this.#ts; return 'utf-8'; }
      get readable() { return this.#ts.readable; }
      get writable() { return this.#ts.writable; }
    }
    idl(TextEncoderStream, 'TextEncoderStream');

    class TextDecoderStream {
      #ts;
      #decoder;
      constructor(label = 'utf-8', options = undefined) {
        const d = this.#decoder = new TD(label, options);
        this.#ts = transformOf((chunk, c) => {
          if (viewBytes(chunk, isSharedArrayBuffer) === null) throw new TypeError('TextDecoderStream: a chunk must be an ArrayBuffer or an ArrayBufferView');
          const s = d.decode(chunk, { stream: true });
          if (s.length) c.enqueue(s);
        }, (c) => {
          const s = d.decode();
          if (s.length) c.enqueue(s);
        });
      }
      get encoding() { return this.#decoder.encoding; }
      get fatal() { return this.#decoder.fatal; }
      get ignoreBOM() { return this.#decoder.ignoreBOM; }
      get readable() { return this.#ts.readable; }
      get writable() { return this.#ts.writable; }
    }
    idl(TextDecoderStream, 'TextDecoderStream');

    // Reads a stream to its end: the chunks, each checked by take(chunk)
    // (which returns the Uint8Array to keep, or throws); resolves to one
    // Uint8Array. The stream must be neither locked nor disturbed.
    function readAllBytes(pub, take) {
      const s = rsState(pub);
      if (s.reader !== undefined) return rejectedT('the body stream is locked');
      if (s.disturbed) return rejectedT('the body stream has already been read');
      const r = newReader(s);
      const parts = [];
      let size = 0;
      const d = deferred();
      const step = () => {
        readerRead(r, {
          chunk: (chunk) => {
            let b;
            try { b = take(chunk); } catch (e) { d.reject(e); return; }
            parts.push(b);
            size += b.length;
            queueMicro(step);
          },
          close: () => d.resolve(concatBytes(parts, size)),
          error: d.reject,
        });
      };
      step();
      return d.promise;
    }

    // Reads a stream chunk by chunk, each checked by take(chunk) and handed
    // to sink(bytes) before the next is pulled (a sink that blocks holds the
    // stream back). A throwing take or sink cancels the stream with its
    // error and rejects. The stream must be neither locked nor disturbed.
    function pumpBytes(pub, take, sink) {
      const s = rsState(pub);
      if (s.reader !== undefined) return rejectedT('the body stream is locked');
      if (s.disturbed) return rejectedT('the body stream has already been read');
      const r = newReader(s);
      const d = deferred();
      const step = () => {
        readerRead(r, {
          chunk: (chunk) => {
            try { sink(take(chunk)); } catch (e) {
              readableCancel(s, e);
              d.reject(e);
              return;
            }
            queueMicro(step);
          },
          close: () => d.resolve(undefined),
          error: d.reject,
        });
      };
      step();
      return d.promise;
    }

    return {
      globals: {
        Event, CustomEvent, EventTarget, AbortController, AbortSignal, Blob, File, ReadableStream, ReadableStreamDefaultReader,
        ReadableStreamDefaultController, WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController,
        TransformStream, TransformStreamDefaultController, CountQueuingStrategy, ByteLengthQueuingStrategy,
        TextEncoderStream, TextDecoderStream,
      },
      isRS, isBlob: (v) => isBrand(blobBytes, v), blobBytes, makeBlob, isFile, File, isSignal, signalState, signalAbort,
      addAbortAlgorithm, anySignal, newSignal, abortError,
      bytesStream, readAllBytes, pumpBytes,
      locked: (pub) => rsState(pub).reader !== undefined,
      disturbed: (pub) => rsState(pub).disturbed,
      tee: (pub) => readableTee(rsState(pub)).map((b) => b.pub),
      error: (pub, e) => readableControllerError(rsState(pub).ctrl, e),
    };
  }

  // ---------------------------------------------------------------------------
  // Bodies. A body is its bytes (Uint8Array), or a loader that produces them
  // on first read (the request body of `mica serve`), or a ReadableStream
  // (given, or made on first use of `body`), or nothing.
  // ---------------------------------------------------------------------------
  let boundaryCount = 0;
  function multipartEscape(s) { return s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22'); }
  const isUint8Array = (v) => ArrayBufferIsView(v) && TypedArrayTag(v) === 'Uint8Array';
  // Fetch's "fully read": every chunk must be a Uint8Array
  function uint8Chunk(chunk) {
    if (!isUint8Array(chunk)) throw new TypeError('a body stream chunk must be a Uint8Array');
    return chunk;
  }

  // BodyInit -> { bytes, type, stream }
  function extractBody(body, what) {
    if (body === null || body === undefined) return { bytes: null, type: null, stream: null };
    if (typeof body === 'string') return { bytes: utf8(body), type: 'text/plain;charset=UTF-8', stream: null };
    const view = viewBytes(body);
    if (view) return { bytes: new Uint8ArrayCtor(view), type: null, stream: null }; // a copy, as the spec's
    if (isUSP(body)) return { bytes: utf8(USPToString(body)), type: 'application/x-www-form-urlencoded;charset=UTF-8', stream: null };
    if (body instanceof FormData) {
      const boundary = `----micaFormBoundary${(++boundaryCount).toString(16)}${Math.random().toString(16).slice(2)}`;
      const parts = [];
      let size = 0;
      const add = (b) => { parts.push(b); size += b.length; };
      for (const [n, v] of formList(body)) {
        const head = `--${boundary}\r\nContent-Disposition: form-data; name="${multipartEscape(n)}"`;
        if (typeof v === 'string') { add(utf8(`${head}\r\n\r\n${v.replace(/\r?\n|\r/g, '\r\n')}\r\n`)); continue; }
        add(utf8(`${head}; filename="${multipartEscape(v.name)}"\r\nContent-Type: ${v.type || 'application/octet-stream'}\r\n\r\n`));
        add(W.blobBytes(v));
        add(utf8('\r\n'));
      }
      add(utf8(`--${boundary}--\r\n`));
      const bytes = new Uint8ArrayCtor(size);
      let at = 0;
      for (const p of parts) { bytes.set(p, at); at += p.length; }
      return { bytes, type: `multipart/form-data; boundary=${boundary}`, stream: null };
    }
    if (W !== null) {
      // the bytes of a Blob never change: no copy
      if (W.isBlob(body)) return { bytes: W.blobBytes(body), type: body.type === '' ? null : body.type, stream: null };
      if (W.isRS(body)) {
        if (W.locked(body) || W.disturbed(body)) throw new TypeError(`${what}: the body stream is locked or has been read`);
        return { bytes: null, type: null, stream: body };
      }
    }
    return { bytes: utf8(toStr(body)), type: 'text/plain;charset=UTF-8', stream: null };
  }

  class BodyState {
    constructor(bytes, loader, stream = null) {
      this.bytes = bytes; // Uint8Array or null
      this.loader = loader; // () => Uint8Array, or null
      this.stream = stream; // ReadableStream or null; once there is one, reads go through it
      this.used = false; // read without a stream
    }
    has() { return this.bytes !== null || this.loader !== null || this.stream !== null; }
    disturbed() { return this.used || (this.stream !== null && W.disturbed(this.stream)); }
    unusable() { return this.disturbed() || (this.stream !== null && W.locked(this.stream)); }
    getStream() {
      if (this.stream === null) this.stream = web().bytesStream(this.used ? new Uint8ArrayCtor(0) : () => this.take());
      return this.stream;
    }
    take() {
      if (this.loader) { this.bytes = this.loader(); this.loader = null; }
      return this.bytes || new Uint8ArrayCtor(0);
    }
    // The body's bytes, once: through its stream if it has one (each chunk
    // checked by check), else at once.
    async consume(check) {
      if (this.stream !== null && !this.used) return W.readAllBytes(this.stream, check);
      return this.takeOnce();
    }
    // consume() of a body without a stream, at once
    takeOnce() {
      if (this.used) throw new TypeError('Body is unusable: it has already been read');
      this.used = true;
      return this.take();
    }
    clone() {
      if (this.unusable()) throw new TypeError('clone: the body has already been used');
      if (this.stream !== null) {
        const [a, b] = W.tee(this.stream);
        this.stream = a;
        return new BodyState(null, null, b);
      }
      if (this.loader) { this.bytes = this.loader(); this.loader = null; }
      return new BodyState(this.bytes, null);
    }
  }

  function mimeOf(headers) {
    const t = headers.get('content-type');
    return t === null ? '' : t.split(';')[0].trim().toLowerCase();
  }

  // multipart/form-data (RFC 7578) -> FormData: parts with a filename become
  // Files (text/plain when they have no Content-Type, as node's undici does).
  function parseMultipart(b, contentType) {
    const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
    if (!m) throw new TypeError('formData(): the multipart/form-data Content-Type has no boundary');
    const delim = `--${m[1] !== undefined ? m[1] : m[2]}`;
    // the body as a latin1 string, for searching: joined once (+= would copy it over and over)
    const chunks = [];
    for (let k = 0; k < b.length; k += 8192) chunks.push(ReflectApply(StringFromCharCode, null, b.subarray(k, k + 8192)));
    const s = chunks.join('');
    const bad = () => new TypeError('formData(): the multipart/form-data body is malformed');
    const unescape = (v) => utf8decode(latin1Bytes(v.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%22/g, '"')));
    const fd = new FormData();
    let pos = s.startsWith(delim) ? 0 : s.indexOf(`\r\n${delim}`) + 2;
    if (pos < 2 && !s.startsWith(delim)) throw bad();
    for (;;) {
      pos += delim.length;
      if (s.startsWith('--', pos)) return fd;
      const eol = s.indexOf('\r\n', pos);
      if (eol < 0) throw bad();
      pos = eol + 2;
      let name = null, filename = null, type = '';
      for (;;) {
        const end = s.indexOf('\r\n', pos);
        if (end < 0) throw bad();
        const line = s.slice(pos, end);
        pos = end + 2;
        if (line === '') break;
        const colon = line.indexOf(':');
        if (colon < 0) throw bad();
        const hn = line.slice(0, colon).trim().toLowerCase(), hv = line.slice(colon + 1).trim();
        if (hn === 'content-type') type = hv;
        else if (hn === 'content-disposition') {
          if (!/^form-data\s*(;|$)/i.test(hv)) throw bad();
          const nm = /;\s*name="([^"]*)"/i.exec(hv) || /;\s*name=([^;\s]*)/i.exec(hv);
          const fn = /;\s*filename="([^"]*)"/i.exec(hv) || /;\s*filename=([^;\s]*)/i.exec(hv);
          if (nm) name = unescape(nm[1]);
          if (fn) filename = unescape(fn[1]);
        }
      }
      if (name === null) throw bad();
      const next = s.indexOf(`\r\n${delim}`, pos);
      if (next < 0) throw bad();
      const body = b.subarray(pos, next);
      if (filename === null) fd.append(name, utf8decode(body));
      else fd.append(name, new (web().File)([body], filename, { type: type || 'text/plain' }));
      pos = next + 2;
    }
  }

  // The Body mixin, on both Request and Response (st: their BodyState).
  function bodyMixin(cls, stateOf, headersOf) {
    const consume = (self) => stateOf(self).consume(uint8Chunk);
    const methods = {
      get body() {
        const st = stateOf(this);
        return st.has() ? st.getStream() : null;
      },
      get bodyUsed() { return stateOf(this).disturbed(); },
      async arrayBuffer() { const b = await consume(this); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); },
      async bytes() { const b = await consume(this); return new Uint8ArrayCtor(b); },
      async text() { return utf8decode(await consume(this)); },
      async json() { return JSONParse(utf8decode(await consume(this))); },
      async formData() {
        const headers = headersOf(this);
        const type = mimeOf(headers);
        const b = await consume(this);
        if (type === 'application/x-www-form-urlencoded') {
          const fd = new FormData();
          USPForEach(new USP(utf8decode(b)), (v, n) => fd.append(n, v));
          return fd;
        }
        if (type === 'multipart/form-data') return parseMultipart(b, headers.get('content-type'));
        throw new TypeError(`formData(): cannot parse a body of type '${type}'`);
      },
      async blob() {
        const type = headersOf(this).get('content-type');
        const b = await consume(this);
        return web().makeBlob(new Uint8ArrayCtor(b), type === null || /[^\u0020-\u007e]/.test(type) ? '' : type.toLowerCase());
      },
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
    #signalIn = null; // the AbortSignal this request follows (init.signal, or the input's)
    #signal = null; // request.signal, made on first use
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
        this.#signalIn = src.#signalIn;
      }
      if (init.signal !== undefined) {
        // no AbortSignal can exist before makeWeb() has run
        if (init.signal !== null && !(W !== null && W.isSignal(init.signal))) throw new TypeError('Request: init.signal is not an AbortSignal');
        this.#signalIn = init.signal;
      }
      // node wants duplex: 'half' with a stream body; workerd and mica do not
      if (init.duplex !== undefined && toStr(init.duplex) !== 'half')
        throw new TypeError(`Request: invalid duplex '${toStr(init.duplex)}': only 'half' is supported`);
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
      // the input's body counts too, even under init.body null (Fetch: the Request constructor)
      if ((this.#method === 'GET' || this.#method === 'HEAD') &&
          ((init.body !== undefined && init.body !== null) || (src && src.#body.has())))
        throw new TypeError('Request: a GET or HEAD request cannot have a body');
      if (init.body !== undefined && init.body !== null) {
        const { bytes, type, stream } = extractBody(init.body, 'Request');
        if (type !== null) defaultType(this.#headers, type);
        state = new BodyState(bytes, null, stream);
      } else if (src && src.#body.has()) {
        const sb = src.#body;
        if (sb.unusable()) throw new TypeError('Request: the body of the input request has already been used');
        // the input's stream moves to the new request (the spec pipes it through a proxy)
        state = sb.stream !== null ? new BodyState(null, null, sb.stream) : sb.clone();
        sb.used = true;
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
    static _signalIn(r) { return r.#signalIn; }
    get method() { return this.#method; }
    get url() { return this.#url; }
    get headers() { return this.#headers; }
    get redirect() { return this.#redirect; }
    get signal() {
      if (this.#signal === null) {
        const w = web();
        this.#signal = this.#signalIn === null ? w.newSignal() : w.anySignal([w.signalState(this.#signalIn)]).pub;
      }
      return this.#signal;
    }
    get duplex() { return 'half'; }
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
      r.#signalIn = this.#signalIn;
      return r;
    }
  }
  const makeRequest = Request._make, requestState = Request._state, requestSignalIn = Request._signalIn;
  delete Request._make;
  delete Request._state;
  delete Request._signalIn;
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
      if (text !== '' && !REASON.test(text)) throw new TypeError('Response: invalid statusText');
      this.#status = status;
      this.#statusText = text;
      this.#headers = new Headers(init.headers);
      headersGuard(this.#headers, 'response');
      let bytes = null, stream = null;
      if (body !== null && body !== undefined) {
        if (NULL_BODY_STATUS.includes(status)) throw new TypeError(`Response: a ${status} response cannot have a body`);
        const ex = extractBody(body, 'Response');
        bytes = ex.bytes;
        stream = ex.stream;
        if (ex.type !== null) defaultType(this.#headers, ex.type);
      }
      this.#body = new BodyState(bytes, null, stream);
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
      headersGuard(r.#headers, 'immutable'); // as the standard has it
      return r;
    }
    static json(data, init) {
      const s = JSONStringify(data);
      if (s === undefined) throw new TypeError('Response.json: the data cannot be serialized as JSON');
      const h = new Headers(init && init.headers);
      defaultType(h, 'application/json');
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
  const u32 = (b, i) => (b[i] | b[i + 1] << 8 | b[i + 2] << 16 | b[i + 3] << 24) >>> 0;
  const put32 = (b, i, v) => { b[i] = v; b[i + 1] = v >>> 8; b[i + 2] = v >>> 16; b[i + 3] = v >>> 24; };
  const PART = 1 << 20; // response bytes per host call
  // readHead(bytes, at, count): a head's count fields (u32 length + a byte
  // per character) as [first, second, pairs, end], pairs a Headers' list
  // ([name lowered, value]). frameOf(status, reason, list, body, first):
  // respond()'s head frame (encodeResponse). Native: the interpreter took
  // 40-70 ns a byte, and then ~3 us of a request's ~17 in the dispatcher.
  const readHead = nativeLatin1 && nativeLatin1.head, frameOf = nativeLatin1 && nativeLatin1.frame;

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
    ObjectDefineProperty(G, '__mica_serve', { value: serveOne, writable: false, enumerable: false, configurable: false });
    ObjectDefineProperty(G, '__mica_serve_batch', { value: serveBatch, writable: false, enumerable: false, configurable: false });
    dispatchNative.onIdle(onIdle);
    // outbound fetch() exists only under `mica serve`, where the host has it
    ObjectDefineProperty(G, 'fetch', { value: fetch, writable: true, enumerable: false, configurable: true });
    delete G.__mica_serve_init;
    // made before the snapshot, so that no request pays for them
    installWebGlobals();
  }

  // A chunk of the handler's Response body stream: bytes (an ArrayBuffer or
  // any view of one, as workerd takes them; the standard wants Uint8Arrays)
  // or a string (UTF-8); anything else is a TypeError, so a 500 (or, once
  // the head is out, a body cut short).
  function responseChunk(chunk) {
    if (typeof chunk === 'string') return utf8(chunk);
    if (isUint8Array(chunk)) return chunk;
    const b = viewBytes(chunk, isSharedArrayBuffer);
    if (b !== null) return b;
    throw new TypeError('the Response body stream gave a chunk that is neither bytes nor a string');
  }

  // Sends the handler's Response through respond(). A body of bytes goes
  // whole, with its length, at once (no await: the common case pays for no
  // promise jobs); a ReadableStream body goes as it is made: the head at
  // once, then each chunk, respond() blocking while the client is behind
  // (back-pressure), then an empty part for its end.
  // inline: a response of one frame is returned, for __mica_serve to give
  // back as its result, instead of sent (a host call fewer).
  function sendResponse(res, inline) {
    const st = responseState(res);
    if (st.unusable()) throw new TypeError('the body of the Response has already been read');
    if (st.stream !== null) return sendStream(res, st);
    const parts = encodeResponse(res, st.takeOnce());
    if (inline && parts.length === 1) return parts[0];
    for (const p of parts) toHost().respond(p);
    return undefined;
  }
  async function sendStream(res, st) {
    for (const p of encodeResponse(res, null)) toHost().respond(p);
    await W.pumpBytes(st.stream, responseChunk, (b) => { if (b.length) toHost().respond(b); });
    toHost().respond(new Uint8ArrayCtor(0));
    return undefined;
  }

  // respond()'s frames: the head (body null: streamed), then 1 MiB parts.
  // Names, values and the reason are byte strings (checked when set): a
  // byte per character, written straight into the frame.
  function encodeResponse(res, body) {
    const list = [], hl = headersList(res.headers);
    // combined per name, in first-seen order; each set-cookie on its own
    const names = [], values = ObjectCreate(null);
    for (let i = 0; i < hl.length; i++) {
      const n = hl[i][0], v = hl[i][1];
      if (n === 'set-cookie') { list.push(n, v); continue; }
      if (values[n] === undefined) { names.push(n); values[n] = v; } else values[n] += `, ${v}`;
    }
    for (let i = 0; i < names.length; i++) list.push(names[i], values[names[i]]);
    const first = body === null ? 0 : MathMin(body.length, PART);
    const parts = [frameOf(res.status, res.statusText, list, body, first)];
    if (body === null) return parts;
    for (let i = first; i < body.length; i += PART) parts.push(body.subarray(i, MathMin(body.length, i + PART)));
    return parts;
  }

  // The request of a batch that runs now, and the one the host takes host
  // calls (and what was logged since the last owner()) to be of: made the
  // same, with one host call, before the running request's first host call.
  let running = 0, owned = 0;
  function toHost() {
    flushHeld();
    if (owned !== running) {
      host.owner(running);
      owned = running;
    }
    return host;
  }

  // __mica_serve_batch(frame): several requests in one call, one after the
  // other (`mica serve --isolation reuse`: the exit per call is what a small
  // request costs most on KVM). frame: u32 count, then each request's
  // __mica_serve frame as u32 length + bytes. Each request ends as at the end
  // of a call of its own (end(): its timers dropped, its unhandled rejection
  // its failure). Its result is held, and handed over (results(), a batch
  // result) before the guest waits for the host: before a host call, and
  // when the event loop is about to wait (onIdle, which also gives back the
  // requests not started: they are not held up by one that waits); the rest
  // is returned. A batch result: u32 first (the index of its first request),
  // u32 n, u32 end (no request from end on will be started), then for each
  // u32 kind and u32 length + bytes: kind 0, answered through respond(); 1,
  // the response frame __mica_serve would return; 2, the text of the
  // handler's exception. No request is started past BATCH_BUDGET_NS into the
  // call. A request that logged calls owner(i) at its end, so that the host
  // knows whose the output was; the last one's is the host's to name.
  const BATCH_BUDGET_NS = 1e6;
  const BATCH_INLINE = 1 << 20; // response bytes held at most, the rest through respond()
  const EMPTY = new Uint8ArrayCtor(0);
  const heldKinds = [], heldParts = [];
  let heldFirst = 0, heldBytes = 0, batchGen = 0, batchEnd = 0;
  function batchResult(end) {
    const res = new Uint8ArrayCtor(12 + heldBytes);
    put32(res, 0, heldFirst);
    put32(res, 4, heldKinds.length);
    put32(res, 8, end);
    batchEnd = end;
    let at = 12;
    for (let i = 0; i < heldKinds.length; i++) {
      put32(res, at, heldKinds[i]);
      put32(res, at + 4, heldParts[i].length);
      res.set(heldParts[i], at + 8);
      at += 8 + heldParts[i].length;
    }
    heldFirst += heldKinds.length;
    heldKinds.length = heldParts.length = heldBytes = 0;
    return res;
  }
  function flushHeld() {
    if (heldKinds.length) host.results(batchResult(batchEnd));
  }
  function onIdle() {
    if (heldKinds.length || running + 1 < batchEnd) host.results(batchResult(running + 1));
  }
  // A call starts: what a batch given up left (it failed) is dropped.
  function callStarts() {
    heldKinds.length = heldParts.length = heldFirst = heldBytes = batchEnd = 0;
    running = owned = 0;
    return ++batchGen;
  }
  function serveOne(frame) {
    callStarts();
    return serve(frame, true);
  }
  async function serveBatch(frame) {
    const gen = callStarts();
    const b = viewBytes(frame);
    const count = u32(b, 0);
    const start = dispatchNative.now();
    batchEnd = count;
    let at = 4;
    for (let i = 0; i < batchEnd; i++) {
      if (i > 0 && dispatchNative.now() - start > BATCH_BUDGET_NS) break;
      const len = u32(b, at);
      const f = b.subarray(at + 4, at + 4 + len);
      at += 4 + len;
      running = i;
      dispatchNative.begin();
      const logged = dispatchNative.written();
      let kind = 0, out = EMPTY;
      try {
        const r = await serve(f, heldBytes < BATCH_INLINE);
        if (r !== undefined) { kind = 1; out = r; }
      } catch (e) {
        const text = dispatchNative.error(e);
        if (text === null) throw e; // out of memory: the call fails, as it would alone
        kind = 2;
        out = utf8(text);
      }
      const drained = dispatchNative.drained(); // what it left in microtasks is its own
      if (drained !== null) await drained;
      if (gen !== batchGen) return EMPTY; // given up (a later batch runs): ends here
      const rejected = dispatchNative.end();
      if (rejected !== null && kind !== 2) { kind = 2; out = utf8(rejected); }
      heldKinds.push(kind);
      heldParts.push(out);
      heldBytes += 8 + out.length;
      if (i + 1 < batchEnd && dispatchNative.written() !== logged) {
        host.owner(i);
        owned = i;
      }
    }
    return batchResult(heldFirst + heldKinds.length);
  }

  // request.url as the URL parser serializes it. The host wrote the scheme
  // and the authority so already; the target is as the client sent it, which
  // is the serialization unless it has a dot segment (/./, /%2e%2e/), a
  // backslash, or a byte the parser percent-encodes ("<>`{}' and so on):
  // those few go through the parser (~30 us; the test ~1 us).
  const UNNORMAL_TARGET = /[\\"<>`{}']|\/(\.|%2e)/i;
  function urlOfTarget(raw) {
    if (!UNNORMAL_TARGET.test(raw)) return raw;
    try { return new URLCtor(raw).href; } catch { return raw; }
  }

  // One request; returnable: a response of one frame may be returned.
  async function serve(frame, returnable) {
    const b = viewBytes(frame);
    const total = u32(b, 0), inline = u32(b, 4), count = u32(b, 8);
    const [method, raw, pairs, at] = readHead(b, 12, count);
    const url = urlOfTarget(raw);
    const headers = headersOf(pairs, 'immutable');
    let state;
    if (total === 0) state = new BodyState(null, null);
    else if (inline === total) state = new BodyState(b.slice(at, at + inline), null);
    else {
      state = new BodyState(null, () => {
        const out = new Uint8ArrayCtor(total);
        let got = 0;
        while (got < total) {
          const part = toHost().body(got);
          if (!part.length) break;
          out.set(part, got);
          got += part.length;
        }
        return got === total ? out : out.subarray(0, got);
      });
    }
    const request = makeRequest(method, url, headers, state);
    const waits = [];
    const ctx = ObjectFreeze({
      waitUntil(p) { waits.push(PromiseResolve(p)); },
      passThroughOnException() {},
    });
    const res = await handler.call(handlerThis, request, env, ctx);
    if (!(res instanceof Response)) {
      const what = res === null ? 'null' : typeof res === 'object' ? 'another object' : typeof res;
      throw new TypeError(`the fetch handler returned ${what}, not a Response`);
    }
    if (res.type === 'error') throw new TypeError('the fetch handler returned Response.error()');
    const sent = sendResponse(res, returnable && !waits.length);
    if (isUint8Array(sent)) return sent;
    await sent; // a stream's end
    if (waits.length) {
      const results = await PromiseAllSettled(waits);
      for (const r of results) if (r.status === 'rejected') console.error('waitUntil: a promise rejected:', r.reason);
    }
    return undefined;
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
    const signal = requestSignalIn(req);
    const sig = signal === null ? null : W.signalState(signal);
    if (sig !== null && sig.reason !== undefined) throw sig.reason;
    const protocol = new URLCtor(req.url).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError(`fetch ${req.url} refused: only http: and https: URLs can be fetched`);
    const st = requestState(req);
    if (st.unusable()) throw new TypeError('fetch: the body of the request has already been used');
    let body = new Uint8ArrayCtor(0);
    if (st.has()) body = await st.consume(uint8Chunk); // a stream is read here: the host takes one frame
    if (sig !== null && sig.reason !== undefined) throw sig.reason;
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
    const hostError = (e) => new TypeError(e && e.message !== undefined ? e.message : `${e}`);
    let b;
    if (sig === null) {
      try { b = await toHost().fetch(frame); } catch (e) { throw hostError(e); }
    } else {
      // aborted in flight: reject with the reason now; the host's answer is dropped
      b = await new PromiseCtor((resolve, reject) => {
        const drop = W.addAbortAlgorithm(sig, () => reject(sig.reason));
        PromiseThen(toHost().fetch(frame), (v) => { drop(); resolve(v); }, (e) => { drop(); reject(hostError(e)); });
      });
    }
    const status = u32(b, 0), count = u32(b, 4), total = u32(b, 8), inline = u32(b, 12), id = u32(b, 16);
    const [statusText, url, pairs, end] = readHead(b, 20, count);
    const headers = headersOf(pairs, 'none');
    const nullBody = NULL_BODY_STATUS.includes(status) || req.method === 'HEAD';
    const res = new Response(null, { status, statusText, headers });
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
            const part = toHost().fetchBody(id, got);
            if (!part.length) break;
            out.set(part, got);
            got += part.length;
          }
          return got === total ? out : out.subarray(0, got);
        };
      }
    }
    responseFetched(res, url, url !== req.url);
    if (sig !== null && !nullBody) {
      // aborted later: the body, unless already read, fails with the reason
      W.addAbortAlgorithm(sig, () => {
        if (rst.stream !== null) W.error(rst.stream, sig.reason);
        else { rst.bytes = null; rst.loader = () => { throw sig.reason; }; }
      });
    }
    return res;
  }

  // ---------------------------------------------------------------------------
  // reportError (HTML): the error goes to stderr as an uncaught one would,
  // and the code goes on (workerd logs it too; node would exit)
  const consoleError = G.console && G.console.error;
  function reportError(e) {
    needArgs(arguments, 1, 'reportError');
    if (typeof consoleError === 'function') consoleError('Uncaught', e);
  }
  const globals = { Headers, Request, Response, FormData, reportError, __mica_serve_init: serveInit };
  for (const name of ObjectKeys(globals)) {
    ObjectDefineProperty(G, name, { value: globals[name], writable: true, enumerable: false, configurable: true });
  }
  // makeWeb()'s globals are accessors until one of them is used; then all
  // become plain properties (those the user has not replaced meanwhile).
  const WEB_GLOBALS = ['Event', 'CustomEvent', 'EventTarget', 'AbortController', 'AbortSignal', 'Blob', 'File', 'ReadableStream',
    'ReadableStreamDefaultReader', 'ReadableStreamDefaultController', 'WritableStream', 'WritableStreamDefaultWriter',
    'WritableStreamDefaultController', 'TransformStream', 'TransformStreamDefaultController', 'CountQueuingStrategy',
    'ByteLengthQueuingStrategy', 'TextEncoderStream', 'TextDecoderStream'];
  const webAccessors = ObjectCreate(null);
  function installWebGlobals() {
    const g = web().globals;
    for (const name of WEB_GLOBALS) {
      const d = ObjectGetOwnPropertyDescriptor(G, name);
      if (d !== undefined && d.get === webAccessors[name].get)
        ObjectDefineProperty(G, name, { value: g[name], writable: true, enumerable: false, configurable: true });
    }
  }
  for (const name of WEB_GLOBALS) {
    const a = webAccessors[name] = {
      get() { installWebGlobals(); return G[name]; },
      set(v) { installWebGlobals(); G[name] = v; },
    };
    ObjectDefineProperty(G, name, { get: a.get, set: a.set, enumerable: false, configurable: true });
  }

  /*
   * Known gaps vs the standards:
   *  - Streams: no byte streams. `type: 'bytes'` makes a default stream
   *    whose chunks must be non-empty ArrayBufferViews (copied into
   *    Uint8Arrays, not transferred) and whose highWaterMark counts bytes
   *    (default 0); controller.byobRequest does not exist, and
   *    getReader({ mode: 'byob' }) throws a TypeError. No
   *    ReadableByteStreamController, ReadableStreamBYOBReader,
   *    ReadableStreamBYOBRequest. tee() does not clone chunks. Streams are
   *    not transferable (structuredClone, postMessage).
   *  - Bodies are not streamed: the server reads a request body whole and a
   *    Response's stream to its end before sending (drainResponseBody);
   *    outbound fetch() reads a stream body before sending and gets the
   *    response body whole. There, chunks may also be strings (UTF-8).
   *  - Request: a stream body does not need `duplex: 'half'` (node wants
   *    it; workerd does not); new Request(request) takes the input's stream
   *    itself rather than a proxy of it. mode, credentials, cache,
   *    referrer... are fixed values, never used.
   *  - EventTarget: no parents (the path is the target alone); an exception
   *    in a listener becomes an unhandled rejection (node: an uncaught
   *    exception); onabort ignores a non-callable object's handleEvent.
   *  - AbortSignal.timeout() keeps `mica run` waiting for its timer (node
   *    unrefs it); a signal given to many AbortSignal.any() calls keeps each
   *    result alive (no weak references here).
   *  - TextDecoderStream: UTF-8 only, as TextDecoder.
   */
})();

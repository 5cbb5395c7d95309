/*
 * Unit tests for the streams of guest/js/fetch.js (ReadableStream,
 * WritableStream, TransformStream, their readers, writers and controllers,
 * the queuing strategies, TextEncoderStream, TextDecoderStream) and for
 * Blob and File, run in native QuickJS after web.js, as the guest loads
 * them:
 *   build/tests/test_streams_js   (tests/tests.mk)
 * The same file runs under node 20 (tests/js_unit/check-node.sh), which must
 * agree on every case but those marked MICA (said why at each).
 * Prints failures, then "N passed, M failed"; exits with status 1 on failure.
 */
'use strict';

// The shared harness (NODE, MICA, eq, thrown, test, later, tick, run): tests/js_unit/harness.js.
if (typeof std === 'undefined') require('./harness.js');
else std.loadScript(scriptArgs[0].replace(/[^/]*$/, 'harness.js'));

// How a promise settles: ['ok', value] or ['rejected', reason] (an error as its class name).
const outcome = (p) => p.then((v) => ['ok', v], (e) => ['rejected', e instanceof Error || e instanceof DOMException ? errName(e) : e]);
const flush = async () => { for (let i = 0; i < 20; i++) await null; };
async function readAll(stream) {
  const r = stream.getReader();
  const out = [];
  for (;;) {
    const { value, done } = await r.read();
    if (done) return out;
    out.push(value);
  }
}
const bytes = (u8) => Array.from(u8);
const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');

// ---- ReadableStream ---------------------------------------------------------
test('ReadableStream: start, enqueue, close, read', async () => {
  const rs = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); } });
  const r = rs.getReader();
  eq('ReadableStream: locked by a reader', rs.locked, true);
  eq('ReadableStream: reads in order, then done',
    [await r.read(), await r.read(), await r.read(), await r.read()],
    [{ value: 'a', done: false }, { value: 'b', done: false }, { done: true }, { done: true }]);
  eq('ReadableStream: closed resolves', await outcome(r.closed), ['ok', undefined]);
  eq('ReadableStream: toStringTag', Object.prototype.toString.call(rs), '[object ReadableStream]');
});

test('ReadableStream: pull and the high-water mark', async () => {
  const log = [];
  let n = 0;
  let ctrl;
  const rs = new ReadableStream({
    start(c) { ctrl = c; log.push(['start', c.desiredSize]); },
    pull(c) { log.push(['pull', c.desiredSize]); c.enqueue(++n); if (n === 4) c.close(); },
  }, { highWaterMark: 2 });
  await flush();
  eq('ReadableStream: pulled up to the high-water mark', log, [['start', 2], ['pull', 2], ['pull', 1]]);
  eq('ReadableStream: desiredSize when full', ctrl.desiredSize, 0);
  eq('ReadableStream: all chunks', await readAll(rs), [1, 2, 3, 4]);
  eq('ReadableStream: desiredSize once closed', ctrl.desiredSize, 0);

  const sized = new ReadableStream({ start(c) { c.enqueue('abc'); log.push(c.desiredSize); } },
    { highWaterMark: 10, size: (chunk) => chunk.length });
  eq('ReadableStream: a size function', log[log.length - 1], 7);
  sized.cancel();
  const counted = new ReadableStream({ start(c) { c.enqueue(1); log.push(c.desiredSize); } }, new CountQueuingStrategy({ highWaterMark: 3 }));
  eq('ReadableStream: CountQueuingStrategy', log[log.length - 1], 2);
  counted.cancel();
  const bl = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(5)); log.push(c.desiredSize); } }, new ByteLengthQueuingStrategy({ highWaterMark: 16 }));
  eq('ReadableStream: ByteLengthQueuingStrategy', log[log.length - 1], 11);
  bl.cancel();
});

test('ReadableStream: async start and pull', async () => {
  let i = 0;
  const rs = new ReadableStream({
    async start() { await tick(1); },
    async pull(c) { await tick(1); if (++i > 3) c.close(); else c.enqueue(i); },
  });
  eq('ReadableStream: async pull', await readAll(rs), [1, 2, 3]);
});

test('ReadableStream: errors', async () => {
  let ctrl;
  const rs = new ReadableStream({ start(c) { ctrl = c; } });
  const r = rs.getReader();
  const pending = r.read();
  ctrl.error(new RangeError('bad'));
  eq('ReadableStream: error() rejects a pending read', await outcome(pending), ['rejected', 'RangeError']);
  eq('ReadableStream: error() rejects closed', await outcome(r.closed), ['rejected', 'RangeError']);
  eq('ReadableStream: reads after error reject', await outcome(r.read()), ['rejected', 'RangeError']);
  eq('ReadableStream: desiredSize once errored', ctrl.desiredSize, null);
  eq('ReadableStream: error() again does nothing', thrown(() => ctrl.error(1)), 'no throw');

  eq('ReadableStream: a throwing start throws from the constructor', thrown(() => new ReadableStream({ start() { throw new SyntaxError('s'); } })), 'SyntaxError');
  const rejecting = new ReadableStream({ start() { return Promise.reject(new URIError('async start')); } });
  eq('ReadableStream: a rejecting start errors the stream', await outcome(rejecting.getReader().read()), ['rejected', 'URIError']);
  const badPull = new ReadableStream({ pull() { throw new EvalError('pull'); } });
  eq('ReadableStream: a throwing pull errors the stream', await outcome(badPull.getReader().read()), ['rejected', 'EvalError']);
  const badSize = new ReadableStream({ start(c) { ctrl = c; } }, { size() { return -1; } });
  eq('ReadableStream: a negative size throws RangeError', thrown(() => ctrl.enqueue('x')), 'RangeError');
  eq('ReadableStream: ... and errors the stream', await outcome(badSize.getReader().closed), ['rejected', 'RangeError']);
});

test('ReadableStream: close and enqueue misuse', async () => {
  let ctrl;
  const rs = new ReadableStream({ start(c) { ctrl = c; } });
  ctrl.enqueue(1);
  ctrl.close();
  eq('ReadableStream: enqueue after close throws TypeError', thrown(() => ctrl.enqueue(2)), 'TypeError');
  eq('ReadableStream: close twice throws TypeError', thrown(() => ctrl.close()), 'TypeError');
  eq('ReadableStream: queued chunks are still read after close', await readAll(rs), [1]);
  eq('ReadableStream: enqueue once closed throws TypeError', thrown(() => ctrl.enqueue(3)), 'TypeError');
  eq('ReadableStreamDefaultController: no constructor', thrown(() => new ReadableStreamDefaultController()), 'TypeError');
});

test('ReadableStream: locking', async () => {
  const rs = new ReadableStream({ start(c) { c.enqueue('x'); } });
  const r = rs.getReader();
  eq('ReadableStream: a second getReader throws TypeError', thrown(() => rs.getReader()), 'TypeError');
  eq('ReadableStream: cancel of a locked stream rejects TypeError', await outcome(rs.cancel()), ['rejected', 'TypeError']);
  eq('ReadableStream: new ReadableStreamDefaultReader of a locked stream throws TypeError',
    thrown(() => new ReadableStreamDefaultReader(rs)), 'TypeError');
  const closed = r.closed;
  r.releaseLock();
  eq('ReadableStream: releaseLock unlocks', rs.locked, false);
  eq('ReadableStream: releaseLock rejects closed with TypeError', await outcome(closed), ['rejected', 'TypeError']);
  eq('ReadableStream: read after releaseLock rejects TypeError', await outcome(r.read()), ['rejected', 'TypeError']);
  eq('ReadableStream: releaseLock twice does nothing', thrown(() => r.releaseLock()), 'no throw');
  const r2 = new ReadableStreamDefaultReader(rs);
  eq('ReadableStream: a new reader gets the queued chunk', await r2.read(), { value: 'x', done: false });
  eq('ReadableStream: getReader({ mode: "byob" }) of a default stream throws TypeError', thrown(() => new ReadableStream().getReader({ mode: 'byob' })), 'TypeError');
  eq('ReadableStream: an unknown mode throws TypeError', thrown(() => new ReadableStream().getReader({ mode: 'x' })), 'TypeError');
  eq('ReadableStreamDefaultReader: a non-stream throws TypeError', thrown(() => new ReadableStreamDefaultReader({})), 'TypeError');
  eq('ReadableStream: cancel on a non-stream rejects TypeError', await outcome(ReadableStream.prototype.cancel.call({})), ['rejected', 'TypeError']);
  eq('ReadableStream: getReader on a non-stream throws TypeError', thrown(() => ReadableStream.prototype.getReader.call({})), 'TypeError');
});

test('ReadableStream: cancel', async () => {
  const log = [];
  const rs = new ReadableStream({ start(c) { c.enqueue(1); }, cancel(reason) { log.push(reason); return 'ignored'; } });
  eq('ReadableStream: cancel resolves to undefined', await outcome(rs.cancel('why')), ['ok', undefined]);
  eq('ReadableStream: the source gets the reason', log, ['why']);
  eq('ReadableStream: a canceled stream reads as done', await rs.getReader().read(), { done: true });
  const r = new ReadableStream({ cancel() { throw new RangeError('c'); } }).getReader();
  eq('ReadableStream: a throwing cancel rejects', await outcome(r.cancel()), ['rejected', 'RangeError']);
  const errored = new ReadableStream({ start(c) { c.error('E'); } });
  eq('ReadableStream: cancel of an errored stream rejects with its error', await outcome(errored.cancel()), ['rejected', 'E']);
});

test('ReadableStream: constructor arguments', () => {
  eq('ReadableStream: type "x" throws TypeError', thrown(() => new ReadableStream({ type: 'x' })), 'TypeError');
  eq('ReadableStream: a number source throws TypeError', thrown(() => new ReadableStream(5)), 'TypeError');
  eq('ReadableStream: highWaterMark -1 throws RangeError', thrown(() => new ReadableStream({}, { highWaterMark: -1 })), 'RangeError');
  eq('ReadableStream: highWaterMark NaN throws RangeError', thrown(() => new ReadableStream({}, { highWaterMark: NaN })), 'RangeError');
  eq('ReadableStream: a size that is not a function throws TypeError', thrown(() => new ReadableStream({}, { size: 5 })), 'TypeError');
  eq('ReadableStream: a start that is not a function throws TypeError', thrown(() => new ReadableStream({ start: 5 })), 'TypeError');
  eq('ReadableStream: a pull that is not a function throws TypeError', thrown(() => new ReadableStream({ pull: {} })), 'TypeError');
  eq('ReadableStream: a bytes stream with a size throws RangeError', thrown(() => new ReadableStream({ type: 'bytes' }, { size: () => 1 })), 'RangeError');
});

test('ReadableStream: type bytes', async () => {
  let ctrl;
  const rs = new ReadableStream({ type: 'bytes', start(c) { ctrl = c; } });
  eq('ReadableStream bytes: the default highWaterMark is 0', ctrl.desiredSize, 0);
  ctrl.enqueue(new Uint8Array([1, 2]));
  ctrl.enqueue(new DataView(new Uint8Array([3, 4, 5]).buffer, 1));
  eq('ReadableStream bytes: a string chunk throws TypeError', thrown(() => ctrl.enqueue('x')), 'TypeError');
  eq('ReadableStream bytes: an empty chunk throws TypeError', thrown(() => ctrl.enqueue(new Uint8Array(0))), 'TypeError');
  ctrl.close();
  const chunks = await readAll(rs);
  eq('ReadableStream bytes: chunks are Uint8Arrays', chunks.map((c) => [c.constructor.name, bytes(c)]), [['Uint8Array', [1, 2]], ['Uint8Array', [4, 5]]]);
  // mica has no BYOB readers (node does)
  eq('ReadableStream bytes: getReader({ mode: "byob" })',
    thrown(() => new ReadableStream({ type: 'bytes' }).getReader({ mode: 'byob' })), MICA ? 'TypeError' : 'no throw');
});

test('ReadableStream: tee', async () => {
  const log = [];
  const rs = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); } });
  const [a, b] = rs.tee();
  eq('ReadableStream: tee locks the source', rs.locked, true);
  eq('ReadableStream: both branches read everything', await Promise.all([readAll(a), readAll(b)]), [['a', 'b'], ['a', 'b']]);
  const src = new ReadableStream({ cancel(r) { log.push(r); } });
  const [c, d] = src.tee();
  const first = c.cancel('one'); // settles once both are canceled
  await flush();
  eq('ReadableStream: canceling one branch does not cancel the source', log, []);
  await d.cancel('two');
  eq('ReadableStream: canceling both cancels the source with both reasons', [log, await outcome(first)], [[['one', 'two']], ['ok', undefined]]);
  let ctrl;
  const [e, f] = new ReadableStream({ start(x) { ctrl = x; } }).tee();
  ctrl.error('boom');
  eq('ReadableStream: an error reaches both branches', [await outcome(e.getReader().read()), await outcome(f.getReader().read())],
    [['rejected', 'boom'], ['rejected', 'boom']]);
});

test('ReadableStream: async iteration', async () => {
  const log = [];
  const rs = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.enqueue(3); c.close(); } });
  const got = [];
  for await (const x of rs) got.push(x);
  eq('ReadableStream: for await', got, [1, 2, 3]);
  eq('ReadableStream: unlocked after the loop', rs.locked, false);
  const src = () => new ReadableStream({ pull(c) { c.enqueue('x'); }, cancel(r) { log.push(['cancel', r]); } });
  const s1 = src();
  for await (const x of s1) { log.push(x); break; }
  eq('ReadableStream: break cancels the stream', log, ['x', ['cancel', undefined]]);
  const s2 = src();
  log.length = 0;
  for await (const x of s2.values({ preventCancel: true })) { log.push(x); break; }
  eq('ReadableStream: values({ preventCancel }) leaves it open and unlocked', [log, s2.locked], [['x'], false]);
  eq('ReadableStream: the iterator is values()', ReadableStream.prototype[Symbol.asyncIterator] === ReadableStream.prototype.values, true);
  const it = new ReadableStream({ start(c) { c.enqueue('only'); c.close(); } })[Symbol.asyncIterator]();
  eq('ReadableStream: next() calls queue up', await Promise.all([it.next(), it.next(), it.next()]),
    [{ value: 'only', done: false }, { done: true }, { done: true }]);
  const it2 = new ReadableStream({ start(c) { c.error(new TypeError('x')); } }).values();
  eq('ReadableStream: an error rejects next()', await outcome(it2.next()), ['rejected', 'TypeError']);
  const order = [];
  const slow = new ReadableStream({ pull(c) { return tick(2).then(() => { try { c.enqueue('v'); } catch {} }); }, cancel(r) { order.push(`cancel ${r}`); } });
  const it3 = slow.values();
  await Promise.all([it3.next().then((r) => order.push(`next ${r.value}`)), it3.return('R').then((r) => order.push(`return ${r.value} ${r.done}`)),
    it3.next().then((r) => order.push(`next ${r.done}`))]);
  eq('ReadableStream: next() and return() wait for the one before', order, ['next v', 'cancel R', 'return R true', 'next true']);
  const ret = await new ReadableStream().values().return('v');
  eq('ReadableStream: return(v)', [ret.value, ret.done], ['v', true]);
  eq('ReadableStream: the iterator inherits from AsyncIterator',
    Object.getPrototypeOf(Object.getPrototypeOf(new ReadableStream().values())) === Object.getPrototypeOf(Object.getPrototypeOf((async function* () {}).prototype)), true);
});

test('ReadableStream.from', async () => {
  eq('ReadableStream.from: an array', await readAll(ReadableStream.from([1, 2, 3])), [1, 2, 3]);
  eq('ReadableStream.from: promises in a sync iterable are awaited', await readAll(ReadableStream.from([Promise.resolve('p'), 'q'])), ['p', 'q']);
  async function* gen() { yield 'a'; await tick(1); yield 'b'; }
  eq('ReadableStream.from: an async generator', await readAll(ReadableStream.from(gen())), ['a', 'b']);
  eq('ReadableStream.from: a stream', await readAll(ReadableStream.from(ReadableStream.from(['s']))), ['s']);
  eq('ReadableStream.from: not iterable throws TypeError', thrown(() => ReadableStream.from(5)), 'TypeError');
  eq('ReadableStream.from: null throws TypeError', thrown(() => ReadableStream.from(null)), 'TypeError');
  let finished = 0;
  function* forever() { try { for (;;) yield 1; } finally { finished++; } }
  async function* aforever() { try { for (;;) yield 1; } finally { finished++; } }
  for (const g of [forever(), aforever()]) {
    const r = ReadableStream.from(g).getReader();
    await r.read(); // started: return() runs its finally
    await r.cancel('stop');
  }
  eq('ReadableStream.from: cancel calls return()', finished, 2);
  async function* failing() { yield 1; throw new RangeError('gen'); }
  const r = ReadableStream.from(failing()).getReader();
  eq('ReadableStream.from: an iterator error errors the stream', [await r.read(), await outcome(r.read())],
    [{ value: 1, done: false }, ['rejected', 'RangeError']]);
});

// ---- WritableStream ---------------------------------------------------------
test('WritableStream: write and close', async () => {
  const log = [];
  const ws = new WritableStream({
    start(c) { log.push('start'); },
    write(chunk, c) { log.push(['write', chunk]); },
    close() { log.push('close'); },
  });
  const w = ws.getWriter();
  eq('WritableStream: locked by a writer', ws.locked, true);
  await w.ready;
  const p1 = w.write('a'), p2 = w.write('b');
  eq('WritableStream: writes resolve', [await outcome(p1), await outcome(p2)], [['ok', undefined], ['ok', undefined]]);
  await w.close();
  eq('WritableStream: the sink sees start, writes, close', log, ['start', ['write', 'a'], ['write', 'b'], 'close']);
  eq('WritableStream: closed resolves', await outcome(w.closed), ['ok', undefined]);
  // node 20 fails an internal assertion here (ERR_INTERNAL_ASSERTION)
  if (MICA) eq('WritableStream: write after close rejects TypeError', await outcome(w.write('c')), ['rejected', 'TypeError']);
  eq('WritableStream: close twice rejects TypeError', await outcome(w.close()), ['rejected', 'TypeError']);
  eq('WritableStream: desiredSize once closed', w.desiredSize, 0);
  eq('WritableStream: toStringTag', Object.prototype.toString.call(ws), '[object WritableStream]');
});

test('WritableStream: back-pressure', async () => {
  const resolvers = [];
  const ws = new WritableStream({ write() { return new Promise((r) => resolvers.push(r)); } }, { highWaterMark: 2 });
  const w = ws.getWriter();
  await flush();
  eq('WritableStream: desiredSize is the high-water mark', w.desiredSize, 2);
  w.write(1);
  w.write(2);
  eq('WritableStream: desiredSize counts queued writes', w.desiredSize, 0);
  let ready = false;
  w.ready.then(() => { ready = true; });
  await flush();
  eq('WritableStream: ready is pending under back-pressure', ready, false);
  resolvers.shift()();
  await flush();
  eq('WritableStream: ready resolves once a write is done', [ready, w.desiredSize], [true, 1]);
  resolvers.shift()();
  await flush();
  eq('WritableStream: desiredSize back to the high-water mark', w.desiredSize, 2);
  const sized = new WritableStream({}, { highWaterMark: 10, size: (c) => c.length }).getWriter();
  sized.write('abcd');
  eq('WritableStream: a size function', sized.desiredSize, 6);
});

test('WritableStream: abort and errors', async () => {
  const log = [];
  const ws = new WritableStream({ write(c) { log.push(c); }, abort(reason) { log.push(['abort', reason]); } });
  const w = ws.getWriter();
  await w.write('x');
  eq('WritableStream: abort resolves', await outcome(w.abort('why')), ['ok', undefined]);
  eq('WritableStream: the sink gets the reason', log, ['x', ['abort', 'why']]);
  eq('WritableStream: write after abort rejects with the reason', await outcome(w.write('y')), ['rejected', 'why']);
  eq('WritableStream: closed rejects with the reason', await outcome(w.closed), ['rejected', 'why']);
  eq('WritableStream: desiredSize once errored', w.desiredSize, null);

  const failing = new WritableStream({ write() { throw new RangeError('sink'); } }).getWriter();
  eq('WritableStream: a throwing write rejects', await outcome(failing.write(1)), ['rejected', 'RangeError']);
  eq('WritableStream: ... and errors the stream', await outcome(failing.write(2)), ['rejected', 'RangeError']);
  let ctrl;
  const e = new WritableStream({ start(c) { ctrl = c; } }).getWriter();
  ctrl.error(new URIError('ctrl'));
  eq('WritableStream: controller.error errors the stream', await outcome(e.closed), ['rejected', 'URIError']);
  let signal;
  const sig = new WritableStream({ start(c) { signal = c.signal; } });
  await sig.abort('r');
  eq('WritableStream: controller.signal is aborted with the reason', [signal.aborted, signal.reason], [true, 'r']);
  const closing = new WritableStream({ close() { throw new EvalError('close'); } }).getWriter();
  eq('WritableStream: a throwing close rejects close()', await outcome(closing.close()), ['rejected', 'EvalError']);
  eq('WritableStreamDefaultController: no constructor', thrown(() => new WritableStreamDefaultController()), 'TypeError');
});

test('WritableStream: locking and arguments', async () => {
  const ws = new WritableStream();
  const w = ws.getWriter();
  eq('WritableStream: a second getWriter throws TypeError', thrown(() => ws.getWriter()), 'TypeError');
  eq('WritableStream: abort of a locked stream rejects TypeError', await outcome(ws.abort()), ['rejected', 'TypeError']);
  eq('WritableStream: close of a locked stream rejects TypeError', await outcome(ws.close()), ['rejected', 'TypeError']);
  const closed = w.closed;
  w.releaseLock();
  eq('WritableStream: releaseLock rejects closed with TypeError', await outcome(closed), ['rejected', 'TypeError']);
  eq('WritableStream: desiredSize after releaseLock throws TypeError', thrown(() => w.desiredSize), 'TypeError');
  eq('WritableStream: write after releaseLock rejects TypeError', await outcome(w.write(1)), ['rejected', 'TypeError']);
  eq('WritableStream: a new writer', new WritableStreamDefaultWriter(ws).desiredSize, 1);
  eq('WritableStream: type throws RangeError', thrown(() => new WritableStream({ type: 'x' })), 'RangeError');
  eq('WritableStream: a write that is not a function throws TypeError', thrown(() => new WritableStream({ write: 1 })), 'TypeError');
  eq('WritableStream: close() without a writer', await outcome(new WritableStream().close()), ['ok', undefined]);
});

// ---- pipeTo, pipeThrough ----------------------------------------------------
const source = (chunks, log) => new ReadableStream({
  start(c) { for (const x of chunks) c.enqueue(x); c.close(); },
  cancel(r) { log.push(['cancel', r]); },
});
const sink = (log, opts = {}) => new WritableStream({
  write(c) { log.push(['write', c]); if (opts.failOn === c) throw new RangeError('sink'); },
  close() { log.push('close'); },
  abort(r) { log.push(['abort', r]); },
});

test('pipeTo', async () => {
  const log = [];
  eq('pipeTo: resolves', await outcome(source(['a', 'b'], log).pipeTo(sink(log))), ['ok', undefined]);
  eq('pipeTo: every chunk, then close', log, [['write', 'a'], ['write', 'b'], 'close']);
  log.length = 0;
  const ws = sink(log);
  await source(['c'], log).pipeTo(ws, { preventClose: true });
  eq('pipeTo: preventClose leaves the destination open', [log, ws.locked], [[['write', 'c']], false]);
  const w = ws.getWriter();
  await w.write('d');
  eq('pipeTo: ... and writable', log[1], ['write', 'd']);

  log.length = 0;
  const erroring = new ReadableStream({ start(c) { c.enqueue(1); c.error('src-err'); } });
  eq('pipeTo: a source error rejects', await outcome(erroring.pipeTo(sink(log))), ['rejected', 'src-err']);
  eq('pipeTo: ... and aborts the destination', log, [['abort', 'src-err']]);

  log.length = 0;
  const bad = sink(log, { failOn: 'b' });
  eq('pipeTo: a destination error rejects', await outcome(new ReadableStream({
    start(c) { c.enqueue('a'); c.enqueue('b'); },
    cancel(r) { log.push(['cancel', r instanceof RangeError]); },
  }).pipeTo(bad)), ['rejected', 'RangeError']);
  eq('pipeTo: ... and cancels the source', log, [['write', 'a'], ['write', 'b'], ['cancel', true]]);

  log.length = 0;
  const ws2 = sink(log);
  await ws2.close();
  eq('pipeTo: a closed destination rejects TypeError', await outcome(source(['z'], log).pipeTo(ws2)), ['rejected', 'TypeError']);
  eq('pipeTo: ... and cancels the source with a TypeError', log.length === 2 && log[1][0] === 'cancel' && log[1][1] instanceof TypeError, true);

  const locked = new ReadableStream();
  locked.getReader();
  eq('pipeTo: a locked source rejects TypeError', await outcome(locked.pipeTo(new WritableStream())), ['rejected', 'TypeError']);
  const lockedDest = new WritableStream();
  lockedDest.getWriter();
  eq('pipeTo: a locked destination rejects TypeError', await outcome(new ReadableStream().pipeTo(lockedDest)), ['rejected', 'TypeError']);
  eq('pipeTo: a destination that is not a WritableStream rejects TypeError', await outcome(new ReadableStream().pipeTo({})), ['rejected', 'TypeError']);
  eq('pipeTo: a signal that is not an AbortSignal rejects TypeError',
    await outcome(new ReadableStream().pipeTo(new WritableStream(), { signal: 1 })), ['rejected', 'TypeError']);
});

test('pipeTo: signal', async () => {
  const log = [];
  const c = new AbortController();
  const rs = new ReadableStream({ pull(ctrl) { return tick(1).then(() => ctrl.enqueue('tick')); }, cancel(r) { log.push(['cancel', r]); } });
  const ws = new WritableStream({ abort(r) { log.push(['abort', r]); } });
  const p = rs.pipeTo(ws, { signal: c.signal });
  await tick(5);
  c.abort('stop');
  eq('pipeTo: abort rejects with the reason', await outcome(p), ['rejected', 'stop']);
  eq('pipeTo: ... aborts the destination and cancels the source', log, [['abort', 'stop'], ['cancel', 'stop']]);
  eq('pipeTo: ... and unlocks both', [rs.locked, ws.locked], [false, false]);

  log.length = 0;
  const rs2 = new ReadableStream({ cancel(r) { log.push('cancel'); } });
  const ws2 = new WritableStream({ abort(r) { log.push('abort'); } });
  eq('pipeTo: an aborted signal rejects at once', await outcome(rs2.pipeTo(ws2, { signal: AbortSignal.abort('early'), preventAbort: true, preventCancel: true })),
    ['rejected', 'early']);
  eq('pipeTo: preventAbort and preventCancel', log, []);
  const r = await outcome(new ReadableStream().pipeTo(new WritableStream(), { signal: AbortSignal.abort() }));
  eq('pipeTo: the default reason is an AbortError', r, ['rejected', 'DOMException AbortError']);
});

test('pipeThrough', async () => {
  const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
  const out = ReadableStream.from(['ab', 'cd']).pipeThrough(upper);
  eq('pipeThrough: returns the readable side', out === upper.readable, true);
  eq('pipeThrough: transforms', await readAll(out), ['AB', 'CD']);
  eq('pipeThrough: a non-transform throws TypeError', thrown(() => new ReadableStream().pipeThrough({})), 'TypeError');
  const locked = new ReadableStream();
  locked.getReader();
  eq('pipeThrough: a locked stream throws TypeError', thrown(() => locked.pipeThrough(new TransformStream())), 'TypeError');
});

// ---- TransformStream --------------------------------------------------------
test('TransformStream', async () => {
  const id = new TransformStream();
  const w = id.writable.getWriter();
  w.write('x');
  w.close();
  eq('TransformStream: identity', await readAll(id.readable), ['x']);

  const log = [];
  const ts = new TransformStream({
    start(c) { log.push(['start', c.desiredSize]); },
    transform(chunk, c) { c.enqueue(chunk * 2); c.enqueue(chunk * 3); },
    flush(c) { c.enqueue('end'); log.push('flush'); },
  });
  const tw = ts.writable.getWriter();
  tw.write(1);
  tw.write(2);
  tw.close();
  eq('TransformStream: transform and flush', await readAll(ts.readable), [2, 3, 4, 6, 'end']);
  eq('TransformStream: start gets the controller', log, [['start', 0], 'flush']);

  const failing = new TransformStream({ transform() { throw new RangeError('t'); } });
  const fw = failing.writable.getWriter();
  const read = outcome(failing.readable.getReader().read()); // a write waits for a read (highWaterMark 0)
  eq('TransformStream: a throwing transform rejects the write', await outcome(fw.write(1)), ['rejected', 'RangeError']);
  eq('TransformStream: ... and errors the readable side', await read, ['rejected', 'RangeError']);

  const term = new TransformStream({ transform(chunk, c) { c.enqueue(chunk); c.terminate(); } });
  const termW = term.writable.getWriter();
  termW.write('last');
  eq('TransformStream: terminate closes the readable side', await readAll(term.readable), ['last']);
  eq('TransformStream: ... and errors the writable side with a TypeError', await outcome(termW.write('more')), ['rejected', 'TypeError']);

  const canceled = new TransformStream();
  const cw = canceled.writable.getWriter();
  await canceled.readable.cancel('gone');
  eq('TransformStream: canceling the readable errors the writable', await outcome(cw.write(1)), ['rejected', 'gone']);

  const aborted = new TransformStream();
  const ar = aborted.readable.getReader();
  await aborted.writable.abort('abort reason');
  eq('TransformStream: aborting the writable errors the readable', await outcome(ar.read()), ['rejected', 'abort reason']);

  const errored = new TransformStream({ start(c) { c.error('early'); } });
  eq('TransformStream: controller.error', await outcome(errored.readable.getReader().read()), ['rejected', 'early']);
  eq('TransformStream: readableType throws RangeError', thrown(() => new TransformStream({ readableType: 'bytes' })), 'RangeError');
  eq('TransformStream: writableType throws RangeError', thrown(() => new TransformStream({ writableType: 'bytes' })), 'RangeError');
  eq('TransformStream: a transform that is not a function throws TypeError', thrown(() => new TransformStream({ transform: 1 })), 'TypeError');
  eq('TransformStreamDefaultController: no constructor', thrown(() => new TransformStreamDefaultController()), 'TypeError');
  eq('TransformStream: toStringTag', Object.prototype.toString.call(id), '[object TransformStream]');
});

test('TransformStream: back-pressure', async () => {
  const ts = new TransformStream({}, undefined, { highWaterMark: 1 });
  const w = ts.writable.getWriter();
  await w.write('a');
  let done = false;
  w.write('b').then(() => { done = true; });
  await flush();
  eq('TransformStream: a write waits while the readable side is full', done, false);
  const r = ts.readable.getReader();
  eq('TransformStream: reading lets it through', await r.read(), { value: 'a', done: false });
  await flush();
  eq('TransformStream: ... then the write completes', done, true);
});

// ---- queuing strategies -----------------------------------------------------
test('queuing strategies', () => {
  const c = new CountQueuingStrategy({ highWaterMark: 3 });
  eq('CountQueuingStrategy', [c.highWaterMark, c.size('anything'), c.size === new CountQueuingStrategy({ highWaterMark: 1 }).size], [3, 1, true]);
  eq('CountQueuingStrategy: highWaterMark is converted to a number', new CountQueuingStrategy({ highWaterMark: '3' }).highWaterMark, 3);
  eq('CountQueuingStrategy: no init throws TypeError', thrown(() => new CountQueuingStrategy()), 'TypeError');
  eq('CountQueuingStrategy: no highWaterMark throws TypeError', thrown(() => new CountQueuingStrategy({})), 'TypeError');
  const b = new ByteLengthQueuingStrategy({ highWaterMark: 1024 });
  eq('ByteLengthQueuingStrategy', [b.highWaterMark, b.size(new Uint8Array(5)), b.size(new ArrayBuffer(7))], [1024, 5, 7]);
  eq('ByteLengthQueuingStrategy: no highWaterMark throws TypeError', thrown(() => new ByteLengthQueuingStrategy({})), 'TypeError');
});

// ---- TextEncoderStream, TextDecoderStream -----------------------------------
async function through(ts, chunks) {
  const w = ts.writable.getWriter();
  for (const c of chunks) w.write(c).catch(() => {});
  w.close().catch(() => {});
  return readAll(ts.readable);
}
test('TextEncoderStream', async () => {
  const te = new TextEncoderStream();
  eq('TextEncoderStream: encoding', te.encoding, 'utf-8');
  const out = await through(te, ['a€', '', 'b']);
  eq('TextEncoderStream: UTF-8 chunks, none for an empty string', out.map((c) => [c.constructor.name, hex(c)]),
    [['Uint8Array', '61e282ac'], ['Uint8Array', '62']]);
  const pair = await through(new TextEncoderStream(), ['x\ud83d', '\ude00y']);
  eq('TextEncoderStream: a surrogate pair split across chunks', pair.map(hex), ['78', 'f09f988079']);
  const lone = await through(new TextEncoderStream(), ['\ud83d']);
  eq('TextEncoderStream: a lone high surrogate at the end is U+FFFD', lone.map(hex), ['efbfbd']);
  const lone2 = await through(new TextEncoderStream(), ['\ud83d', 'z']);
  eq('TextEncoderStream: a high surrogate then no low one', lone2.map(hex), ['efbfbd7a']);
  eq('TextEncoderStream: values are strings', (await through(new TextEncoderStream(), [12])).map(hex), ['3132']);
});

test('TextDecoderStream', async () => {
  const td = new TextDecoderStream();
  eq('TextDecoderStream: attributes', [td.encoding, td.fatal, td.ignoreBOM], ['utf-8', false, false]);
  const euro = [0xe2, 0x82, 0xac];
  eq('TextDecoderStream: a character split across chunks', await through(td, [new Uint8Array([0x61, euro[0]]), new Uint8Array([euro[1]]), new Uint8Array([euro[2], 0x62])]),
    ['a', '€b']);
  const emoji = [0xf0, 0x9f, 0x98, 0x80];
  eq('TextDecoderStream: four bytes one by one', (await through(new TextDecoderStream(), emoji.map((b) => new Uint8Array([b])))).join(''), '😀');
  eq('TextDecoderStream: ArrayBuffer and DataView chunks', await through(new TextDecoderStream(), [new Uint8Array([0x68, 0x69]).buffer, new DataView(new Uint8Array([0x21]).buffer)]),
    ['hi', '!']);
  eq('TextDecoderStream: the BOM is dropped', await through(new TextDecoderStream(), [new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf, 0x41])]), ['A']);
  eq('TextDecoderStream: ignoreBOM keeps it', await through(new TextDecoderStream('utf-8', { ignoreBOM: true }), [new Uint8Array([0xef, 0xbb, 0xbf, 0x41])]), ['\ufeffA']);
  eq('TextDecoderStream: an incomplete end is U+FFFD', await through(new TextDecoderStream(), [new Uint8Array([0x41, 0xe2, 0x82])]), ['A', '\ufffd']);
  const fatal = new TextDecoderStream('utf-8', { fatal: true });
  eq('TextDecoderStream: fatal', fatal.fatal, true);
  eq('TextDecoderStream: fatal errors the stream with a TypeError', await outcome(through(fatal, [new Uint8Array([0xff])])), ['rejected', 'TypeError']);
  const fatalEnd = new TextDecoderStream('utf-8', { fatal: true });
  eq('TextDecoderStream: fatal, an incomplete end', await outcome(through(fatalEnd, [new Uint8Array([0xe2])])), ['rejected', 'TypeError']);
  eq('TextDecoderStream: a string chunk errors with a TypeError', await outcome(through(new TextDecoderStream(), ['x'])), ['rejected', 'TypeError']);
  // mica's TextDecoder is UTF-8 only; node has ICU
  eq('TextDecoderStream: latin2', thrown(() => new TextDecoderStream('latin2')), MICA ? 'RangeError' : 'no throw');
  eq('TextDecoderStream: an unknown label throws RangeError', thrown(() => new TextDecoderStream('nope')), 'RangeError');
  const piped = ReadableStream.from([new Uint8Array([0xc3]), new Uint8Array([0xa9])]).pipeThrough(new TextDecoderStream());
  eq('TextDecoderStream: pipeThrough', await readAll(piped), ['é']);
});

// ---- Blob, File -------------------------------------------------------------
test('Blob', async () => {
  const b = new Blob(['héllo ', new Uint8Array([0x77, 0x6f]), new Uint8Array([0, 0x72, 0x6c, 0x64]).subarray(1).buffer.slice(1), new Blob(['!'])], { type: 'Text/Plain' });
  eq('Blob: size and type (lowercased)', [b.size, b.type], [13, 'text/plain']);
  eq('Blob: text()', await b.text(), 'héllo world!');
  eq('Blob: arrayBuffer()', hex(new Uint8Array(await b.arrayBuffer())), '68c3a96c6c6f20776f726c6421');
  const by = await b.bytes();
  eq('Blob: bytes()', [by.constructor.name, by.length], ['Uint8Array', 13]);
  eq('Blob: slice(-6)', await b.slice(-6).text(), 'world!');
  eq('Blob: slice(2, -1)', await b.slice(1, -1).slice(2).text(), 'llo world');
  eq('Blob: slice(8, 2) is empty', b.slice(8, 2).size, 0);
  // WebIDL [Clamp]: halves round to even (node 20 aborts on a fraction)
  if (MICA) eq('Blob: slice with fractions', [1.5, 2.5, -1.5, '2', NaN, Infinity].map((x) => new Blob(['abcdef']).slice(x).size), [4, 4, 2, 4, 6, 0]);
  eq('Blob: slice type', [b.slice(0, 1, 'A/B').type, b.slice().type], ['a/b', '']);
  eq('Blob: a type with a non-ASCII character is empty', new Blob([], { type: 'a\u00e9' }).type, '');
  eq('Blob: no arguments', [new Blob().size, new Blob().type], [0, '']);
  eq('Blob: other values are strings', new Blob([1, null, {}]).size, 20);
  // the File API turns a lone CR into LF too; node leaves it
  eq('Blob: endings native', await new Blob(['a\r\nb\rc\n'], { endings: 'native' }).text(), MICA ? 'a\nb\nc\n' : 'a\nb\rc\n');
  eq('Blob: endings transparent', (await new Blob(['a\r\n']).text()).length, 3);
  eq('Blob: a lone surrogate becomes U+FFFD', hex(await new Blob(['\ud800']).bytes()), 'efbfbd');
  eq('Blob: a string is not a sequence (TypeError)', thrown(() => new Blob('abc')), 'TypeError');
  eq('Blob: null parts throw TypeError', thrown(() => new Blob(null)), 'TypeError');
  eq('Blob: bad endings throw TypeError', thrown(() => new Blob([], { endings: 'x' })), 'TypeError');
  const src = new Uint8Array([1, 2, 3]);
  const copy = new Blob([src]);
  src[0] = 9;
  eq('Blob: the parts are copied', bytes(await copy.bytes()), [1, 2, 3]);
  const chunks = await readAll(new Blob(['x'.repeat(70000)]).stream());
  eq('Blob: stream() gives Uint8Array chunks', [chunks.every((c) => c instanceof Uint8Array), chunks.reduce((n, c) => n + c.length, 0)], [true, 70000]);
  eq('Blob: stream() of an empty blob', await readAll(new Blob().stream()), []);
  eq('Blob: toStringTag', Object.prototype.toString.call(b), '[object Blob]');
  eq('Blob: size on a non-Blob throws TypeError', thrown(() => Object.getOwnPropertyDescriptor(Blob.prototype, 'size').get.call({})), 'TypeError');
});

test('File', async () => {
  const f = new File(['ab', new Blob(['c'])], 'a.txt', { type: 'text/x', lastModified: 42 });
  eq('File: name, type, size, lastModified', [f.name, f.type, f.size, f.lastModified], ['a.txt', 'text/x', 3, 42]);
  eq('File: is a Blob', [f instanceof Blob, await f.text(), Object.prototype.toString.call(f)], [true, 'abc', '[object File]']);
  const before = Date.now();
  const g = new File([], 'g');
  eq('File: lastModified defaults to now', g.lastModified >= before && g.lastModified <= Date.now(), true);
  eq('File: two arguments are required', thrown(() => new File([])), 'TypeError');
  eq('File: slice is a Blob', f.slice(1).constructor.name, 'Blob');
});

test('structuredClone', () => {
  // HTML: DataCloneError; node throws a TypeError for streams and clones the others
  eq('structuredClone: a ReadableStream', thrown(() => structuredClone(new ReadableStream())), MICA ? 'DOMException DataCloneError' : 'TypeError');
  eq('structuredClone: an AbortSignal', thrown(() => structuredClone(new AbortController().signal)), MICA ? 'DOMException DataCloneError' : 'no throw');
  // mica cannot clone a Blob yet (node can)
  eq('structuredClone: a Blob', thrown(() => structuredClone(new Blob(['x']))), MICA ? 'DOMException DataCloneError' : 'no throw');
});

test('globals', () => {
  const names = ['ReadableStream', 'WritableStream', 'TransformStream', 'ReadableStreamDefaultReader', 'WritableStreamDefaultWriter',
    'CountQueuingStrategy', 'ByteLengthQueuingStrategy', 'TextEncoderStream', 'TextDecoderStream', 'Blob', 'File'];
  eq('globals: functions, not enumerable', names.map((n) => [typeof globalThis[n], Object.getOwnPropertyDescriptor(globalThis, n).enumerable]),
    names.map(() => ['function', false]));
  const saved = globalThis.Blob;
  globalThis.Blob = 1;
  eq('globals: writable', globalThis.Blob, 1);
  globalThis.Blob = saved;
});

run();

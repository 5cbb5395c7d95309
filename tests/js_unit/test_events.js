/*
 * Unit tests for the events of guest/js/fetch.js (Event, EventTarget,
 * AbortController, AbortSignal, and DOMException's abort names), run in
 * native QuickJS after web.js, as the guest loads them:
 *   build/tests/test_events_js   (tests/tests.mk)
 * The same file runs under node 20 (tests/js_unit/check-node.sh), which must
 * agree on every case but those marked MICA (where node departs from the
 * DOM Standard, or mica knowingly differs: said at each).
 * Prints failures, then "N passed, M failed"; exits with status 1 on failure.
 */
'use strict';

// The shared harness (NODE, MICA, eq, thrown, test, later, tick, run): tests/js_unit/harness.js.
if (typeof std === 'undefined') require('./harness.js');
else std.loadScript(scriptArgs[0].replace(/[^/]*$/, 'harness.js'));

// ---- Event ------------------------------------------------------------------
test('Event', () => {
  const e = new Event('x', { cancelable: true, bubbles: true });
  eq('Event: attributes', [e.type, e.eventPhase, e.bubbles, e.cancelable, e.composed, e.defaultPrevented, e.isTrusted,
    e.returnValue, e.cancelBubble, e.target, e.currentTarget, e.srcElement, e.composedPath()],
  ['x', 0, true, true, false, false, false, true, false, null, null, null, []]);
  eq('Event: timeStamp is a number', typeof e.timeStamp, 'number');
  eq('Event: phase constants', [Event.NONE, Event.CAPTURING_PHASE, Event.AT_TARGET, Event.BUBBLING_PHASE], [0, 1, 2, 3]);
  // WebIDL puts constants on the prototype too; node does not
  eq('Event: phase constants on the prototype', e.AT_TARGET, MICA ? 2 : undefined);
  e.preventDefault();
  eq('Event: preventDefault on a cancelable event', [e.defaultPrevented, e.returnValue], [true, false]);
  const n = new Event('y');
  n.preventDefault();
  eq('Event: preventDefault on a non-cancelable event does nothing', n.defaultPrevented, false);
  eq('Event: the type is a string', new Event(5).type, '5');
  eq('Event: a type is required (TypeError)', thrown(() => new Event()), 'TypeError');
  eq('Event: toStringTag', Object.prototype.toString.call(e), '[object Event]');
  eq('Event: a getter on a non-Event throws TypeError',
    thrown(() => Object.getOwnPropertyDescriptor(Event.prototype, 'type').get.call({})), 'TypeError');
  n.stopPropagation();
  eq('Event: stopPropagation sets cancelBubble', n.cancelBubble, true);
});

// ---- EventTarget ------------------------------------------------------------
test('CustomEvent', () => {
  const c = new CustomEvent('ping', { detail: { a: 1 }, cancelable: true });
  eq('CustomEvent: an Event with a detail', [c instanceof Event, c.type, c.detail, c.cancelable,
    Object.prototype.toString.call(c)], [true, 'ping', { a: 1 }, true, '[object CustomEvent]']);
  eq('CustomEvent: detail defaults to null', new CustomEvent('x').detail, null);
  eq('CustomEvent: needs a type', thrown(() => new CustomEvent()), 'TypeError');
  const t = new EventTarget();
  let seen = null;
  t.addEventListener('ping', (e) => { seen = [e.detail, e.target === t, e.eventPhase]; });
  t.dispatchEvent(c);
  eq('CustomEvent: dispatched with its detail', seen, [{ a: 1 }, true, 2]);
  if (MICA) { // the DOM's legacy initCustomEvent; node 20 has none
    c.initCustomEvent('pong', false, false, 7);
    eq('CustomEvent: initCustomEvent', [c.type, c.detail, c.cancelable], ['pong', 7, false]);
  }
});

test('EventTarget: listeners', () => {
  const t = new EventTarget();
  const log = [];
  const f = (e) => log.push(['f', e.type, e.eventPhase, e.target === t, e.currentTarget === t]);
  t.addEventListener('a', f);
  t.addEventListener('a', f); // the same listener once only
  t.addEventListener('a', { handleEvent(e) { log.push(['obj', this !== t, e.type]); } });
  t.addEventListener('a', function () { log.push(['this', this === t]); });
  eq('EventTarget: dispatchEvent returns true', t.dispatchEvent(new Event('a')), true);
  eq('EventTarget: listeners in order, once each; handleEvent objects; this',
    log, [['f', 'a', 2, true, true], ['obj', true, 'a'], ['this', true]]);
  const e = new Event('b');
  t.dispatchEvent(e);
  eq('EventTarget: after the dispatch', [e.eventPhase, e.currentTarget, e.target === t], [0, null, true]);
  log.length = 0;
  t.removeEventListener('a', f);
  t.dispatchEvent(new Event('a'));
  eq('EventTarget: removeEventListener', log.map((x) => x[0]), ['obj', 'this']);
  eq('EventTarget: add with a null listener does nothing', thrown(() => t.addEventListener('a', null)), 'no throw');
  eq('EventTarget: a listener that is not an object throws TypeError', thrown(() => t.addEventListener('a', 5)), 'TypeError');
  eq('EventTarget: two arguments are required', thrown(() => t.addEventListener('a')), 'TypeError');
  eq('EventTarget: dispatching a non-Event throws TypeError', thrown(() => t.dispatchEvent('a')), 'TypeError');
  eq('EventTarget: dispatchEvent needs an argument', thrown(() => t.dispatchEvent()), 'TypeError');
});

test('EventTarget: once, capture, signal', () => {
  const t = new EventTarget();
  const log = [];
  t.addEventListener('x', () => log.push('once'), { once: true });
  t.dispatchEvent(new Event('x'));
  t.dispatchEvent(new Event('x'));
  eq('EventTarget: once', log, ['once']);

  const c = () => log.push('c');
  t.addEventListener('y', c, true);
  t.addEventListener('y', c, false); // another capture flag: another listener
  log.length = 0;
  t.dispatchEvent(new Event('y'));
  eq('EventTarget: capture true and false are two listeners', log, ['c', 'c']);
  t.removeEventListener('y', c, { capture: true });
  log.length = 0;
  t.dispatchEvent(new Event('y'));
  eq('EventTarget: remove with { capture: true } removes the capture one only', log, ['c']);

  const ac = new AbortController();
  t.addEventListener('z', () => log.push('z'), { signal: ac.signal });
  log.length = 0;
  t.dispatchEvent(new Event('z'));
  ac.abort();
  t.dispatchEvent(new Event('z'));
  eq('EventTarget: the signal option removes the listener on abort', log, ['z']);
  t.addEventListener('z', () => log.push('late'), { signal: ac.signal });
  t.dispatchEvent(new Event('z'));
  eq('EventTarget: an aborted signal adds nothing', log, ['z']);
  eq('EventTarget: a signal that is not an AbortSignal throws TypeError',
    thrown(() => t.addEventListener('z', () => {}, { signal: {} })), 'TypeError');
});

test('EventTarget: stopImmediatePropagation, cancelable, nested dispatch', () => {
  const t = new EventTarget();
  const log = [];
  t.addEventListener('s', (e) => { log.push(1); e.stopImmediatePropagation(); });
  t.addEventListener('s', () => log.push(2));
  t.dispatchEvent(new Event('s'));
  eq('EventTarget: stopImmediatePropagation skips the later listeners', log, [1]);

  t.addEventListener('c', (e) => e.preventDefault());
  eq('EventTarget: dispatchEvent is false when a cancelable event is canceled',
    [t.dispatchEvent(new Event('c', { cancelable: true })), t.dispatchEvent(new Event('c'))], [false, true]);

  t.addEventListener('p', (e) => { e.preventDefault(); log.push(e.defaultPrevented); }, { passive: true });
  log.length = 0;
  // the DOM Standard ignores preventDefault() in a passive listener; node does not
  eq('EventTarget: preventDefault in a passive listener does nothing',
    [t.dispatchEvent(new Event('p', { cancelable: true })), log], MICA ? [true, [false]] : [false, [true]]);

  // the DOM Standard says InvalidStateError; node throws its own Error
  const ev = new Event('n');
  let inner;
  t.addEventListener('n', (e) => { inner = thrown(() => t.dispatchEvent(e)); });
  t.dispatchEvent(ev);
  eq('EventTarget: dispatching an event being dispatched throws', inner, MICA ? 'DOMException InvalidStateError' : 'Error');
  eq('EventTarget: an event can be dispatched again once done', t.dispatchEvent(ev), true);
});

test('EventTarget: a throwing listener does not stop the others', async () => {
  const t = new EventTarget();
  const log = [];
  // mica: an unhandled rejection; node: an uncaught exception
  if (NODE) process.once('uncaughtException', () => log.push('reported'));
  t.addEventListener('x', () => { throw new Error('boom'); });
  t.addEventListener('x', () => log.push('second'));
  eq('EventTarget: dispatch goes on after a throwing listener', [thrown(() => t.dispatchEvent(new Event('x'))), log[0]],
    ['no throw', 'second']);
  await tick();
});

// ---- AbortController, AbortSignal --------------------------------------------
test('AbortController', () => {
  const c = new AbortController();
  const s = c.signal;
  eq('AbortController: a fresh signal', [s.aborted, s.reason, c.signal === s], [false, undefined, true]);
  const log = [];
  s.onabort = function (e) { log.push(['onabort', this === s, e.type, e.isTrusted, s.aborted]); };
  s.addEventListener('abort', (e) => log.push(['listener', e.target === s]));
  c.abort();
  eq('AbortController: abort() fires abort once, onabort first (registered first)', log,
    [['onabort', true, 'abort', true, true], ['listener', true]]);
  eq('AbortController: the default reason is an AbortError', [s.reason instanceof DOMException, s.reason.name, s.reason.code, s.reason.message],
    [true, 'AbortError', 20, 'This operation was aborted']);
  const r = s.reason;
  c.abort('again');
  eq('AbortController: a second abort() changes nothing', [s.reason === r, log.length], [true, 2]);
  eq('AbortSignal: throwIfAborted throws the reason', thrown(() => s.throwIfAborted()), 'DOMException AbortError');
  const c2 = new AbortController();
  c2.abort('why');
  eq('AbortController: abort(reason)', c2.signal.reason, 'why');
  let got;
  try { c2.signal.throwIfAborted(); } catch (e) { got = e; }
  eq('AbortSignal: throwIfAborted throws the reason itself', got, 'why');
  eq('AbortSignal: throwIfAborted before abort', thrown(() => new AbortController().signal.throwIfAborted()), 'no throw');
  eq('AbortSignal: no constructor (TypeError)', thrown(() => new AbortSignal()), 'TypeError');
  eq('AbortSignal: is an EventTarget', s instanceof EventTarget, true);
  eq('AbortSignal: toStringTag', Object.prototype.toString.call(s), '[object AbortSignal]');
  eq('AbortSignal: aborted on a non-signal throws TypeError',
    thrown(() => Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get.call({})), 'TypeError');
  const c3 = new AbortController();
  const h = () => {};
  c3.signal.onabort = h;
  eq('AbortSignal: onabort reads back', c3.signal.onabort === h, true);
  c3.signal.onabort = null;
  eq('AbortSignal: onabort = null', c3.signal.onabort, null);
  // HTML: a non-object is null; node keeps it
  c3.signal.onabort = 5;
  eq('AbortSignal: onabort = 5', c3.signal.onabort, MICA ? null : 5);
});

test('AbortSignal.abort, AbortSignal.any', () => {
  const a = AbortSignal.abort();
  eq('AbortSignal.abort(): aborted with an AbortError', [a.aborted, a.reason.name], [true, 'AbortError']);
  eq('AbortSignal.abort(reason)', AbortSignal.abort(42).reason, 42);

  const c1 = new AbortController(), c2 = new AbortController();
  const any = AbortSignal.any([c1.signal, c2.signal]);
  const log = [];
  any.addEventListener('abort', () => log.push(any.reason));
  eq('AbortSignal.any: not aborted yet', any.aborted, false);
  c2.abort('second');
  c1.abort('first');
  eq('AbortSignal.any: follows the first to abort', [any.aborted, any.reason, log], [true, 'second', ['second']]);
  eq('AbortSignal.any: an aborted input aborts it at once',
    AbortSignal.any([new AbortController().signal, AbortSignal.abort('x')]).reason, 'x');
  eq('AbortSignal.any([]) never aborts', AbortSignal.any([]).aborted, false);
  const c4 = new AbortController();
  const dep = AbortSignal.any([c4.signal]);
  let seen;
  c4.signal.addEventListener('abort', () => { seen = dep.aborted; });
  c4.abort();
  // the DOM Standard aborts the dependent signals before firing the events; node 20 after
  eq('AbortSignal.any: dependents are aborted when the source fires', seen, MICA);
  const c3 = new AbortController();
  const nested = AbortSignal.any([AbortSignal.any([c3.signal])]);
  c3.abort('deep');
  eq('AbortSignal.any: of an any signal', nested.reason, 'deep');
  eq('AbortSignal.any: a non-signal throws TypeError', thrown(() => AbortSignal.any([1])), 'TypeError');
  eq('AbortSignal.any: a non-sequence throws TypeError', thrown(() => AbortSignal.any(5)), 'TypeError');
  eq('AbortSignal.any: no argument throws TypeError', thrown(() => AbortSignal.any()), 'TypeError');
});

test('AbortSignal.timeout', async () => {
  const s = AbortSignal.timeout(10);
  eq('AbortSignal.timeout: not aborted at first', s.aborted, false);
  const ev = await new Promise((resolve) => s.addEventListener('abort', resolve));
  eq('AbortSignal.timeout: a TimeoutError DOMException', [ev.type, s.aborted, s.reason instanceof DOMException, s.reason.name,
    s.reason.code, s.reason.message], ['abort', true, true, 'TimeoutError', 23, 'The operation was aborted due to timeout']);
  eq('AbortSignal.timeout(-1) throws RangeError', thrown(() => AbortSignal.timeout(-1)), 'RangeError');
  eq("AbortSignal.timeout('x') throws TypeError", thrown(() => AbortSignal.timeout('x')), 'TypeError');
  eq('AbortSignal.timeout() throws TypeError', thrown(() => AbortSignal.timeout()), 'TypeError');
  const c = new AbortController();
  const t = AbortSignal.timeout(5);
  const any = AbortSignal.any([c.signal, t]);
  await tick(30);
  eq('AbortSignal.any with a timeout', any.reason && any.reason.name, 'TimeoutError');
});

// ---- DOMException -----------------------------------------------------------
test('DOMException', () => {
  const e = new DOMException('m', 'TimeoutError');
  eq('DOMException: name, code, message', [e.name, e.code, e.message, e instanceof Error], ['TimeoutError', 23, 'm', true]);
  eq('DOMException: ABORT_ERR, TIMEOUT_ERR', [DOMException.ABORT_ERR, DOMException.TIMEOUT_ERR], [20, 23]);
});

// ---- globals ----------------------------------------------------------------
test('globals', () => {
  const names = ['Event', 'EventTarget', 'AbortController', 'AbortSignal'];
  eq('globals: functions, not enumerable', names.map((n) => [typeof globalThis[n], Object.getOwnPropertyDescriptor(globalThis, n).enumerable]),
    names.map(() => ['function', false]));
  eq('globals: the prototype chain', Object.getPrototypeOf(AbortSignal.prototype) === EventTarget.prototype, true);
});

run();

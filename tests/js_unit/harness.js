/*
 * The harness shared by the js_unit files written for both runtimes
 * (test_fetch.js, test_events.js, test_streams.js), which each load it first:
 *   - native QuickJS (build/tests/test_*_js, tests/tests.mk): the test file
 *     is scriptArgs[0], web.full.js scriptArgs[1]; this file is read with
 *     std.loadScript, then loads web.full.js and fetch.full.js beside it,
 *     as the guest has them;
 *   - node 20 (tests/js_unit/check-node.sh): read with require(); std is
 *     shimmed with what the tests use of it.
 * What it gives the tests, as globals: NODE, MICA (which runtime), eq,
 * errName, thrown, test, later, tick, and run(), which each file calls last:
 * it runs the tests in order, waits for what later() was given, prints the
 * failures, then "N passed, M failed", and exits with status 1 on failure.
 */
'use strict';

(() => {
  const NODE = typeof std === 'undefined';
  const MICA = !NODE;
  if (NODE) {
    globalThis.std = { out: { puts: (s) => process.stdout.write(s) }, exit: (c) => process.exit(c) };
  } else {
    const webPath = scriptArgs[1];
    if (!webPath) {
      std.err.puts(`usage: test_console_js ${scriptArgs[0]} PATH/TO/web.full.js\n`);
      std.exit(2);
    }
    globalThis.__mica_hrtime = () => 0;
    globalThis.setTimeout = os.setTimeout;
    globalThis.clearTimeout = os.clearTimeout;
    std.loadScript(webPath);
    std.loadScript(webPath.replace(/web\.full\.js$/, 'fetch.full.js'));
  }

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
  // An error's class name (and a DOMException's name).
  const errName = (e) => (e instanceof DOMException ? `DOMException ${e.name}` : e && e.constructor ? e.constructor.name : `${e}`);
  // What fn() throws (its errName), or 'no throw'.
  function thrown(fn) {
    try {
      fn();
      return 'no throw';
    } catch (e) {
      return errName(e);
    }
  }
  // test(name, fn): fn (maybe async) runs in its turn, after the ones before it.
  const tests = [];
  const test = (name, fn) => tests.push([name, fn]);
  // later(name, promise, expected): eq on what the promise settles to.
  const pending = [];
  function later(name, promise, expected) {
    pending.push(promise.then((v) => eq(name, v, expected), (e) => eq(name, `rejected: ${e}`, expected)));
  }
  const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

  function run() {
    const watchdog = setTimeout(() => {
      std.out.puts(`FAIL a test never finished\n${passed} passed, ${failed + 1} failed\n`);
      std.exit(1);
    }, 20000);
    (async () => {
      for (const [name, fn] of tests) {
        if (NODE ? process.env.VERBOSE : std.getenv('VERBOSE')) std.out.puts(`# ${name}\n`);
        try {
          await fn();
        } catch (e) {
          failed++;
          std.out.puts(`FAIL ${name}: threw ${e && e.stack ? e.stack : e}\n`);
        }
      }
      await Promise.all(pending);
      clearTimeout(watchdog);
      std.out.puts(`${passed} passed, ${failed} failed\n`);
      std.exit(failed ? 1 : 0);
    })();
  }

  Object.assign(globalThis, { NODE, MICA, eq, errName, thrown, test, later, tick, run });
})();

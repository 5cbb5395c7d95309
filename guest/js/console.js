/*
 * mica guest console: `console.*` and the inspector used for printing eval
 * completion values, for QuickJS 2021-03-27.
 *
 * Evaluated as a plain script at guest start-up, before any user code.
 * The formatting follows Node.js (v20) util.format / util.inspect (no colors),
 * see the notes at the end of this file for the known differences.
 *
 * Contract with the C side:
 *   - reads the native global `__mica_write(stream, string)` (1 = stdout,
 *     2 = stderr), keeps it in this closure and deletes the global;
 *   - defines `globalThis.console` (writable, configurable, not enumerable);
 *   - defines `globalThis.__mica_inspect(value)` -> string (configurable), which
 *     the C side captures and deletes.
 * Nothing else is added to the global object.
 */
(function () {
  'use strict';

  const G = globalThis;

  // ---------------------------------------------------------------------
  // Captured built-ins ("primordials"): user code runs after us and may
  // replace or break any of these; printing must keep working.
  // ---------------------------------------------------------------------
  const FunctionPrototype = Function.prototype;
  const uncurryThis = (fn) => FunctionPrototype.call.bind(fn);

  const ReflectApply = Reflect.apply;
  const ReflectOwnKeys = Reflect.ownKeys;
  const ObjectPrototype = Object.prototype;
  const ObjectKeys = Object.keys;
  const ObjectGetOwnPropertyNames = Object.getOwnPropertyNames;
  const ObjectGetOwnPropertySymbols = Object.getOwnPropertySymbols;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectIs = Object.is;
  const ObjectFreeze = Object.freeze;
  const ObjectPrototypeHasOwnProperty = uncurryThis(ObjectPrototype.hasOwnProperty);
  const ObjectPrototypePropertyIsEnumerable = uncurryThis(ObjectPrototype.propertyIsEnumerable);
  const ObjectPrototypeToString = uncurryThis(ObjectPrototype.toString);
  const FunctionPrototypeToString = uncurryThis(FunctionPrototype.toString);
  const FunctionPrototypeSymbolHasInstance = uncurryThis(FunctionPrototype[Symbol.hasInstance]);

  const ArrayIsArray = Array.isArray;
  const ArrayPrototypePush = uncurryThis(Array.prototype.push);
  const ArrayPrototypePop = uncurryThis(Array.prototype.pop);
  const ArrayPrototypeJoin = uncurryThis(Array.prototype.join);
  const ArrayPrototypeIncludes = uncurryThis(Array.prototype.includes);
  const ArrayPrototypeIndexOf = uncurryThis(Array.prototype.indexOf);
  const ArrayPrototypeSplice = uncurryThis(Array.prototype.splice);
  const ArrayPrototypeSort = uncurryThis(Array.prototype.sort);
  const ArrayPrototypeSlice = uncurryThis(Array.prototype.slice);
  const ArrayPrototypeUnshift = uncurryThis(Array.prototype.unshift);

  const StringCtor = String;
  const StringPrototypeSlice = uncurryThis(String.prototype.slice);
  const StringPrototypeIndexOf = uncurryThis(String.prototype.indexOf);
  const StringPrototypeIncludes = uncurryThis(String.prototype.includes);
  const StringPrototypeStartsWith = uncurryThis(String.prototype.startsWith);
  const StringPrototypeEndsWith = uncurryThis(String.prototype.endsWith);
  const StringPrototypeRepeat = uncurryThis(String.prototype.repeat);
  const StringPrototypeCharCodeAt = uncurryThis(String.prototype.charCodeAt);
  const StringPrototypeCodePointAt = uncurryThis(String.prototype.codePointAt);
  const StringPrototypePadStart = uncurryThis(String.prototype.padStart);
  const StringPrototypePadEnd = uncurryThis(String.prototype.padEnd);
  const StringPrototypeSplit = uncurryThis(String.prototype.split);
  const StringPrototypeToLowerCase = uncurryThis(String.prototype.toLowerCase);
  const StringPrototypeValueOf = uncurryThis(String.prototype.valueOf);
  const StringPrototypeNormalize = typeof String.prototype.normalize === 'function' ?
    uncurryThis(String.prototype.normalize) : (s) => s;

  const NumberCtor = Number;
  const NumberParseInt = parseInt;
  const NumberParseFloat = parseFloat;
  const NumberIsNaN = Number.isNaN;
  const NumberIsFinite = Number.isFinite;
  const NumberPrototypeToString = uncurryThis(Number.prototype.toString);
  const NumberPrototypeToFixed = uncurryThis(Number.prototype.toFixed);
  const NumberPrototypeValueOf = uncurryThis(Number.prototype.valueOf);
  const BooleanPrototypeValueOf = uncurryThis(Boolean.prototype.valueOf);
  const SymbolPrototypeToString = uncurryThis(Symbol.prototype.toString);
  const SymbolPrototypeValueOf = uncurryThis(Symbol.prototype.valueOf);
  const HasBigInt = typeof BigInt === 'function';
  const BigIntPrototypeValueOf = HasBigInt ? uncurryThis(BigInt.prototype.valueOf) : undefined;

  const MathMin = Math.min;
  const MathMax = Math.max;
  const MathFloor = Math.floor;
  const MathRound = Math.round;
  const MathSqrt = Math.sqrt;
  const MathCeil = Math.ceil;
  const MathTrunc = Math.trunc;

  const DateNow = Date.now;
  const DatePrototypeGetTime = uncurryThis(Date.prototype.getTime);
  const DatePrototypeToISOString = uncurryThis(Date.prototype.toISOString);
  const DatePrototypeToString = uncurryThis(Date.prototype.toString);

  const RegExpCtor = RegExp;
  const RegExpPrototype = RegExp.prototype;
  const RegExpPrototypeToString = uncurryThis(RegExp.prototype.toString);
  const RegExpPrototypeExec = uncurryThis(RegExp.prototype.exec);
  const RegExpSourceGet = uncurryThis(ObjectGetOwnPropertyDescriptor(RegExp.prototype, 'source').get);

  const MapCtor = Map;
  const MapPrototypeGet = uncurryThis(Map.prototype.get);
  const MapPrototypeSet = uncurryThis(Map.prototype.set);
  const MapPrototypeHas = uncurryThis(Map.prototype.has);
  const MapPrototypeDelete = uncurryThis(Map.prototype.delete);
  const MapPrototypeEntries = uncurryThis(Map.prototype.entries);
  const MapSizeGet = uncurryThis(ObjectGetOwnPropertyDescriptor(Map.prototype, 'size').get);
  const MapIteratorNext = uncurryThis(ObjectGetPrototypeOf(new Map().entries()).next);
  const SetPrototypeValues = uncurryThis(Set.prototype.values);
  const SetSizeGet = uncurryThis(ObjectGetOwnPropertyDescriptor(Set.prototype, 'size').get);
  const SetIteratorNext = uncurryThis(ObjectGetPrototypeOf(new Set().values()).next);
  const WeakMapPrototypeHas = uncurryThis(WeakMap.prototype.has);
  const WeakSetPrototypeHas = uncurryThis(WeakSet.prototype.has);

  const ArrayBufferIsView = ArrayBuffer.isView;
  const ArrayBufferByteLengthGet =
    uncurryThis(ObjectGetOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get);
  const SharedArrayBufferByteLengthGet = typeof SharedArrayBuffer === 'function' ?
    uncurryThis(ObjectGetOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength').get) :
    undefined;
  const DataViewByteLengthGet =
    uncurryThis(ObjectGetOwnPropertyDescriptor(DataView.prototype, 'byteLength').get);
  const DataViewByteOffsetGet =
    uncurryThis(ObjectGetOwnPropertyDescriptor(DataView.prototype, 'byteOffset').get);
  const DataViewBufferGet =
    uncurryThis(ObjectGetOwnPropertyDescriptor(DataView.prototype, 'buffer').get);
  const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
  const TypedArrayTagGet =
    uncurryThis(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get);
  const TypedArrayLengthGet =
    uncurryThis(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, 'length').get);
  const TypedArrayByteLengthGet =
    uncurryThis(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, 'byteLength').get);
  const TypedArrayByteOffsetGet =
    uncurryThis(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, 'byteOffset').get);
  const TypedArrayBufferGet =
    uncurryThis(ObjectGetOwnPropertyDescriptor(TypedArrayPrototype, 'buffer').get);
  const Uint8ArrayCtor = Uint8Array;
  const TypedArrayCtors = { __proto__: null };
  {
    const names = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
      'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array',
      'BigInt64Array', 'BigUint64Array'];
    for (let i = 0; i < names.length; i++) {
      if (typeof G[names[i]] === 'function') TypedArrayCtors[names[i]] = G[names[i]];
    }
  }

  const ErrorCtor = Error;
  const PromiseCtor = Promise;
  const JSONStringify = JSON.stringify;

  const SymbolIterator = Symbol.iterator;
  const SymbolToStringTag = Symbol.toStringTag;
  const SymbolToPrimitive = Symbol.toPrimitive;
  const customInspectSymbol = Symbol.for('nodejs.util.inspect.custom');

  let GeneratorFunctionPrototype = null;
  let AsyncFunctionPrototype = null;
  let AsyncGeneratorFunctionPrototype = null;
  try { GeneratorFunctionPrototype = ObjectGetPrototypeOf(function* () {}); } catch {}
  try { AsyncFunctionPrototype = ObjectGetPrototypeOf(async function () {}); } catch {}
  try { AsyncGeneratorFunctionPrototype = ObjectGetPrototypeOf(async function* () {}); } catch {}

  // Names of built-in constructors/namespaces, as node computes them.
  const builtInObjects = { __proto__: null };
  {
    const names = ObjectGetOwnPropertyNames(G);
    for (let i = 0; i < names.length; i++) {
      if (RegExpPrototypeExec(/^[A-Z][a-zA-Z0-9]+$/, names[i]) !== null) {
        builtInObjects[names[i]] = true;
      }
    }
  }

  // Regular expressions used on slow paths only (allocated once).
  const classRegExp = /^(\s+[^(]*?)\s*{/;
  const stripCommentsRegExp = /(\/\/.*?\n)|(\/\*(.|\n)*?\*\/)/g;
  const nullProtoErrorRegExp1 = /^([A-Z][a-z_ A-Z0-9[\]()-]+)(?::|\n {4}at)/;
  const nullProtoErrorRegExp2 = /^([a-z_A-Z0-9-]*Error)$/;

  // The native writer.
  let nativeWrite = G.__mica_write;
  try { delete G.__mica_write; } catch {}
  if (typeof nativeWrite !== 'function') {
    // Not provided (should not happen in the guest): fall back to print().
    const print = G.print;
    nativeWrite = typeof print === 'function' ?
      (stream, str) => print(StringPrototypeSlice(str, 0, -1)) :
      () => {};
  }

  // ---------------------------------------------------------------------
  // Small safe helpers
  // ---------------------------------------------------------------------
  const push = ArrayPrototypePush;

  function replaceAllNewlines(str, replacement) {
    return ArrayPrototypeJoin(StringPrototypeSplit(str, '\n'), replacement);
  }

  // Reads `key` without running getters: walks the prototype chain and
  // returns the value of the first data property found, undefined for
  // accessors or missing properties.
  function safeGet(obj, key) {
    try {
      let o = obj;
      let n = 0;
      while (o !== null && o !== undefined && n++ < 10000) {
        const desc = ObjectGetOwnPropertyDescriptor(o, key);
        if (desc !== undefined) {
          return ObjectPrototypeHasOwnProperty(desc, 'value') ? desc.value : undefined;
        }
        o = ObjectGetPrototypeOf(o);
      }
    } catch {}
    return undefined;
  }

  // Like safeGet but returns the descriptor itself (or undefined).
  function findDescriptor(obj, key) {
    let o = obj;
    let n = 0;
    while (o !== null && o !== undefined && n++ < 10000) {
      const desc = ObjectGetOwnPropertyDescriptor(o, key);
      if (desc !== undefined) return desc;
      o = ObjectGetPrototypeOf(o);
    }
    return undefined;
  }

  function isAccessor(desc) {
    return ObjectPrototypeHasOwnProperty(desc, 'get') || ObjectPrototypeHasOwnProperty(desc, 'set');
  }

  function errorMessageOf(err) {
    try {
      if (err !== null && (typeof err === 'object' || typeof err === 'function')) {
        const m = safeGet(err, 'message');
        if (typeof m === 'string') return m;
        return ObjectPrototypeToString(err);
      }
      return StringCtor(err);
    } catch {
      return 'unknown error';
    }
  }

  // String conversion that never throws (template-literal semantics first).
  function safeString(value) {
    try {
      return `${value}`;
    } catch {
      try {
        return inspect(value);
      } catch {
        return '[object]';
      }
    }
  }

  // ---------------------------------------------------------------------
  // Type detection
  // ---------------------------------------------------------------------
  function tryCheck(fn, v) {
    try {
      fn(v);
      return true;
    } catch {
      return false;
    }
  }
  const isDate = (v) => tryCheck(DatePrototypeGetTime, v);
  const isRegExp = (v) => v !== RegExpPrototype && tryCheck(RegExpSourceGet, v);
  const isMap = (v) => tryCheck(MapSizeGet, v);
  const isSet = (v) => tryCheck(SetSizeGet, v);
  const isWeakMap = (v) => tryCheck((x) => WeakMapPrototypeHas(x, ObjectPrototype), v);
  const isWeakSet = (v) => tryCheck((x) => WeakSetPrototypeHas(x, ObjectPrototype), v);
  const isArrayBuffer = (v) => tryCheck(ArrayBufferByteLengthGet, v);
  const isSharedArrayBuffer = (v) =>
    SharedArrayBufferByteLengthGet !== undefined && tryCheck(SharedArrayBufferByteLengthGet, v);
  const isNumberObject = (v) => tryCheck(NumberPrototypeValueOf, v);
  const isStringObject = (v) => tryCheck(StringPrototypeValueOf, v);
  const isBooleanObject = (v) => tryCheck(BooleanPrototypeValueOf, v);
  const isSymbolObject = (v) => tryCheck(SymbolPrototypeValueOf, v);
  const isBigIntObject = (v) => HasBigInt && tryCheck(BigIntPrototypeValueOf, v);
  const isErrorInstance = (v) => {
    try { return FunctionPrototypeSymbolHasInstance(ErrorCtor, v); } catch { return false; }
  };
  const isPromiseInstance = (v) => {
    try { return FunctionPrototypeSymbolHasInstance(PromiseCtor, v); } catch { return false; }
  };

  function isTypedArray(v) {
    try { return TypedArrayTagGet(v) !== undefined; } catch { return false; }
  }

  // Returns the kind of a non-array object, one of:
  // '' (ordinary), 'TypedArray', 'DataView', 'Map', 'Set', 'WeakMap', 'WeakSet',
  // 'Date', 'RegExp', 'Error', 'ArrayBuffer', 'SharedArrayBuffer', 'Promise',
  // 'Arguments', 'Number', 'String', 'Boolean', 'Symbol', 'BigInt', 'Module'.
  // Uses Object.prototype.toString / the toStringTag found on the prototype
  // chain as a hint, confirmed by a brand check, so that the common case
  // does not throw (exceptions are slow in QuickJS).
  function detectKind(v, constructor) {
    try {
      if (ArrayBufferIsView(v)) return isTypedArray(v) ? 'TypedArray' : 'DataView';
    } catch {}
    let hint = null;
    let exact = false; // no toStringTag anywhere: toString() shows the class
    try {
      const d = findDescriptor(v, SymbolToStringTag);
      if (d === undefined) {
        hint = StringPrototypeSlice(ObjectPrototypeToString(v), 8, -1);
        exact = true;
      } else if (ObjectPrototypeHasOwnProperty(d, 'value') && typeof d.value === 'string') {
        hint = d.value;
      }
    } catch {}
    switch (hint) {
      case 'Object':
        if (constructor !== null) return isErrorInstance(v) ? 'Error' : '';
        break;
      case 'Function':
        return '';
      case 'Date': case 'RegExp': case 'Error': case 'Arguments':
      case 'Number': case 'String': case 'Boolean':
        if (exact) return hint;
        break;
      case 'Map': if (isMap(v)) return hint; break;
      case 'Set': if (isSet(v)) return hint; break;
      case 'WeakMap': if (isWeakMap(v)) return hint; break;
      case 'WeakSet': if (isWeakSet(v)) return hint; break;
      case 'ArrayBuffer': if (isArrayBuffer(v)) return hint; break;
      case 'SharedArrayBuffer': if (isSharedArrayBuffer(v)) return hint; break;
      case 'Symbol': if (isSymbolObject(v)) return hint; break;
      case 'BigInt': if (isBigIntObject(v)) return hint; break;
      case 'Promise': if (isPromiseInstance(v)) return hint; break;
      case 'Module':
        try {
          if (ObjectGetPrototypeOf(v) === null &&
              ObjectPrototypeHasOwnProperty(v, SymbolToStringTag)) return hint;
        } catch {}
        break;
      default:
        break;
    }
    // Unusual object (custom toStringTag, null prototype, ...): exhaustive checks.
    if (isDate(v)) return 'Date';
    if (isRegExp(v)) return 'RegExp';
    if (isMap(v)) return 'Map';
    if (isSet(v)) return 'Set';
    if (isWeakMap(v)) return 'WeakMap';
    if (isWeakSet(v)) return 'WeakSet';
    if (isArrayBuffer(v)) return 'ArrayBuffer';
    if (isSharedArrayBuffer(v)) return 'SharedArrayBuffer';
    if (isNumberObject(v)) return 'Number';
    if (isStringObject(v)) return 'String';
    if (isBooleanObject(v)) return 'Boolean';
    if (isSymbolObject(v)) return 'Symbol';
    if (isBigIntObject(v)) return 'BigInt';
    if (isErrorInstance(v)) return 'Error';
    return '';
  }

  function isGeneratorFunction(fn) {
    try {
      const p = ObjectGetPrototypeOf(fn);
      return p !== null && (p === GeneratorFunctionPrototype || p === AsyncGeneratorFunctionPrototype);
    } catch { return false; }
  }
  function isAsyncFunction(fn) {
    try {
      const p = ObjectGetPrototypeOf(fn);
      return p !== null && (p === AsyncFunctionPrototype || p === AsyncGeneratorFunctionPrototype);
    } catch { return false; }
  }

  // Canonical array index ("0", "1", ... < 2**32 - 1)?
  function isArrayIndexKey(key) {
    const len = key.length;
    if (len === 0 || len > 10) return false;
    const c0 = StringPrototypeCharCodeAt(key, 0);
    if (c0 < 48 || c0 > 57 || (c0 === 48 && len > 1)) return false;
    for (let i = 1; i < len; i++) {
      const c = StringPrototypeCharCodeAt(key, i);
      if (c < 48 || c > 57) return false;
    }
    return len < 10 || +key < 4294967295;
  }

  // ---------------------------------------------------------------------
  // util.inspect
  // ---------------------------------------------------------------------
  const kObjectType = 0;
  const kArrayType = 1;
  const kArrayExtrasType = 2;
  const kMinLineLength = 16;

  const meta = [
    '\\x00', '\\x01', '\\x02', '\\x03', '\\x04', '\\x05', '\\x06', '\\x07',
    '\\b', '\\t', '\\n', '\\x0B', '\\f', '\\r', '\\x0E', '\\x0F',
    '\\x10', '\\x11', '\\x12', '\\x13', '\\x14', '\\x15', '\\x16', '\\x17',
    '\\x18', '\\x19', '\\x1A', '\\x1B', '\\x1C', '\\x1D', '\\x1E', '\\x1F',
    '', '', '', '', '', '', '', "\\'", '', '', '', '', '', '', '', '',
    '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '',
    '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '',
    '', '', '', '', '', '', '', '', '', '', '', '', '\\\\', '', '', '',
    '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '',
    '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '\\x7F',
    '\\x80', '\\x81', '\\x82', '\\x83', '\\x84', '\\x85', '\\x86', '\\x87',
    '\\x88', '\\x89', '\\x8A', '\\x8B', '\\x8C', '\\x8D', '\\x8E', '\\x8F',
    '\\x90', '\\x91', '\\x92', '\\x93', '\\x94', '\\x95', '\\x96', '\\x97',
    '\\x98', '\\x99', '\\x9A', '\\x9B', '\\x9C', '\\x9D', '\\x9E', '\\x9F',
  ];

  // Escapes control characters, the backslash, lone surrogates and (when
  // quote === 39) single quotes. Returns the string unchanged if nothing
  // needs escaping.
  function escapeChars(str, quote) {
    let result = '';
    let last = 0;
    const len = str.length;
    for (let i = 0; i < len; i++) {
      const point = StringPrototypeCharCodeAt(str, i);
      if (point === quote || point === 92 || point < 32 || (point > 126 && point < 160)) {
        if (last === i) {
          result += meta[point];
        } else {
          result += `${StringPrototypeSlice(str, last, i)}${meta[point]}`;
        }
        last = i + 1;
      } else if (point >= 0xd800 && point <= 0xdfff) {
        if (point <= 0xdbff && i + 1 < len) {
          const next = StringPrototypeCharCodeAt(str, i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) {
            i++;
            continue;
          }
        }
        result += `${StringPrototypeSlice(str, last, i)}\\u${NumberPrototypeToString(point, 16)}`;
        last = i + 1;
      }
    }
    if (last === 0) return str;
    if (last !== len) result += StringPrototypeSlice(str, last);
    return result;
  }

  function strEscape(str) {
    let quote = 39;
    if (StringPrototypeIncludes(str, "'")) {
      if (!StringPrototypeIncludes(str, '"')) {
        quote = -1;
      } else if (!StringPrototypeIncludes(str, '`') && !StringPrototypeIncludes(str, '${')) {
        quote = -2;
      }
    }
    const body = escapeChars(str, quote);
    if (quote === -1) return `"${body}"`;
    if (quote === -2) return `\`${body}\``;
    return `'${body}'`;
  }

  function isIdentifierKey(key) {
    const len = key.length;
    if (len === 0) return false;
    for (let i = 0; i < len; i++) {
      const c = StringPrototypeCharCodeAt(key, i);
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 ||
          (i > 0 && c >= 48 && c <= 57)) {
        continue;
      }
      return false;
    }
    return true;
  }

  const inspectDefaultOptions = {
    __proto__: null,
    showHidden: false,
    depth: 2,
    colors: false,
    customInspect: true,
    showProxy: false,
    maxArrayLength: 100,
    maxStringLength: 10000,
    breakLength: 80,
    compact: 3,
    sorted: false,
    getters: false,
    numericSeparator: false,
  };
  const inspectOptionNames = ObjectKeys(inspectDefaultOptions);

  function inspect(value, opts) {
    const ctx = {
      budget: [],
      indentationLvl: 0,
      seen: [],
      currentDepth: 0,
      circular: undefined,
      showHidden: false,
      depth: 2,
      colors: false,
      customInspect: true,
      showProxy: false,
      maxArrayLength: 100,
      maxStringLength: 10000,
      breakLength: 80,
      compact: 3,
      sorted: false,
      getters: false,
      numericSeparator: false,
    };
    if (typeof opts === 'boolean') {
      ctx.showHidden = opts;
    } else if (opts !== null && typeof opts === 'object') {
      for (let i = 0; i < inspectOptionNames.length; i++) {
        const key = inspectOptionNames[i];
        try {
          if (ObjectPrototypeHasOwnProperty(opts, key)) {
            const v = opts[key];
            if (v !== undefined) ctx[key] = v;
          }
        } catch {}
      }
    }
    ctx.colors = false; // colors are not supported
    if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
    if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
    if (typeof ctx.maxArrayLength !== 'number') ctx.maxArrayLength = 100;
    if (typeof ctx.maxStringLength !== 'number') ctx.maxStringLength = 10000;
    if (typeof ctx.breakLength !== 'number') ctx.breakLength = 80;
    if (ctx.depth !== null && typeof ctx.depth !== 'number') ctx.depth = 2;
    if (ctx.compact !== true && typeof ctx.compact !== 'number') ctx.compact = ctx.compact ? 3 : 0;
    return formatValue(ctx, value, 0);
  }
  inspect.custom = customInspectSymbol;

  function getUserOptions(ctx) {
    const ret = { stylize: (s) => `${s}` };
    for (let i = 0; i < inspectOptionNames.length; i++) {
      ret[inspectOptionNames[i]] = ctx[inspectOptionNames[i]];
    }
    return ret;
  }

  function getConstructorName(obj, ctx, recurseTimes, protoProps) {
    let firstProto;
    const tmp = obj;
    let guard = 0;
    while (obj && guard++ < 10000) {
      if (obj === ObjectPrototype || obj === FunctionPrototype) {
        const ctor = obj === ObjectPrototype ? Object : Function;
        if (FunctionPrototypeSymbolHasInstance(ctor, tmp)) {
          if (protoProps !== undefined && firstProto !== obj) {
            addPrototypeProperties(ctx, tmp, firstProto || tmp, recurseTimes, protoProps);
          }
          return obj === ObjectPrototype ? 'Object' : 'Function';
        }
      }
      const descriptor = ObjectGetOwnPropertyDescriptor(obj, 'constructor');
      if (descriptor !== undefined && typeof descriptor.value === 'function') {
        const name = functionName(descriptor.value);
        if (name !== '' && isInstanceof(tmp, descriptor.value)) {
          if (protoProps !== undefined &&
              (firstProto !== obj || !builtInObjects[name])) {
            addPrototypeProperties(ctx, tmp, firstProto || tmp, recurseTimes, protoProps);
          }
          return name;
        }
      }
      obj = ObjectGetPrototypeOf(obj);
      if (firstProto === undefined) firstProto = obj;
    }

    if (firstProto === null) return null;

    const res = internalGetConstructorName(tmp);
    if (ctx.depth !== null && recurseTimes > ctx.depth) {
      return `${res} <Complex prototype>`;
    }
    const protoConstr = getConstructorName(firstProto, ctx, recurseTimes + 1, protoProps);
    if (protoConstr === null) {
      const sub = { __proto__: null };
      for (let i = 0; i < inspectOptionNames.length; i++) {
        sub[inspectOptionNames[i]] = ctx[inspectOptionNames[i]];
      }
      sub.customInspect = false;
      sub.depth = -1;
      return `${res} <${inspect(firstProto, sub)}>`;
    }
    return `${res} <${protoConstr}>`;
  }

  function functionName(fn) {
    const name = safeGet(fn, 'name');
    return typeof name === 'string' ? name : '';
  }

  function isInstanceof(object, ctor) {
    try {
      return FunctionPrototypeSymbolHasInstance(ctor, object);
    } catch {
      return false;
    }
  }

  function internalGetConstructorName(v) {
    try {
      if (typeof v === 'function') return 'Function';
      if (ArrayIsArray(v)) return 'Array';
      return StringPrototypeSlice(ObjectPrototypeToString(v), 8, -1);
    } catch {
      return 'Object';
    }
  }

  function addPrototypeProperties(ctx, main, obj, recurseTimes, output) {
    let depth = 0;
    let keys;
    let keySet;
    do {
      if (depth !== 0 || main === obj) {
        obj = ObjectGetPrototypeOf(obj);
        if (obj === null) return;
        const descriptor = ObjectGetOwnPropertyDescriptor(obj, 'constructor');
        if (descriptor !== undefined && typeof descriptor.value === 'function' &&
            builtInObjects[functionName(descriptor.value)]) {
          return;
        }
      }
      if (depth === 0) {
        keySet = new MapCtor();
      } else {
        for (let i = 0; i < keys.length; i++) MapPrototypeSet(keySet, keys[i], true);
      }
      keys = ReflectOwnKeys(obj);
      push(ctx.seen, main);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (key === 'constructor' || ObjectPrototypeHasOwnProperty(main, key) ||
            (depth !== 0 && MapPrototypeHas(keySet, key))) {
          continue;
        }
        const desc = ObjectGetOwnPropertyDescriptor(obj, key);
        if (desc === undefined || typeof desc.value === 'function') continue;
        push(output, formatProperty(ctx, obj, recurseTimes, key, kObjectType, desc, main));
      }
      ArrayPrototypePop(ctx.seen);
    } while (++depth !== 3);
  }

  function getPrefix(constructor, tag, fallback, size) {
    if (size === undefined) size = '';
    if (constructor === null) {
      if (tag !== '' && fallback !== tag) {
        return `[${fallback}${size}: null prototype] [${tag}] `;
      }
      return `[${fallback}${size}: null prototype] `;
    }
    if (tag !== '' && constructor !== tag) {
      return `${constructor}${size} [${tag}] `;
    }
    return `${constructor}${size} `;
  }

  function getKeys(value, showHidden) {
    let keys;
    const symbols = ObjectGetOwnPropertySymbols(value);
    if (showHidden) {
      keys = ObjectGetOwnPropertyNames(value);
      for (let i = 0; i < symbols.length; i++) push(keys, symbols[i]);
    } else {
      try {
        keys = ObjectKeys(value);
      } catch {
        keys = ObjectGetOwnPropertyNames(value); // uninitialized module namespace
      }
      for (let i = 0; i < symbols.length; i++) {
        if (ObjectPrototypePropertyIsEnumerable(value, symbols[i])) push(keys, symbols[i]);
      }
    }
    return keys;
  }

  // Own keys that are not array indices (arrays, typed arrays).
  // QuickJS has no cheap way to list them: Reflect.ownKeys() materialises a
  // string per element. Above kMaxKeyScanLength elements only symbol keys
  // (and `length` with showHidden) are listed.
  const kMaxKeyScanLength = 1 << 20;
  function getOwnNonIndexProperties(value, showHidden, length) {
    let all;
    const keys = [];
    if (length > kMaxKeyScanLength) {
      all = ObjectGetOwnPropertySymbols(value);
      if (showHidden && ArrayIsArray(value)) push(keys, 'length');
    } else {
      all = ReflectOwnKeys(value);
    }
    // Keys come as: integer indices (ascending), strings, symbols. Only the
    // tail after the last index is of interest.
    let start = all.length;
    while (start > 0) {
      const key = all[start - 1];
      if (typeof key === 'string' && isArrayIndexKey(key)) break;
      start--;
    }
    for (let i = start; i < all.length; i++) {
      const key = all[i];
      if (!showHidden && !ObjectPrototypePropertyIsEnumerable(value, key)) continue;
      push(keys, key);
    }
    return keys;
  }

  function getCtxStyle(value, constructor, tag) {
    let fallback = '';
    if (constructor === null) {
      fallback = internalGetConstructorName(value);
      if (fallback === tag) fallback = 'Object';
    }
    return getPrefix(constructor, tag, fallback);
  }

  function getTag(value, ctx) {
    const desc = findDescriptor(value, SymbolToStringTag);
    if (desc === undefined || !ObjectPrototypeHasOwnProperty(desc, 'value')) return '';
    const tag = desc.value;
    if (typeof tag !== 'string') return '';
    if (tag !== '' &&
        (ctx.showHidden ? ObjectPrototypeHasOwnProperty : ObjectPrototypePropertyIsEnumerable)(
          value, SymbolToStringTag)) {
      return '';
    }
    return tag;
  }

  function formatValue(ctx, value, recurseTimes, typedArray) {
    if (typeof value !== 'object' && typeof value !== 'function') {
      return formatPrimitive(value, ctx);
    }
    if (value === null) return 'null';

    if (ctx.customInspect) {
      const maybeCustom = safeGet(value, customInspectSymbol);
      if (typeof maybeCustom === 'function' && maybeCustom !== inspect) {
        const ctor = safeGet(value, 'constructor');
        const isProto = (typeof ctor === 'function' || (typeof ctor === 'object' && ctor !== null)) &&
          safeGet(ctor, 'prototype') === value;
        if (!isProto) {
          const depth = ctx.depth === null ? null : ctx.depth - recurseTimes;
          const lvl = ctx.indentationLvl;
          let ret;
          try {
            ret = ReflectApply(maybeCustom, value, [depth, getUserOptions(ctx), inspect]);
          } catch (err) {
            ctx.indentationLvl = lvl;
            return `<Inspection threw (${errorMessageOf(err)})>`;
          }
          if (ret !== value) {
            if (typeof ret !== 'string') return formatValue(ctx, ret, recurseTimes);
            return replaceAllNewlines(ret, `\n${StringPrototypeRepeat(' ', ctx.indentationLvl)}`);
          }
        }
      }
    }

    if (ArrayPrototypeIncludes(ctx.seen, value)) {
      let index = 1;
      if (ctx.circular === undefined) {
        ctx.circular = new MapCtor();
        MapPrototypeSet(ctx.circular, value, index);
      } else {
        index = MapPrototypeGet(ctx.circular, value);
        if (index === undefined) {
          index = MapSizeGet(ctx.circular) + 1;
          MapPrototypeSet(ctx.circular, value, index);
        }
      }
      return `[Circular *${index}]`;
    }

    const seenLength = ctx.seen.length;
    const indentationLvl = ctx.indentationLvl;
    try {
      return formatRaw(ctx, value, recurseTimes, typedArray);
    } catch (err) {
      ctx.seen.length = seenLength;
      ctx.indentationLvl = indentationLvl;
      return `<Inspection threw (${errorMessageOf(err)})>`;
    }
  }

  function getEmptyFormatArray() {
    return [];
  }

  function formatRaw(ctx, value, recurseTimes, typedArray) {
    let keys;
    let protoProps;
    if (ctx.showHidden && (ctx.depth === null || recurseTimes <= ctx.depth)) {
      protoProps = [];
    }
    const constructor = getConstructorName(value, ctx, recurseTimes, protoProps);
    if (protoProps !== undefined && protoProps.length === 0) protoProps = undefined;

    const tag = getTag(value, ctx);
    let base = '';
    let formatter = getEmptyFormatArray;
    let braces;
    let noIterator = true;
    let extrasType = kObjectType;
    const isArray = ArrayIsArray(value);
    const kind = isArray || typeof value === 'function' ? '' : detectKind(value, constructor);

    if (isArray) {
      noIterator = false;
      const length = value.length;
      const prefix = (constructor !== 'Array' || tag !== '') ?
        getPrefix(constructor, tag, 'Array', `(${length})`) : '';
      keys = getOwnNonIndexProperties(value, ctx.showHidden, length);
      braces = [`${prefix}[`, ']'];
      if (length === 0 && keys.length === 0 && protoProps === undefined) return `${braces[0]}]`;
      extrasType = kArrayExtrasType;
      formatter = formatArray;
    } else if (kind === 'Set') {
      noIterator = false;
      const size = SetSizeGet(value);
      const prefix = getPrefix(constructor, tag, 'Set', `(${size})`);
      keys = getKeys(value, ctx.showHidden);
      formatter = formatSet;
      if (size === 0 && keys.length === 0 && protoProps === undefined) return `${prefix}{}`;
      braces = [`${prefix}{`, '}'];
    } else if (kind === 'Map') {
      noIterator = false;
      const size = MapSizeGet(value);
      const prefix = getPrefix(constructor, tag, 'Map', `(${size})`);
      keys = getKeys(value, ctx.showHidden);
      formatter = formatMap;
      if (size === 0 && keys.length === 0 && protoProps === undefined) return `${prefix}{}`;
      braces = [`${prefix}{`, '}'];
    } else if (kind === 'TypedArray') {
      noIterator = false;
      const size = TypedArrayLengthGet(value);
      keys = getOwnNonIndexProperties(value, ctx.showHidden, size);
      let fallback = '';
      if (constructor === null) fallback = TypedArrayTagGet(value);
      const prefix = getPrefix(constructor, tag, fallback, `(${size})`);
      braces = [`${prefix}[`, ']'];
      if (size === 0 && keys.length === 0 && !ctx.showHidden) return `${braces[0]}]`;
      formatter = formatTypedArray;
      extrasType = kArrayExtrasType;
    }

    if (noIterator) {
      keys = getKeys(value, ctx.showHidden);
      braces = ['{', '}'];
      if (typeof value === 'function') {
        base = getFunctionBase(value, constructor, tag);
        if (keys.length === 0 && protoProps === undefined) return base;
      } else if (constructor === 'Object') {
        if (kind === 'Arguments') {
          braces[0] = '[Arguments] {';
        } else if (tag !== '') {
          braces[0] = `${getPrefix(constructor, tag, 'Object')}{`;
        }
        if (keys.length === 0 && protoProps === undefined) return `${braces[0]}}`;
      } else if (kind === 'RegExp') {
        base = RegExpPrototypeToString(constructor !== null ? value : new RegExpCtor(value));
        const prefix = getPrefix(constructor, tag, 'RegExp');
        if (prefix !== 'RegExp ') base = `${prefix}${base}`;
        if ((keys.length === 0 && protoProps === undefined) ||
            (ctx.depth !== null && recurseTimes > ctx.depth)) {
          return base;
        }
      } else if (kind === 'Date') {
        base = NumberIsNaN(DatePrototypeGetTime(value)) ?
          DatePrototypeToString(value) : DatePrototypeToISOString(value);
        const prefix = getPrefix(constructor, tag, 'Date');
        if (prefix !== 'Date ') base = `${prefix}${base}`;
        if (keys.length === 0 && protoProps === undefined) return base;
      } else if (kind === 'Error') {
        base = formatError(value, constructor, tag, ctx, keys);
        if (keys.length === 0 && protoProps === undefined) return base;
      } else if (kind === 'ArrayBuffer' || kind === 'SharedArrayBuffer') {
        const prefix = getPrefix(constructor, tag, kind);
        const byteLength = kind === 'ArrayBuffer' ?
          ArrayBufferByteLengthGet(value) : SharedArrayBufferByteLengthGet(value);
        if (typedArray === undefined) {
          formatter = formatArrayBuffer;
        } else if (keys.length === 0 && protoProps === undefined) {
          return `${prefix}{ byteLength: ${formatNumber(byteLength, false)} }`;
        }
        braces[0] = `${prefix}{`;
        ArrayPrototypeUnshift(keys, { key: 'byteLength', value: byteLength });
      } else if (kind === 'DataView') {
        braces[0] = `${getPrefix(constructor, tag, 'DataView')}{`;
        ArrayPrototypeUnshift(keys,
          { key: 'byteLength', value: DataViewByteLengthGet(value) },
          { key: 'byteOffset', value: DataViewByteOffsetGet(value) },
          { key: 'buffer', value: DataViewBufferGet(value) });
      } else if (kind === 'Promise') {
        // QuickJS offers no way to read the state of a promise.
        braces[0] = `${getPrefix(constructor, tag, 'Promise')}{`;
        if (keys.length === 0 && protoProps === undefined) return `${braces[0]}}`;
      } else if (kind === 'WeakSet') {
        braces[0] = `${getPrefix(constructor, tag, 'WeakSet')}{`;
        formatter = formatWeakCollection;
      } else if (kind === 'WeakMap') {
        braces[0] = `${getPrefix(constructor, tag, 'WeakMap')}{`;
        formatter = formatWeakCollection;
      } else if (kind === 'Module') {
        braces[0] = `${getPrefix(constructor, tag, 'Module')}{`;
        formatter = formatNamespaceObject;
      } else if (kind === 'Number' || kind === 'String' || kind === 'Boolean' ||
                 kind === 'Symbol' || kind === 'BigInt') {
        base = getBoxedBase(value, ctx, keys, constructor, tag, kind);
        if (keys.length === 0 && protoProps === undefined) return base;
      } else {
        if (keys.length === 0 && protoProps === undefined) {
          return `${getCtxStyle(value, constructor, tag)}{}`;
        }
        braces[0] = `${getCtxStyle(value, constructor, tag)}{`;
      }
    }

    if (ctx.depth !== null && recurseTimes > ctx.depth) {
      let constructorName = StringPrototypeSlice(getCtxStyle(value, constructor, tag), 0, -1);
      if (constructor !== null) constructorName = `[${constructorName}]`;
      return constructorName;
    }
    recurseTimes += 1;

    push(ctx.seen, value);
    ctx.currentDepth = recurseTimes;
    const output = formatter(ctx, value, recurseTimes, keys);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (typeof key === 'object') {
        // Synthetic entry (byteLength, buffer, ...), value already read.
        push(output, formatProperty(ctx, value, recurseTimes, key.key, extrasType,
          { value: key.value, enumerable: true }));
      } else {
        push(output, formatProperty(ctx, value, recurseTimes, key, extrasType));
      }
    }
    if (protoProps !== undefined) {
      for (let i = 0; i < protoProps.length; i++) push(output, protoProps[i]);
    }

    if (ctx.circular !== undefined) {
      const index = MapPrototypeGet(ctx.circular, value);
      if (index !== undefined) {
        const reference = `<ref *${index}>`;
        if (ctx.compact !== true) {
          base = base === '' ? reference : `${reference} ${base}`;
        } else {
          braces[0] = `${reference} ${braces[0]}`;
        }
      }
    }
    ArrayPrototypePop(ctx.seen);

    if (ctx.sorted) {
      const comparator = ctx.sorted === true ? undefined : ctx.sorted;
      if (extrasType === kObjectType) {
        ArrayPrototypeSort(output, comparator);
      } else if (keys.length > 1) {
        const sorted = ArrayPrototypeSort(
          ArrayPrototypeSlice(output, output.length - keys.length), comparator);
        ArrayPrototypeUnshift(sorted, output.length - keys.length, keys.length);
        ReflectApply(ArrayPrototypeSplice, null, [output, ...sorted]);
      }
    }

    const res = reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
    const budget = ctx.budget[ctx.indentationLvl] || 0;
    const newLength = budget + res.length;
    ctx.budget[ctx.indentationLvl] = newLength;
    if (newLength > 2 ** 27) ctx.depth = -1;
    return res;
  }

  function getBoxedBase(value, ctx, keys, constructor, tag, type) {
    let primitive;
    if (type === 'Number') {
      primitive = NumberPrototypeValueOf(value);
    } else if (type === 'String') {
      primitive = StringPrototypeValueOf(value);
      // Drop the index keys of the characters.
      ArrayPrototypeSplice(keys, 0, primitive.length);
    } else if (type === 'Boolean') {
      primitive = BooleanPrototypeValueOf(value);
    } else if (type === 'BigInt') {
      primitive = BigIntPrototypeValueOf(value);
    } else {
      primitive = SymbolPrototypeValueOf(value);
    }
    let base = `[${type}`;
    if (type !== constructor) {
      if (constructor === null) {
        base += ' (null prototype)';
      } else {
        base += ` (${constructor})`;
      }
    }
    base += `: ${formatPrimitive(primitive, ctx)}]`;
    if (tag !== '' && tag !== constructor) base += ` [${tag}]`;
    return base;
  }

  function getClassBase(value, constructor, tag) {
    const hasName = ObjectPrototypeHasOwnProperty(value, 'name');
    const name = (hasName && safeGet(value, 'name')) || '(anonymous)';
    let base = `class ${safeString(name)}`;
    if (constructor !== 'Function' && constructor !== null) base += ` [${constructor}]`;
    if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
    if (constructor !== null) {
      const superName = safeGet(ObjectGetPrototypeOf(value), 'name');
      if (superName) base += ` extends ${safeString(superName)}`;
    } else {
      base += ' extends [null prototype]';
    }
    return `[${base}]`;
  }

  function getFunctionBase(value, constructor, tag) {
    let stringified = '';
    try { stringified = FunctionPrototypeToString(value); } catch {}
    if (StringPrototypeStartsWith(stringified, 'class') &&
        StringPrototypeEndsWith(stringified, '}')) {
      const slice = StringPrototypeSlice(stringified, 5, -1);
      const bracketIndex = StringPrototypeIndexOf(slice, '{');
      if (bracketIndex !== -1 &&
          (!StringPrototypeIncludes(StringPrototypeSlice(slice, 0, bracketIndex), '(') ||
           RegExpPrototypeExec(classRegExp,
             ReflectApply(String.prototype.replace, slice, [stripCommentsRegExp, ''])) !== null)) {
        return getClassBase(value, constructor, tag);
      }
    }
    let type = 'Function';
    if (isGeneratorFunction(value)) type = `Generator${type}`;
    if (isAsyncFunction(value)) type = `Async${type}`;
    let base = `[${type}`;
    if (constructor === null) base += ' (null prototype)';
    const name = safeGet(value, 'name');
    if (name === '' || name === undefined) {
      base += ' (anonymous)';
    } else {
      base += `: ${safeString(name)}`;
    }
    base += ']';
    if (constructor !== type && constructor !== null) base += ` ${constructor}`;
    if (tag !== '' && constructor !== tag) base += ` [${tag}]`;
    return base;
  }

  function identicalSequenceRange(a, b) {
    for (let i = 0; i < a.length - 3; i++) {
      const pos = ArrayPrototypeIndexOf(b, a[i]);
      if (pos !== -1) {
        const rest = b.length - pos;
        if (rest > 3) {
          let len = 1;
          const maxLen = MathMin(a.length - i, rest);
          while (maxLen > len && a[i + len] === b[pos + len]) len++;
          if (len > 3) return { len, offset: i };
        }
      }
    }
    return { len: 0, offset: 0 };
  }

  // "name: message" as Error.prototype.toString would, without getters.
  function errorHeader(err) {
    const nameV = safeGet(err, 'name');
    const msgV = safeGet(err, 'message');
    const name = nameV === undefined ? 'Error' : safeString(nameV);
    const msg = msgV === undefined ? '' : safeString(msgV);
    if (name === '') return msg;
    if (msg === '') return name;
    return `${name}: ${msg}`;
  }

  // QuickJS stores only the frames in `stack` ("    at f (file:1)\n...");
  // V8/node put "Name: message" first. Rebuild the node form.
  function getStackString(err) {
    const stack = safeGet(err, 'stack');
    if (stack) {
      const s = safeString(stack);
      if (StringPrototypeStartsWith(s, '    at ')) {
        let end = s.length;
        while (end > 0 && StringPrototypeCharCodeAt(s, end - 1) === 10) end--;
        return `${errorHeader(err)}\n${StringPrototypeSlice(s, 0, end)}`;
      }
      return s;
    }
    return errorHeader(err);
  }

  function getStackFrames(ctx, err, stack) {
    const frames = StringPrototypeSplit(stack, '\n');
    const cause = safeGet(err, 'cause');
    if (cause !== null && typeof cause === 'object' && detectKind(cause, '') === 'Error') {
      const causeStack = getStackString(cause);
      const causeStackStart = StringPrototypeIndexOf(causeStack, '\n    at');
      if (causeStackStart !== -1) {
        const causeFrames = StringPrototypeSplit(StringPrototypeSlice(causeStack, causeStackStart + 1), '\n');
        const { len, offset } = identicalSequenceRange(frames, causeFrames);
        if (len > 0) {
          const skipped = len - 2;
          const msg = `    ... ${skipped} lines matching cause stack trace ...`;
          ArrayPrototypeSplice(frames, offset + 1, skipped, msg);
        }
      }
    }
    return frames;
  }

  function improveStack(stack, constructor, name, tag) {
    let len = name.length;
    if (constructor === null ||
        (StringPrototypeEndsWith(name, 'Error') &&
         StringPrototypeStartsWith(stack, name) &&
         (stack.length === len || stack[len] === ':' || stack[len] === '\n'))) {
      let fallback = 'Error';
      if (constructor === null) {
        const start = RegExpPrototypeExec(nullProtoErrorRegExp1, stack) ||
          RegExpPrototypeExec(nullProtoErrorRegExp2, stack);
        fallback = (start && start[1]) || '';
        len = fallback.length;
        fallback = fallback || 'Error';
      }
      const prefix = StringPrototypeSlice(getPrefix(constructor, tag, fallback), 0, -1);
      if (name !== prefix) {
        if (StringPrototypeIncludes(prefix, name)) {
          if (len === 0) {
            stack = `${prefix}: ${stack}`;
          } else {
            stack = `${prefix}${StringPrototypeSlice(stack, len)}`;
          }
        } else {
          stack = `${prefix} [${name}]${StringPrototypeSlice(stack, len)}`;
        }
      }
    }
    return stack;
  }

  function removeDuplicateErrorKeys(ctx, keys, err, stack) {
    if (!ctx.showHidden && keys.length !== 0) {
      const names = ['name', 'message', 'stack'];
      for (let i = 0; i < names.length; i++) {
        const index = ArrayPrototypeIndexOf(keys, names[i]);
        if (index !== -1 && StringPrototypeIncludes(stack, safeString(safeGet(err, names[i])))) {
          ArrayPrototypeSplice(keys, index, 1);
        }
      }
    }
  }

  function formatError(err, constructor, tag, ctx, keys) {
    const nameV = safeGet(err, 'name');
    const name = nameV != null ? safeString(nameV) : 'Error';
    let stack = getStackString(err);

    removeDuplicateErrorKeys(ctx, keys, err, stack);

    let hasCause = false;
    try { hasCause = 'cause' in err; } catch {}
    if (hasCause && (keys.length === 0 || !ArrayPrototypeIncludes(keys, 'cause'))) {
      push(keys, 'cause');
    }
    if (ArrayIsArray(safeGet(err, 'errors')) &&
        (keys.length === 0 || !ArrayPrototypeIncludes(keys, 'errors'))) {
      push(keys, 'errors');
    }

    stack = improveStack(stack, constructor, name, tag);

    const message = safeGet(err, 'message');
    let pos = (message && StringPrototypeIndexOf(stack, safeString(message))) || -1;
    if (pos !== -1) pos += safeString(message).length;
    const stackStart = StringPrototypeIndexOf(stack, '\n    at', pos);
    if (stackStart === -1) {
      stack = `[${stack}]`;
    } else {
      const lines = getStackFrames(ctx, err, StringPrototypeSlice(stack, stackStart + 1));
      stack = `${StringPrototypeSlice(stack, 0, stackStart)}\n${ArrayPrototypeJoin(lines, '\n')}`;
    }
    if (ctx.indentationLvl !== 0) {
      stack = replaceAllNewlines(stack, `\n${StringPrototypeRepeat(' ', ctx.indentationLvl)}`);
    }
    return stack;
  }

  function groupArrayElements(ctx, output, value) {
    let totalLength = 0;
    let maxLength = 0;
    let i = 0;
    let outputLength = output.length;
    if (ctx.maxArrayLength < output.length) {
      // This makes sure the "... n more items" part is not taken into account.
      outputLength--;
    }
    const separatorSpace = 2; // Add 1 for the space and 1 for the separator.
    const dataLen = [];
    for (; i < outputLength; i++) {
      const len = getStringWidth(output[i], ctx.colors);
      dataLen[i] = len;
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + ctx.indentationLvl < ctx.breakLength &&
        (totalLength / actualMax > 5 || maxLength <= 6)) {
      const approxCharHeights = 2.5;
      const averageBias = MathSqrt(actualMax - totalLength / output.length);
      const biasedMax = MathMax(actualMax - 3 - averageBias, 1);
      const columns = MathMin(
        MathRound(MathSqrt(approxCharHeights * biasedMax * outputLength) / biasedMax),
        MathFloor((ctx.breakLength - ctx.indentationLvl) / actualMax),
        ctx.compact * 4,
        15,
      );
      if (columns <= 1) return output;
      const tmp = [];
      const maxLineLength = [];
      for (let c = 0; c < columns; c++) {
        let lineMaxLength = 0;
        for (let j = c; j < output.length; j += columns) {
          if (dataLen[j] > lineMaxLength) lineMaxLength = dataLen[j];
        }
        maxLineLength[c] = lineMaxLength + separatorSpace;
      }
      let order = StringPrototypePadStart;
      if (value !== undefined) {
        for (let k = 0; k < output.length; k++) {
          const t = typeof readElement(value, k);
          if (t !== 'number' && t !== 'bigint') {
            order = StringPrototypePadEnd;
            break;
          }
        }
      }
      for (let k = 0; k < outputLength; k += columns) {
        const max = MathMin(k + columns, outputLength);
        let str = '';
        let j = k;
        for (; j < max - 1; j++) {
          const padding = maxLineLength[j - k] + output[j].length - dataLen[j];
          str += order(`${output[j]}, `, padding, ' ');
        }
        if (order === StringPrototypePadStart) {
          const padding = maxLineLength[j - k] + output[j].length - dataLen[j] - separatorSpace;
          str += StringPrototypePadStart(output[j], padding, ' ');
        } else {
          str += output[j];
        }
        push(tmp, str);
      }
      if (ctx.maxArrayLength < output.length) push(tmp, output[outputLength]);
      output = tmp;
    }
    return output;
  }

  // value[index] without running getters.
  function readElement(value, index) {
    try {
      if (isTypedArray(value)) return value[index];
      const desc = ObjectGetOwnPropertyDescriptor(value, index);
      if (desc !== undefined && ObjectPrototypeHasOwnProperty(desc, 'value')) return desc.value;
    } catch {}
    return undefined;
  }

  function addNumericSeparator(integerString) {
    let result = '';
    let i = integerString.length;
    const start = StringPrototypeStartsWith(integerString, '-') ? 1 : 0;
    for (; i >= start + 4; i -= 3) {
      result = `_${StringPrototypeSlice(integerString, i - 3, i)}${result}`;
    }
    return i === integerString.length ?
      integerString : `${StringPrototypeSlice(integerString, 0, i)}${result}`;
  }

  function addNumericSeparatorEnd(integerString) {
    let result = '';
    let i = 0;
    for (; i < integerString.length - 3; i += 3) {
      result += `${StringPrototypeSlice(integerString, i, i + 3)}_`;
    }
    return i === 0 ? integerString : `${result}${StringPrototypeSlice(integerString, i)}`;
  }

  const remainingText = (remaining) => `... ${remaining} more item${remaining > 1 ? 's' : ''}`;

  function formatNumber(number, numericSeparator) {
    if (!numericSeparator) {
      if (ObjectIs(number, -0)) return '-0';
      return `${number}`;
    }
    const numberString = `${number}`;
    const integer = MathTrunc(number);
    if (integer === number) {
      if (!NumberIsFinite(number) || StringPrototypeIncludes(numberString, 'e')) {
        return numberString;
      }
      return addNumericSeparator(numberString);
    }
    if (NumberIsNaN(number)) return numberString;
    const decimalIndex = StringPrototypeIndexOf(numberString, '.');
    if (decimalIndex === -1) return numberString;
    const integerPart = StringPrototypeSlice(numberString, 0, decimalIndex);
    const fractionalPart = StringPrototypeSlice(numberString, decimalIndex + 1);
    return `${addNumericSeparator(integerPart)}.${addNumericSeparatorEnd(fractionalPart)}`;
  }

  function formatBigInt(bigint, numericSeparator) {
    const string = `${bigint}`;
    if (!numericSeparator) return `${string}n`;
    return `${addNumericSeparator(string)}n`;
  }

  function formatPrimitive(value, ctx) {
    if (typeof value === 'string') {
      let trailer = '';
      if (value.length > ctx.maxStringLength) {
        const remaining = value.length - ctx.maxStringLength;
        value = StringPrototypeSlice(value, 0, MathMax(ctx.maxStringLength, 0));
        trailer = `... ${remaining} more character${remaining > 1 ? 's' : ''}`;
      }
      if (ctx.compact !== true &&
          value.length > kMinLineLength &&
          value.length > ctx.breakLength - ctx.indentationLvl - 4) {
        // Split after each newline (a trailing newline yields no empty part).
        const parts = [];
        let start = 0;
        for (;;) {
          const nl = StringPrototypeIndexOf(value, '\n', start);
          if (nl === -1 || nl === value.length - 1) {
            push(parts, strEscape(StringPrototypeSlice(value, start)));
            break;
          }
          push(parts, strEscape(StringPrototypeSlice(value, start, nl + 1)));
          start = nl + 1;
        }
        return ArrayPrototypeJoin(parts,
          ` +\n${StringPrototypeRepeat(' ', ctx.indentationLvl + 2)}`) + trailer;
      }
      return strEscape(value) + trailer;
    }
    if (typeof value === 'number') return formatNumber(value, ctx.numericSeparator);
    if (typeof value === 'bigint') return formatBigInt(value, ctx.numericSeparator);
    if (typeof value === 'boolean') return `${value}`;
    if (typeof value === 'undefined') return 'undefined';
    if (typeof value === 'symbol') return SymbolPrototypeToString(value);
    // Unknown primitive type (e.g. QuickJS bigfloat / bigdecimal extensions).
    try { return `${value}`; } catch { return `[${typeof value}]`; }
  }

  function formatNamespaceObject(ctx, value, recurseTimes, keys) {
    const output = [];
    for (let i = 0; i < keys.length; i++) {
      try {
        push(output, formatProperty(ctx, value, recurseTimes, keys[i], kObjectType));
      } catch {
        const tmp = { [keys[i]]: '' };
        const str = formatProperty(ctx, tmp, recurseTimes, keys[i], kObjectType);
        const pos = StringPrototypeSlice(str, 0, str.length - 2);
        push(output, `${pos}<uninitialized>`);
      }
    }
    keys.length = 0;
    return output;
  }

  function formatSpecialArray(ctx, value, recurseTimes, maxLength, output, i) {
    const keys = ObjectKeys(value);
    let index = i;
    for (; i < keys.length && output.length < maxLength; i++) {
      const key = keys[i];
      const tmp = +key;
      if (tmp > 2 ** 32 - 2) break;
      if (`${index}` !== key) {
        if (!isArrayIndexKey(key)) break;
        const emptyItems = tmp - index;
        const ending = emptyItems > 1 ? 's' : '';
        push(output, `<${emptyItems} empty item${ending}>`);
        index = tmp;
        if (output.length === maxLength) break;
      }
      push(output, formatProperty(ctx, value, recurseTimes, key, kArrayType));
      index++;
    }
    const remaining = value.length - index;
    if (output.length !== maxLength) {
      if (remaining > 0) {
        const ending = remaining > 1 ? 's' : '';
        push(output, `<${remaining} empty item${ending}>`);
      }
    } else if (remaining > 0) {
      push(output, remainingText(remaining));
    }
    return output;
  }

  function formatArrayBuffer(ctx, value) {
    let buffer;
    try {
      buffer = new Uint8ArrayCtor(value);
    } catch {
      return ['(detached)'];
    }
    const n = MathMin(ctx.maxArrayLength, buffer.length);
    let str = '';
    for (let i = 0; i < n; i++) {
      const b = buffer[i];
      str += (i === 0 ? '' : ' ') + (b < 16 ? '0' : '') + NumberPrototypeToString(b, 16);
    }
    const remaining = buffer.length - ctx.maxArrayLength;
    if (remaining > 0) str += ` ... ${remaining} more byte${remaining > 1 ? 's' : ''}`;
    return [`[Uint8Contents]: <${str}>`];
  }

  function formatArray(ctx, value, recurseTimes) {
    const valLen = value.length;
    const len = MathMin(MathMax(0, ctx.maxArrayLength), valLen);
    const remaining = valLen - len;
    const output = [];
    for (let i = 0; i < len; i++) {
      if (!ObjectPrototypeHasOwnProperty(value, i)) {
        return formatSpecialArray(ctx, value, recurseTimes, len, output, i);
      }
      push(output, formatProperty(ctx, value, recurseTimes, i, kArrayType));
    }
    if (remaining > 0) push(output, remainingText(remaining));
    return output;
  }

  function formatTypedArray(ctx, value, recurseTimes) {
    const length = TypedArrayLengthGet(value);
    const maxLength = MathMin(MathMax(0, ctx.maxArrayLength), length);
    const remaining = length - maxLength;
    const output = [];
    for (let i = 0; i < maxLength; ++i) {
      const v = value[i];
      output[i] = typeof v === 'number' ?
        formatNumber(v, ctx.numericSeparator) : formatBigInt(v, ctx.numericSeparator);
    }
    if (remaining > 0) output[maxLength] = remainingText(remaining);
    if (ctx.showHidden) {
      ctx.indentationLvl += 2;
      const extras = [
        ['BYTES_PER_ELEMENT', safeGet(value, 'BYTES_PER_ELEMENT')],
        ['length', length],
        ['byteLength', TypedArrayByteLengthGet(value)],
        ['byteOffset', TypedArrayByteOffsetGet(value)],
        ['buffer', TypedArrayBufferGet(value)],
      ];
      for (let i = 0; i < extras.length; i++) {
        const str = formatValue(ctx, extras[i][1], recurseTimes, true);
        push(output, `[${extras[i][0]}]: ${str}`);
      }
      ctx.indentationLvl -= 2;
    }
    return output;
  }

  function formatSet(ctx, value, recurseTimes) {
    const length = SetSizeGet(value);
    const maxLength = MathMin(MathMax(0, ctx.maxArrayLength), length);
    const remaining = length - maxLength;
    const output = [];
    ctx.indentationLvl += 2;
    const it = SetPrototypeValues(value);
    for (let i = 0; i < maxLength; i++) {
      const step = SetIteratorNext(it);
      if (step.done) break;
      push(output, formatValue(ctx, step.value, recurseTimes));
    }
    if (remaining > 0) push(output, remainingText(remaining));
    ctx.indentationLvl -= 2;
    return output;
  }

  function formatMap(ctx, value, recurseTimes) {
    const length = MapSizeGet(value);
    const maxLength = MathMin(MathMax(0, ctx.maxArrayLength), length);
    const remaining = length - maxLength;
    const output = [];
    ctx.indentationLvl += 2;
    const it = MapPrototypeEntries(value);
    for (let i = 0; i < maxLength; i++) {
      const step = MapIteratorNext(it);
      if (step.done) break;
      const entry = step.value;
      push(output,
        `${formatValue(ctx, entry[0], recurseTimes)} => ${formatValue(ctx, entry[1], recurseTimes)}`);
    }
    if (remaining > 0) push(output, remainingText(remaining));
    ctx.indentationLvl -= 2;
    return output;
  }

  function formatWeakCollection() {
    return ['<items unknown>'];
  }

  function formatProperty(ctx, value, recurseTimes, key, type, desc, original) {
    if (original === undefined) original = value;
    let name, str;
    let extra = ' ';
    if (desc === undefined) {
      desc = ObjectGetOwnPropertyDescriptor(value, key);
      if (desc === undefined) {
        // Inherited (e.g. 'cause'): use the descriptor found on the chain.
        const inherited = findDescriptor(value, key);
        desc = inherited === undefined ? { value: undefined, enumerable: true } : inherited;
        desc.enumerable = true;
      }
    }
    if (!isAccessor(desc)) {
      if (desc.value !== undefined) {
        const diff = (ctx.compact !== true || type !== kObjectType) ? 2 : 3;
        ctx.indentationLvl += diff;
        str = formatValue(ctx, desc.value, recurseTimes);
        if (diff === 3 && ctx.breakLength < getStringWidth(str, ctx.colors)) {
          extra = `\n${StringPrototypeRepeat(' ', ctx.indentationLvl)}`;
        }
        ctx.indentationLvl -= diff;
      } else {
        str = 'undefined';
      }
    } else if (desc.get !== undefined) {
      const label = desc.set !== undefined ? 'Getter/Setter' : 'Getter';
      if (ctx.getters && (ctx.getters === true ||
            (ctx.getters === 'get' && desc.set === undefined) ||
            (ctx.getters === 'set' && desc.set !== undefined))) {
        const lvl = ctx.indentationLvl;
        try {
          const tmp = ReflectApply(desc.get, original, []);
          ctx.indentationLvl += 2;
          if (tmp === null) {
            str = `[${label}: null]`;
          } else if (typeof tmp === 'object') {
            str = `[${label}] ${formatValue(ctx, tmp, recurseTimes)}`;
          } else {
            str = `[${label}: ${formatPrimitive(tmp, ctx)}]`;
          }
          ctx.indentationLvl -= 2;
        } catch (err) {
          ctx.indentationLvl = lvl;
          str = `[${label}: <Inspection threw (${errorMessageOf(err)})>]`;
        }
      } else {
        str = `[${label}]`;
      }
    } else if (desc.set !== undefined) {
      str = '[Setter]';
    } else {
      str = 'undefined';
    }
    if (type === kArrayType) return str;
    if (typeof key === 'symbol') {
      name = `[${escapeChars(SymbolPrototypeToString(key), 39)}]`;
    } else if (key === '__proto__') {
      name = "['__proto__']";
    } else if (desc.enumerable === false) {
      name = `[${escapeChars(`${key}`, 39)}]`;
    } else if (isIdentifierKey(`${key}`)) {
      name = `${key}`;
    } else {
      name = strEscape(`${key}`);
    }
    return `${name}:${extra}${str}`;
  }

  function isBelowBreakLength(ctx, output, start, base) {
    let totalLength = output.length + start;
    if (totalLength + output.length > ctx.breakLength) return false;
    for (let i = 0; i < output.length; i++) {
      totalLength += output[i].length;
      if (totalLength > ctx.breakLength) return false;
    }
    return base === '' || !StringPrototypeIncludes(base, '\n');
  }

  function reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value) {
    if (ctx.compact !== true) {
      if (typeof ctx.compact === 'number' && ctx.compact >= 1) {
        const entries = output.length;
        if (extrasType === kArrayExtrasType && entries > 6) {
          output = groupArrayElements(ctx, output, value);
        }
        if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
          const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
          if (isBelowBreakLength(ctx, output, start, base)) {
            const joinedOutput = ArrayPrototypeJoin(output, ', ');
            if (!StringPrototypeIncludes(joinedOutput, '\n')) {
              return `${base ? `${base} ` : ''}${braces[0]} ${joinedOutput} ${braces[1]}`;
            }
          }
        }
      }
      const indentation = `\n${StringPrototypeRepeat(' ', ctx.indentationLvl)}`;
      return `${base ? `${base} ` : ''}${braces[0]}${indentation}  ` +
        `${ArrayPrototypeJoin(output, `,${indentation}  `)}${indentation}${braces[1]}`;
    }
    if (isBelowBreakLength(ctx, output, 0, base)) {
      return `${braces[0]}${base ? ` ${base}` : ''} ${ArrayPrototypeJoin(output, ', ')} ${braces[1]}`;
    }
    const indentation = StringPrototypeRepeat(' ', ctx.indentationLvl);
    const ln = base === '' && braces[0].length === 1 ?
      ' ' : `${base ? ` ${base}` : ''}\n${indentation}  `;
    return `${braces[0]}${ln}${ArrayPrototypeJoin(output, `,\n${indentation}  `)} ${braces[1]}`;
  }

  // Terminal column width of a string (node's non-ICU implementation).
  function isFullWidthCodePoint(code) {
    return code >= 0x1100 && (
      code <= 0x115f ||
      code === 0x2329 ||
      code === 0x232a ||
      (code >= 0x2e80 && code <= 0x3247 && code !== 0x303f) ||
      (code >= 0x3250 && code <= 0x4dbf) ||
      (code >= 0x4e00 && code <= 0xa4c6) ||
      (code >= 0xa960 && code <= 0xa97c) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe10 && code <= 0xfe19) ||
      (code >= 0xfe30 && code <= 0xfe6b) ||
      (code >= 0xff01 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1b000 && code <= 0x1b001) ||
      (code >= 0x1f200 && code <= 0x1f251) ||
      (code >= 0x1f300 && code <= 0x1f64f) ||
      (code >= 0x20000 && code <= 0x3fffd)
    );
  }

  function isZeroWidthCodePoint(code) {
    return code <= 0x1F ||
      (code >= 0x7F && code <= 0x9F) ||
      (code >= 0x300 && code <= 0x36F) ||
      (code >= 0x200B && code <= 0x200F) ||
      (code >= 0x20D0 && code <= 0x20FF) ||
      (code >= 0xFE00 && code <= 0xFE0F) ||
      (code >= 0xFE20 && code <= 0xFE2F) ||
      (code >= 0xE0100 && code <= 0xE01EF);
  }

  function getStringWidth(str) {
    let width = 0;
    let i = 0;
    for (; i < str.length; i++) {
      const code = StringPrototypeCharCodeAt(str, i);
      if (code >= 127) break;
      width += code >= 32 ? 1 : 0;
    }
    if (i === str.length) return width;
    str = StringPrototypeNormalize(StringPrototypeSlice(str, i), 'NFC');
    for (let j = 0; j < str.length; j++) {
      const code = StringPrototypeCodePointAt(str, j);
      if (code > 0xffff) j++;
      if (isFullWidthCodePoint(code)) {
        width += 2;
      } else if (!isZeroWidthCodePoint(code)) {
        width++;
      }
    }
    return width;
  }

  // ---------------------------------------------------------------------
  // util.format
  // ---------------------------------------------------------------------
  function hasBuiltInToString(value) {
    try {
      let hasOwnToString = ObjectPrototypeHasOwnProperty;
      let hasOwnToPrimitive = ObjectPrototypeHasOwnProperty;
      const returnFalse = () => false;
      if (typeof safeGet(value, 'toString') !== 'function') {
        if (typeof safeGet(value, SymbolToPrimitive) !== 'function') {
          return true;
        } else if (ObjectPrototypeHasOwnProperty(value, SymbolToPrimitive)) {
          return false;
        }
        hasOwnToString = returnFalse;
      } else if (ObjectPrototypeHasOwnProperty(value, 'toString')) {
        return false;
      } else if (typeof safeGet(value, SymbolToPrimitive) !== 'function') {
        hasOwnToPrimitive = returnFalse;
      } else if (ObjectPrototypeHasOwnProperty(value, SymbolToPrimitive)) {
        return false;
      }
      let pointer = value;
      do {
        pointer = ObjectGetPrototypeOf(pointer);
      } while (pointer !== null && !hasOwnToString(pointer, 'toString') &&
               !hasOwnToPrimitive(pointer, SymbolToPrimitive));
      if (pointer === null) return true;
      const descriptor = ObjectGetOwnPropertyDescriptor(pointer, 'constructor');
      return descriptor !== undefined && typeof descriptor.value === 'function' &&
        builtInObjects[functionName(descriptor.value)] === true;
    } catch {
      return true;
    }
  }

  let circularErrorMessage;
  function tryStringify(arg) {
    try {
      return JSONStringify(arg);
    } catch (err) {
      if (circularErrorMessage === undefined) {
        try {
          const a = {};
          a.a = a;
          JSONStringify(a);
        } catch (circularError) {
          circularErrorMessage = errorMessageOf(circularError);
        }
      }
      if (errorMessageOf(err) === circularErrorMessage) return '[Circular]';
      return inspect(arg);
    }
  }

  function formatWithOptions(inspectOptions, args) {
    const first = args[0];
    let a = 0;
    let str = '';
    let join = '';

    if (typeof first === 'string') {
      if (args.length === 1) return first;
      let tempStr;
      let lastPos = 0;
      for (let i = 0; i < first.length - 1; i++) {
        if (StringPrototypeCharCodeAt(first, i) === 37) { // '%'
          const nextChar = StringPrototypeCharCodeAt(first, ++i);
          if (a + 1 !== args.length) {
            switch (nextChar) {
              case 115: { // 's'
                const tempArg = args[++a];
                if (typeof tempArg === 'number') {
                  tempStr = formatNumber(tempArg, false);
                } else if (typeof tempArg === 'bigint') {
                  tempStr = formatBigInt(tempArg, false);
                } else if (typeof tempArg !== 'object' || tempArg === null ||
                           !hasBuiltInToString(tempArg)) {
                  try {
                    tempStr = StringCtor(tempArg);
                  } catch {
                    tempStr = inspect(tempArg, { depth: 0 });
                  }
                } else {
                  tempStr = inspect(tempArg, { depth: 0, colors: false, compact: 3 });
                }
                break;
              }
              case 106: // 'j'
                tempStr = tryStringify(args[++a]);
                break;
              case 100: { // 'd'
                const tempNum = args[++a];
                if (typeof tempNum === 'bigint') {
                  tempStr = formatBigInt(tempNum, false);
                } else if (typeof tempNum === 'symbol') {
                  tempStr = 'NaN';
                } else {
                  let n;
                  try { n = NumberCtor(tempNum); } catch { n = NaN; }
                  tempStr = formatNumber(n, false);
                }
                break;
              }
              case 79: // 'O'
                tempStr = inspect(args[++a], inspectOptions);
                break;
              case 111: // 'o'
                tempStr = inspect(args[++a], { showHidden: true, showProxy: true, depth: 4 });
                break;
              case 105: { // 'i'
                const tempInteger = args[++a];
                if (typeof tempInteger === 'bigint') {
                  tempStr = formatBigInt(tempInteger, false);
                } else if (typeof tempInteger === 'symbol') {
                  tempStr = 'NaN';
                } else {
                  let n;
                  try { n = NumberParseInt(tempInteger); } catch { n = NaN; }
                  tempStr = formatNumber(n, false);
                }
                break;
              }
              case 102: { // 'f'
                const tempFloat = args[++a];
                if (typeof tempFloat === 'symbol') {
                  tempStr = 'NaN';
                } else {
                  let n;
                  try { n = NumberParseFloat(tempFloat); } catch { n = NaN; }
                  tempStr = formatNumber(n, false);
                }
                break;
              }
              case 99: // 'c'
                a += 1;
                tempStr = '';
                break;
              case 37: // '%'
                str += StringPrototypeSlice(first, lastPos, i);
                lastPos = i + 1;
                continue;
              default: // Not a placeholder
                continue;
            }
            if (lastPos !== i - 1) str += StringPrototypeSlice(first, lastPos, i - 1);
            str += tempStr;
            lastPos = i + 1;
          } else if (nextChar === 37) {
            str += StringPrototypeSlice(first, lastPos, i);
            lastPos = i + 1;
          }
        }
      }
      if (lastPos !== 0) {
        a++;
        join = ' ';
        if (lastPos < first.length) str += StringPrototypeSlice(first, lastPos);
      }
    }

    while (a < args.length) {
      const value = args[a];
      str += join;
      str += typeof value !== 'string' ? inspect(value, inspectOptions) : value;
      join = ' ';
      a++;
    }
    return str;
  }

  function formatArgs(args) {
    if (args.length === 1 && typeof args[0] === 'string') return args[0];
    try {
      return formatWithOptions(undefined, args);
    } catch (err) {
      // Last resort (e.g. out of memory while formatting): never throw.
      let s = '';
      for (let i = 0; i < args.length; i++) {
        if (i !== 0) s += ' ';
        try {
          s += typeof args[i] === 'string' ? args[i] : inspect(args[i]);
        } catch {
          s += `<Inspection threw (${errorMessageOf(err)})>`;
        }
      }
      return s;
    }
  }

  // ---------------------------------------------------------------------
  // console
  // ---------------------------------------------------------------------
  const kStdout = 1;
  const kStderr = 2;
  const kGroupIndentationWidth = 2;
  let groupIndent = '';
  const counts = new MapCtor();
  const timers = new MapCtor();

  function writeToConsole(stream, string) {
    if (groupIndent.length !== 0) {
      if (StringPrototypeIncludes(string, '\n')) {
        string = replaceAllNewlines(string, `\n${groupIndent}`);
      }
      string = groupIndent + string;
    }
    try {
      nativeWrite(stream, `${string}\n`);
    } catch {}
  }

  function warning(message) {
    writeToConsole(kStderr, `Warning: ${message}`);
  }

  function pad(value) {
    return StringPrototypePadStart(`${value}`, 2, '0');
  }

  function formatTime(ms) {
    let hours = 0;
    let minutes = 0;
    let seconds = 0;
    if (ms >= 1000) {
      if (ms >= 60000) {
        if (ms >= 3600000) {
          hours = MathFloor(ms / 3600000);
          ms = ms % 3600000;
        }
        minutes = MathFloor(ms / 60000);
        ms = ms % 60000;
      }
      seconds = ms / 1000;
    }
    if (hours !== 0 || minutes !== 0) {
      const parts = StringPrototypeSplit(NumberPrototypeToFixed(seconds, 3), '.');
      const res = hours !== 0 ? `${hours}:${pad(minutes)}` : minutes;
      return `${res}:${pad(parts[0])}.${parts[1]} (${hours !== 0 ? 'h:m' : ''}m:ss.mmm)`;
    }
    if (seconds !== 0) return `${NumberPrototypeToFixed(seconds, 3)}s`;
    return `${NumberCtor(NumberPrototypeToFixed(ms, 3))}ms`;
  }

  function timeLogImpl(name, label, data) {
    const start = MapPrototypeGet(timers, label);
    if (start === undefined) {
      warning(`No such label '${label}' for console.${name}()`);
      return false;
    }
    const formatted = formatTime(DateNow() - start);
    const args = ['%s: %s', label, formatted];
    if (data !== undefined) {
      for (let i = 0; i < data.length; i++) push(args, data[i]);
    }
    writeToConsole(kStdout, formatArgs(args));
    return true;
  }

  // console.table helpers (node's internal/cli_table).
  const tableChars = {
    middleMiddle: '\u2500',
    rowMiddle: '\u253c',
    topRight: '\u2510',
    topLeft: '\u250c',
    leftMiddle: '\u251c',
    topMiddle: '\u252c',
    bottomRight: '\u2518',
    bottomLeft: '\u2514',
    bottomMiddle: '\u2534',
    rightMiddle: '\u2524',
    left: '\u2502 ',
    right: ' \u2502',
    middle: ' \u2502 ',
  };

  function renderRow(row, columnWidths) {
    let out = tableChars.left;
    for (let i = 0; i < row.length; i++) {
      const cell = row[i];
      const len = getStringWidth(cell);
      const needed = columnWidths[i] - len;
      out += cell + StringPrototypeRepeat(' ', MathCeil(needed));
      if (i !== row.length - 1) out += tableChars.middle;
    }
    out += tableChars.right;
    return out;
  }

  function renderTable(head, columns) {
    const rows = [];
    const columnWidths = [];
    let longestColumn = 0;
    for (let i = 0; i < head.length; i++) columnWidths[i] = getStringWidth(head[i]);
    for (let i = 0; i < columns.length; i++) {
      if (columns[i].length > longestColumn) longestColumn = columns[i].length;
    }
    for (let i = 0; i < head.length; i++) {
      const column = columns[i];
      for (let j = 0; j < longestColumn; j++) {
        if (rows[j] === undefined) rows[j] = [];
        const value = rows[j][i] = ObjectPrototypeHasOwnProperty(column, j) ? column[j] : '';
        const width = columnWidths[i] || 0;
        const counted = getStringWidth(value);
        columnWidths[i] = MathMax(width, counted);
      }
    }
    const divider = [];
    for (let i = 0; i < columnWidths.length; i++) {
      divider[i] = StringPrototypeRepeat(tableChars.middleMiddle, columnWidths[i] + 2);
    }
    let result = `${tableChars.topLeft}${ArrayPrototypeJoin(divider, tableChars.topMiddle)}` +
      `${tableChars.topRight}\n${renderRow(head, columnWidths)}\n` +
      `${tableChars.leftMiddle}${ArrayPrototypeJoin(divider, tableChars.rowMiddle)}` +
      `${tableChars.rightMiddle}\n`;
    for (let i = 0; i < rows.length; i++) result += `${renderRow(rows[i], columnWidths)}\n`;
    result += `${tableChars.bottomLeft}${ArrayPrototypeJoin(divider, tableChars.bottomMiddle)}` +
      tableChars.bottomRight;
    return result;
  }

  function tableInspect(v) {
    let depth = 0;
    if (v !== null && typeof v === 'object' && !ArrayIsArray(v) && !isTypedArray(v)) {
      try { if (ObjectKeys(v).length > 2) depth = -1; } catch {}
    }
    return inspect(v, { depth, maxArrayLength: 3, breakLength: Infinity });
  }

  function table(tabularData, properties) {
    if (properties !== undefined && !ArrayIsArray(properties)) {
      throw new TypeError('The "properties" argument must be an instance of Array');
    }
    if (tabularData === null || typeof tabularData !== 'object') {
      writeToConsole(kStdout, formatArgs([tabularData]));
      return;
    }
    const final = (k, v) => writeToConsole(kStdout, renderTable(k, v));
    const getIndexArray = (length) => {
      const arr = [];
      for (let i = 0; i < length; i++) arr[i] = tableInspect(i);
      return arr;
    };
    const kind = ArrayIsArray(tabularData) ? '' : detectKind(tabularData, '');
    if (kind === 'Map') {
      const keys = [];
      const values = [];
      const it = MapPrototypeEntries(tabularData);
      for (;;) {
        const step = MapIteratorNext(it);
        if (step.done) break;
        push(keys, tableInspect(step.value[0]));
        push(values, tableInspect(step.value[1]));
      }
      final(['(iteration index)', 'Key', 'Values'], [getIndexArray(keys.length), keys, values]);
      return;
    }
    if (kind === 'Set') {
      const values = [];
      const it = SetPrototypeValues(tabularData);
      for (;;) {
        const step = SetIteratorNext(it);
        if (step.done) break;
        push(values, tableInspect(step.value));
      }
      final(['(iteration index)', 'Values'], [getIndexArray(values.length), values]);
      return;
    }

    const map = { __proto__: null };
    const mapKeys = [];
    let hasPrimitives = false;
    const valuesKeyArray = [];
    const indexKeyArray = ObjectKeys(tabularData);
    for (let i = 0; i < indexKeyArray.length; i++) {
      const item = safeGet(tabularData, indexKeyArray[i]);
      const primitive = item === null || (typeof item !== 'function' && typeof item !== 'object');
      if (properties === undefined && primitive) {
        hasPrimitives = true;
        valuesKeyArray[i] = tableInspect(item);
      } else {
        const keys = properties || (primitive ? [] : ObjectKeys(item));
        for (let k = 0; k < keys.length; k++) {
          const key = keys[k];
          if (map[key] === undefined) {
            map[key] = [];
            push(mapKeys, key);
          }
          if ((primitive && properties) || !ObjectPrototypeHasOwnProperty(item, key)) {
            map[key][i] = '';
          } else {
            const desc = ObjectGetOwnPropertyDescriptor(item, key);
            map[key][i] = isAccessor(desc) ?
              (desc.get !== undefined ? (desc.set !== undefined ? '[Getter/Setter]' : '[Getter]') : '[Setter]') :
              tableInspect(desc.value);
          }
        }
      }
    }
    const keys = [];
    const values = [];
    for (let i = 0; i < mapKeys.length; i++) {
      push(keys, safeString(mapKeys[i]));
      push(values, map[mapKeys[i]]);
    }
    if (hasPrimitives) {
      push(keys, 'Values');
      push(values, valuesKeyArray);
    }
    ArrayPrototypeUnshift(keys, '(index)');
    ArrayPrototypeUnshift(values, indexKeyArray);
    final(keys, values);
  }

  function mergeDirOptions(options) {
    const opts = { customInspect: false };
    if (options !== null && typeof options === 'object') {
      for (let i = 0; i < inspectOptionNames.length; i++) {
        const key = inspectOptionNames[i];
        try {
          if (ObjectPrototypeHasOwnProperty(options, key)) opts[key] = options[key];
        } catch {}
      }
    }
    return opts;
  }

  const consoleObject = {
    log(...args) {
      writeToConsole(kStdout, formatArgs(args));
    },
    info(...args) {
      writeToConsole(kStdout, formatArgs(args));
    },
    debug(...args) {
      writeToConsole(kStdout, formatArgs(args));
    },
    dirxml(...args) {
      writeToConsole(kStdout, formatArgs(args));
    },
    warn(...args) {
      writeToConsole(kStderr, formatArgs(args));
    },
    error(...args) {
      writeToConsole(kStderr, formatArgs(args));
    },
    dir(object, options) {
      let s;
      try {
        s = inspect(object, mergeDirOptions(options));
      } catch (err) {
        s = `<Inspection threw (${errorMessageOf(err)})>`;
      }
      writeToConsole(kStdout, s);
    },
    trace(...args) {
      // The first frame is this function itself.
      let frames = '';
      try {
        const stack = safeGet(new ErrorCtor(), 'stack');
        if (typeof stack === 'string') {
          const nl = StringPrototypeIndexOf(stack, '\n');
          frames = nl === -1 ? '' : StringPrototypeSlice(stack, nl + 1);
          let end = frames.length;
          while (end > 0 && StringPrototypeCharCodeAt(frames, end - 1) === 10) end--;
          frames = StringPrototypeSlice(frames, 0, end);
        }
      } catch {}
      const message = formatArgs(args);
      let out = message === '' ? 'Trace' : `Trace: ${message}`;
      if (frames !== '') out += `\n${frames}`;
      writeToConsole(kStderr, out);
    },
    assert(expression, ...args) {
      if (!expression) {
        args[0] = `Assertion failed${args.length === 0 ? '' : `: ${safeString(args[0])}`}`;
        writeToConsole(kStderr, formatArgs(args));
      }
    },
    clear() {
      // Output is never a TTY in the guest: nothing to do (as node).
    },
    count(label = 'default') {
      label = safeString(label);
      let count = MapPrototypeGet(counts, label);
      count = count === undefined ? 1 : count + 1;
      MapPrototypeSet(counts, label, count);
      writeToConsole(kStdout, `${label}: ${count}`);
    },
    countReset(label = 'default') {
      label = safeString(label);
      if (!MapPrototypeHas(counts, label)) {
        warning(`Count for '${label}' does not exist`);
        return;
      }
      MapPrototypeDelete(counts, label);
    },
    group(...data) {
      if (data.length > 0) writeToConsole(kStdout, formatArgs(data));
      groupIndent += StringPrototypeRepeat(' ', kGroupIndentationWidth);
    },
    groupCollapsed(...data) {
      if (data.length > 0) writeToConsole(kStdout, formatArgs(data));
      groupIndent += StringPrototypeRepeat(' ', kGroupIndentationWidth);
    },
    groupEnd() {
      groupIndent = StringPrototypeSlice(groupIndent, 0,
        MathMax(0, groupIndent.length - kGroupIndentationWidth));
    },
    table(tabularData, properties) {
      table(tabularData, properties);
    },
    time(label = 'default') {
      label = safeString(label);
      if (MapPrototypeHas(timers, label)) {
        warning(`Label '${label}' already exists for console.time()`);
        return;
      }
      MapPrototypeSet(timers, label, DateNow());
    },
    timeEnd(label = 'default') {
      label = safeString(label);
      if (timeLogImpl('timeEnd', label)) MapPrototypeDelete(timers, label);
    },
    timeLog(label = 'default', ...data) {
      label = safeString(label);
      timeLogImpl('timeLog', label, data);
    },
  };
  ObjectDefineProperty(consoleObject, SymbolToStringTag, {
    value: 'console', writable: false, enumerable: false, configurable: true,
  });

  ObjectDefineProperty(G, 'console', {
    value: consoleObject, writable: true, enumerable: false, configurable: true,
  });

  // For the CLI: the text printed for an eval completion value.
  function micaInspect(value) {
    try {
      return inspect(value);
    } catch (err) {
      try {
        return `${value}`;
      } catch {
        return `<Inspection threw (${errorMessageOf(err)})>`;
      }
    }
  }
  ObjectDefineProperty(G, '__mica_inspect', {
    value: micaInspect, writable: true, enumerable: false, configurable: true,
  });

  ObjectFreeze(inspectDefaultOptions);

  /*
   * Known differences from node:
   *  - no colors; Promise state cannot be read in QuickJS: `Promise {}`;
   *  - Proxies cannot be detected: they are inspected like their target
   *    but traps (ownKeys, getOwnPropertyDescriptor, getPrototypeOf) do run;
   *  - WeakMap/WeakSet print `<items unknown>` (as node without showHidden);
   *    Map/Set iterators and generators print as plain objects
   *    (`Object [Map Iterator] {}`), their entries cannot be previewed;
   *  - Error stacks are QuickJS's frames ("    at f (file:line)");
   *  - console.time* use Date.now() (millisecond resolution);
   *  - console.table cannot list Map/Set iterators.
   */
})();

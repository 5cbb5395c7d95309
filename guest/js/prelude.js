  /*
   * The helpers web.js, crypto.js and fetch.js share, put in place of the `// @prelude`
   * line of each at build time (Makefile: build/guest/NAME.full.js), inside
   * its function: nothing here is global. Primordials are captured before
   * any user code runs, so that code which replaces built-ins breaks these
   * APIs in its own sandbox only.
   */
  const G = globalThis;
  const uncurry = (fn) => Function.prototype.call.bind(fn);
  const getter = (obj, key) => uncurry(Object.getOwnPropertyDescriptor(obj, key).get);

  const ObjectDefineProperty = Object.defineProperty;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectKeys = Object.keys;
  const ReflectOwnKeys = Reflect.ownKeys;
  const StringFromCharCode = String.fromCharCode;
  const SymbolIterator = Symbol.iterator;
  const SymbolToStringTag = Symbol.toStringTag;
  const ArrayBufferIsView = ArrayBuffer.isView;
  const ArrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');
  const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
  const TypedArrayTag = getter(TypedArrayPrototype, SymbolToStringTag);
  const TypedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
  const TypedArrayByteOffset = getter(TypedArrayPrototype, 'byteOffset');
  const TypedArrayByteLength = getter(TypedArrayPrototype, 'byteLength');
  const DataViewBuffer = getter(DataView.prototype, 'buffer');
  const DataViewByteOffset = getter(DataView.prototype, 'byteOffset');
  const DataViewByteLength = getter(DataView.prototype, 'byteLength');
  const Uint8ArrayCtor = Uint8Array;

  // WebIDL: operations and attributes are enumerable; @@toStringTag names the interface.
  function idl(cls, tag) {
    const proto = cls.prototype;
    for (const key of ReflectOwnKeys(proto)) {
      if (typeof key !== 'string' || key === 'constructor') continue;
      const d = ObjectGetOwnPropertyDescriptor(proto, key);
      d.enumerable = true;
      ObjectDefineProperty(proto, key, d);
    }
    ObjectDefineProperty(proto, SymbolToStringTag, { value: tag, configurable: true });
  }
  function needArgs(args, n, what) {
    if (args.length < n) throw new TypeError(`${what}: ${n} argument(s) required, but only ${args.length} present`);
  }
  // WebIDL DOMString
  const toStr = (v) => `${v}`;
  // Whether check(v) accepts v: a brand check through a primordial getter.
  // A primitive has no brand: no exception to make (they cost, with their stack).
  const isBrand = (check, v) => {
    if ((typeof v !== 'object' || v === null) && typeof v !== 'function') return false;
    try { check(v); return true; } catch { return false; }
  };
  // BufferSource -> Uint8Array over the same memory, or null for anything else.
  function viewBytes(v, shared) {
    if (ArrayBufferIsView(v)) {
      if (TypedArrayTag(v) !== undefined) return new Uint8ArrayCtor(TypedArrayBuffer(v), TypedArrayByteOffset(v), TypedArrayByteLength(v));
      return new Uint8ArrayCtor(DataViewBuffer(v), DataViewByteOffset(v), DataViewByteLength(v));
    }
    if (isBrand(ArrayBufferByteLength, v) || (shared && shared(v))) return new Uint8ArrayCtor(v);
    return null;
  }

  // WebIDL USVString: lone surrogates become U+FFFD.
  const SURROGATE = /[\uD800-\uDFFF]/;
  function toUSV(v) {
    const s = `${v}`;
    if (!SURROGATE.test(s)) return s;
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xD800 && c <= 0xDBFF && (s.charCodeAt(i + 1) & 0xFC00) === 0xDC00) out += s[i] + s[++i];
      else out += (c & 0xF800) === 0xD800 ? '\uFFFD' : s[i];
    }
    return out;
  }

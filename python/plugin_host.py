"""A plugin host in Python for examples/plugin/plugin.js: examples/plugin/host.c
with the binding. Binary data in and out of a handler, async host functions.

    PYTHONPATH=build/python python3 python/plugin_host.py examples/plugin/plugin.js [IMAGE]

IMAGE is any file (its bytes are the "pixels"); without it a 64x64 gradient
is made up. The plugin thresholds the pixels, hashes the result with
crypto.subtle.digest and returns digest + pixels as raw bytes.

The key-value store ("host:kv") is fake: get(key) answers JSON, put(bytes)
keeps raw bytes; both are coroutines, as a real store's asyncio client's
would be.
"""
import asyncio
import hashlib
import logging
import os
import sys

import mica


class Store:
    def __init__(self):
        self.data = {"threshold": 128}
        self.stored = b""

    async def get(self, key):
        await asyncio.sleep(0)  # a network round trip would be here
        return self.data.get(key)

    async def put(self, blob):
        if not isinstance(blob, bytes) or len(blob) > 64:
            raise ValueError("put wants one Uint8Array of at most 64 bytes")
        self.stored = blob
        return len(blob)


async def main(plugin_path, image_path=None):
    source = open(plugin_path).read()
    image = open(image_path, "rb").read() if image_path else bytes(
        ((i % 64 + i // 64) * 2) & 255 for i in range(64 * 64))

    store = Store()
    # auto: KVM where /dev/kvm opens, else the process backend
    rt = mica.Runtime(backend=os.environ.get("MICA_BACKEND", "auto"))
    rt.register_async("kv", "get", store.get)
    rt.register_async("kv", "put", store.put)
    with rt.sandbox(memory_mb=64, timeout_ms=1000) as sb:
        sb.load("plugin.js", source)
        # the guest runs on an executor thread; the coroutines on this loop
        out = await sb.acall("process", image)

    digest, pixels = out[:32], out[32:]
    print(f"host: {len(image)} bytes in, {len(out)} bytes out, "
          f"{pixels.count(255)} pixels white ({rt.backend} backend)")
    print(f"host: sha-256 {digest.hex()}")
    ok = digest == store.stored == hashlib.sha256(pixels).digest()
    print(f"host: the digest put() stored matches the result: {'yes' if ok else 'no'}")
    return 0 if ok else 1


if __name__ == "__main__":
    if not 2 <= len(sys.argv) <= 3:
        sys.exit(f"usage: {sys.argv[0]} plugin.js [IMAGE]")
    # the guest's console goes to the "mica" logger
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    sys.exit(asyncio.run(main(*sys.argv[1:])))

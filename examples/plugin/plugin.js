// A plugin for examples/plugin/host.c: binary data in and out, async host
// functions. The host calls process(image) with the image's raw bytes as a
// Uint8Array (no JSON, no base64) and receives the returned bytes raw.
import { get, put } from "host:kv";

export async function process(image) {
	// An async host function: the host answers from its worker thread.
	const threshold = await get("threshold");
	// "Transform the image": threshold every byte (a grayscale pixel).
	const out = new Uint8Array(image.length);
	for (let i = 0; i < image.length; i++)
		out[i] = image[i] >= threshold ? 255 : 0;
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", out));
	// A single Uint8Array argument reaches the host as raw bytes.
	const stored = await put(digest);
	console.log(`plugin: threshold ${threshold}, ${image.length} pixels, the host stored ${stored} bytes`);
	// Bytes out: the digest, then the transformed image.
	const result = new Uint8Array(digest.length + out.length);
	result.set(digest);
	result.set(out, digest.length);
	return result;
}

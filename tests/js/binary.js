// Binary events (--event-bytes) and binary results (written raw).
export const echo = (ev) => ev;
export function describe(ev) {
	return { isU8: ev instanceof Uint8Array, len: ev.length, first: ev[0], last: ev[ev.length - 1] };
}
export function invert(ev) {
	const out = new Uint8Array(ev.length);
	for (let i = 0; i < ev.length; i++) out[i] = 255 - ev[i];
	return out.buffer;
}
export function hello() {
	return new DataView(new TextEncoder().encode("[hello]").buffer, 1, 5);
}
export function json() { return [1, 2]; }

// Imports a file on every call: each call needs the module root.
let calls = 0;
export async function h() {
	const m = await import("./helper.js");
	console.log("call", ++calls);
	return m.default();
}

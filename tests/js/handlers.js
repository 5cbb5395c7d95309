export function greet(event) {
  if (!event.name) throw new Error("no name given");
  return { message: `hello, ${event.name}`, n: event.name.length };
}
export async function later(event) {
  await null;
  return event;
}
export function nothing() {}
export function noisy() {
  console.log("before");
  console.error("during");
  return { ok: true };
}
export function spin() {
  for (;;) {}
}
globalThis.globalOne = () => "global ok";

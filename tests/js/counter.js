// Module state for the isolation modes: a counter, random numbers, echo.
let count = 0;
console.log("counter.js loaded");
export function tick() {
  return ++count;
}
export function rnd() {
  return Math.random();
}
export function echo(event) {
  return { event, count: ++count };
}
export function slow() {
  const t = Date.now();
  while (Date.now() - t < 100) {}
  return ++count;
}

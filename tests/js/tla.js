// An ES module: exports, async functions and top-level await.
export const answer = await new Promise((resolve) => resolve(42));
async function ready() {
  return "ready";
}
console.log(await ready(), answer);

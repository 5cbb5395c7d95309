import { add } from "../lib/math.js";
const r = await import("./helper.js");
console.log(add(40, 2), r.default());

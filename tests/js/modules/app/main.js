import { add } from "../lib/math.js";
import helper from "./helper.js";
export function h(e) { return { sum: add(e.a, e.b), h: helper() }; }
console.log("loaded", add(1, 2));

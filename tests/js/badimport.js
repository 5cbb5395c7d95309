import { thing } from "./not-there.js";
console.log(thing);

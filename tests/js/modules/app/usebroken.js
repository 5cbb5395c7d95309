import { x } from "../lib/broken.js";

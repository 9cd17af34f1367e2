// A small program to start from: `devenv run dev` runs it, `devenv check` tests it.
import { greeting } from "./greeting.js";

console.log(greeting("world"));

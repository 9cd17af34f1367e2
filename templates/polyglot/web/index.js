// The frontend, here a script that talks to the backend: start `devenv run api` first.
import { fetchGreeting } from "./greeting.js";

console.log(await fetchGreeting("web"));

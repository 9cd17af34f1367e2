// What the program says to `name`.
export function greeting(name) {
  return `hello, ${name}`;
}

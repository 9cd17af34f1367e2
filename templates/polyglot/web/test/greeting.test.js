import { test } from "node:test";
import assert from "node:assert/strict";
import { fetchGreeting } from "../greeting.js";

test("fetchGreeting asks the backend", async () => {
  let asked;
  const fake = async (url) => {
    asked = url;
    return { json: async () => ({ greeting: "hello, web" }) };
  };
  assert.equal(await fetchGreeting("web", fake), "hello, web");
  assert.equal(asked, "http://localhost:8080/api/greeting?name=web");
});

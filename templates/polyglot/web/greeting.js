// Asks the backend for a greeting (`fetchImpl` is replaceable in tests).
export async function fetchGreeting(name, fetchImpl = fetch, base = "http://localhost:8080") {
  const response = await fetchImpl(`${base}/api/greeting?name=${encodeURIComponent(name)}`);
  const body = await response.json();
  return body.greeting;
}

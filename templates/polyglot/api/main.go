// The backend: `devenv run api` serves it on :8080, `devenv check` tests it.
package main

import (
	"encoding/json"
	"log"
	"net/http"
)

// greet answers GET /api/greeting?name=NAME with {"greeting": "hello, NAME"}.
func greet(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "world"
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"greeting": "hello, " + name})
}

func main() {
	http.HandleFunc("/api/greeting", greet)
	log.Println("listening on :8080")
	log.Fatal(http.ListenAndServe(":8080", nil))
}

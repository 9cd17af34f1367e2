package main

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGreet(t *testing.T) {
	recorder := httptest.NewRecorder()
	greet(recorder, httptest.NewRequest("GET", "/api/greeting?name=gopher", nil))
	if body := recorder.Body.String(); !strings.Contains(body, `"hello, gopher"`) {
		t.Errorf("body = %s", body)
	}
}

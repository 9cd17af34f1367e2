package main

import "testing"

func TestGreeting(t *testing.T) {
	if got := Greeting("gopher"); got != "hello, gopher" {
		t.Errorf("Greeting(\"gopher\") = %q", got)
	}
}

// A small program to start from: `devenv develop -c go run .` runs it, `devenv check` tests it.
package main

import "fmt"

// Greeting is what the program says to name.
func Greeting(name string) string {
	return "hello, " + name
}

func main() {
	fmt.Println(Greeting("world"))
}

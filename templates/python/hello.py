"""A small program to start from: `devenv develop -c uv run hello.py` runs it, `devenv check` tests it."""


def greeting(name: str) -> str:
    """What the program says to `name`."""
    return f"hello, {name}"


if __name__ == "__main__":
    print(greeting("world"))

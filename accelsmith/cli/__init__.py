"""Command-line interface: thin typer sub-apps that parse, call the library and print."""

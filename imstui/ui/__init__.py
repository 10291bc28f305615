"""The Textual console. Importing this package imports nothing heavy; ``imstui.ui.launch.run_console`` starts it."""

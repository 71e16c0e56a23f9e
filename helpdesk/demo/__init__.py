"""The demo help desk that `manage.py seed_demo` loads: its texts and generated files."""

"""Demo data generators: deterministic, illustrative inventory, projects and
districts for `manage.py load_demo`. They write through the services."""

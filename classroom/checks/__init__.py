"""The exercises of each lesson, one module per lesson (lesson04.py for notebook 04)."""

"""The notebook compiler; see ipynb.py."""

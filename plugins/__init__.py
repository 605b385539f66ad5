# Nikola imports site plugins from here.

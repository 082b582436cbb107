"""What the course is built from, apart from the library: notebooks' set-up, runner, website, figures and widgets.

- `colab`: the repository URL (the one setting), the Colab badge, the set-up cell and the slide metadata;
  `python -m helpers.course sync ...` writes them into the notebooks.
- `run_notebooks`: the headless runner (`python -m helpers.course.run_notebooks`: HTML, slides, the website).
- `site`: the course website; `compare`: a fresh run's checked outputs and claims against the committed ones.
- `plotting`, `widgets`: the notebooks' figures and ipywidgets explorers (also `helpers.plotting`, `helpers.widgets`).
- `atlas_pages`: the contact sheet and HTML page of a class-image atlas (`helpers.atlas`).
"""
